"""The one table of status marks: a symbol means the same in the log, the graph and the browser.

Marks carry the meaning on their own, so every pane reads without colour (NO_COLOR).
Textual-free, so the graph drawing can use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from wftui.checkpoint.model import CheckpointStatus
from wftui.engine import WorkflowRunState


class Mark(StrEnum):
    """Every status symbol the app draws; ``.value`` is the plain string to paint."""

    PENDING = "○"
    RUNNING = "●"
    DONE = "✓"
    FAILED = "✗"
    WAITING = "?"
    CANCELLED = "■"
    PAUSED = "‖"
    IN_PROGRESS = "▸"
    NEXT = "▶"
    LOOP = "↺"
    MARKED = "◆"  # the checkpoint m marked, that c compares with
    FORKED = "✎"  # a fork nobody has resumed yet


class RunStatus(StrEnum):
    """The run status shown in the header; the value is what people read."""

    IDLE = "idle"
    RUNNING = "running"
    WAITING = "waiting for human"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"
    LOST = "lost"  # another process ran it and stopped beating without an end

    @property
    def symbol(self) -> str:
        """A mark that carries the meaning when colours are off."""
        return _RUN_MARKS[self].value

    @classmethod
    def from_run_state(cls, state: WorkflowRunState) -> RunStatus:
        return _FROM_RUN_STATE[state]


class NodeStatus(StrEnum):
    """Live state of an executor during a run."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WAITING = "waiting"

    @property
    def symbol(self) -> str:
        return Mark[self.name].value


_RUN_MARKS: Mapping[RunStatus, Mark] = {
    RunStatus.IDLE: Mark.PENDING,
    RunStatus.RUNNING: Mark.RUNNING,
    RunStatus.WAITING: Mark.WAITING,
    RunStatus.COMPLETED: Mark.DONE,
    RunStatus.FAILED: Mark.FAILED,
    RunStatus.CANCELLED: Mark.CANCELLED,
    RunStatus.PAUSED: Mark.PAUSED,
    RunStatus.LOST: Mark.FAILED,  # the browser's ``✗ lost``: killed, not stopped on purpose
}

_FROM_RUN_STATE: Mapping[WorkflowRunState, RunStatus] = {
    WorkflowRunState.IN_PROGRESS: RunStatus.RUNNING,
    WorkflowRunState.IN_PROGRESS_PENDING_REQUESTS: RunStatus.RUNNING,
    WorkflowRunState.IDLE: RunStatus.COMPLETED,
    WorkflowRunState.IDLE_WITH_PENDING_REQUESTS: RunStatus.WAITING,
    WorkflowRunState.FAILED: RunStatus.FAILED,
    WorkflowRunState.CANCELLED: RunStatus.CANCELLED,
    WorkflowRunState.PAUSED: RunStatus.PAUSED,
}

# The browser's status column: mark, words and a Rich style per checkpoint status.
CHECKPOINT_LOOK: Mapping[CheckpointStatus, tuple[str, str]] = {
    CheckpointStatus.IN_PROGRESS: (f"{Mark.IN_PROGRESS} in progress", ""),
    CheckpointStatus.AWAITING_HUMAN_INPUT: (f"{Mark.WAITING} awaiting human", "bold yellow"),
    CheckpointStatus.COMPLETED: (f"{Mark.DONE} completed", "green"),
    CheckpointStatus.FAILED: (f"{Mark.FAILED} failed", "bold red"),
}
