"""Events a run emits. UIs and the CLI see a run only through these.

``str(event)`` is short and readable (``ExecutorInvokedEvent(executor_id=upper)``) because it is
printed one per line by the CLI and the seed notebook.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, ClassVar


class WorkflowRunState(StrEnum):
    """Where a run stands; IDLE means it finished with nothing left to do."""

    IN_PROGRESS = "IN_PROGRESS"
    # agent-framework's name for running while requests wait; wftui does not emit it (yet).
    IN_PROGRESS_PENDING_REQUESTS = "IN_PROGRESS_PENDING_REQUESTS"
    IDLE = "IDLE"
    IDLE_WITH_PENDING_REQUESTS = "IDLE_WITH_PENDING_REQUESTS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # Stopped after the supersteps asked for (max_supersteps); the last checkpoint resumes it.
    PAUSED = "PAUSED"


class WorkflowEventSource(StrEnum):
    """Who made an event: the engine's own bookkeeping, or executor code (the user's)."""

    FRAMEWORK = "FRAMEWORK"
    EXECUTOR = "EXECUTOR"


@dataclass(frozen=True)
class WorkflowErrorDetails:
    """An error as data: events and checkpoints must not hold live exceptions."""

    error_type: str
    message: str
    traceback: str = ""
    executor_id: str | None = None

    @classmethod
    def from_exception(
        cls, error: BaseException, executor_id: str | None = None
    ) -> WorkflowErrorDetails:
        return cls(
            error_type=type(error).__name__,
            message=str(error) or "(no message)",
            traceback="".join(traceback.format_exception(error)),
            executor_id=executor_id,
        )

    def one_line(self) -> str:
        where = f" in {self.executor_id}" if self.executor_id else ""
        return f"{self.error_type}{where}: {self.message}"


@dataclass
class WorkflowEvent:
    """Base of every event; ``data`` carries the event's payload when it has one."""

    data: Any = None
    timestamp: float = field(default_factory=time.time, kw_only=True, repr=False, compare=False)
    # Field names shown by str(); subclasses list theirs.
    shown: ClassVar[tuple[str, ...]] = ("data",)
    # Events the engine makes say so; any other event comes from executor code.
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.EXECUTOR

    def __str__(self) -> str:
        parts = []
        for name in self.shown:
            value = getattr(self, name)
            if value is not None:
                text = value.value if isinstance(value, Enum) else value
                parts.append(f"{name}={text}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __repr__ = __str__


@dataclass(repr=False)
class WorkflowStartedEvent(WorkflowEvent):
    shown: ClassVar[tuple[str, ...]] = ()
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK


@dataclass(repr=False)
class WorkflowStatusEvent(WorkflowEvent):
    state: WorkflowRunState = WorkflowRunState.IN_PROGRESS
    shown: ClassVar[tuple[str, ...]] = ("state",)
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK


@dataclass(repr=False)
class SuperStepStartedEvent(WorkflowEvent):
    iteration: int = 0
    shown: ClassVar[tuple[str, ...]] = ("iteration",)
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK


@dataclass(repr=False)
class SuperStepCompletedEvent(WorkflowEvent):
    iteration: int = 0
    shown: ClassVar[tuple[str, ...]] = ("iteration",)
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK


@dataclass(repr=False)
class ExecutorEvent(WorkflowEvent):
    """Base of events about one executor (the engine's; agent events are the executor's)."""

    executor_id: str = ""
    shown: ClassVar[tuple[str, ...]] = ("executor_id",)
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK


@dataclass(repr=False)
class ExecutorInvokedEvent(ExecutorEvent):
    pass


# The seed notebook's expected output spells it this way.
ExecutorInvokeEvent = ExecutorInvokedEvent


@dataclass(repr=False)
class ExecutorCompletedEvent(ExecutorEvent):
    """``data`` says "replayed from checkpoint" when the work was not run again."""

    shown: ClassVar[tuple[str, ...]] = ("executor_id", "data")


@dataclass(repr=False)
class ExecutorFailedEvent(ExecutorEvent):
    details: WorkflowErrorDetails | None = None

    def __str__(self) -> str:
        reason = self.details.one_line() if self.details else "unknown error"
        return f"ExecutorFailedEvent(executor_id={self.executor_id}, error={reason})"

    __repr__ = __str__


@dataclass(repr=False)
class WorkflowOutputEvent(WorkflowEvent):
    source_executor_id: str = ""
    shown: ClassVar[tuple[str, ...]] = ("data", "source_executor_id")


@dataclass(repr=False)
class WorkflowWarningEvent(WorkflowEvent):
    """Something an executor did that the engine refused or corrected (``data`` says what)."""


@dataclass(repr=False)
class WorkflowFailedEvent(WorkflowEvent):
    details: WorkflowErrorDetails | None = None
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK

    def __str__(self) -> str:
        reason = self.details.one_line() if self.details else "unknown error"
        return f"WorkflowFailedEvent(error={reason})"

    __repr__ = __str__


@dataclass(repr=False)
class RequestInfoEvent(WorkflowEvent):
    """A human (or outside system) is asked for an answer; the run pauses for it."""

    request_id: str = ""
    source_executor_id: str = ""
    request_type: str = ""
    shown: ClassVar[tuple[str, ...]] = ("request_id", "source_executor_id", "request_type")


@dataclass(repr=False)
class CheckpointSavedEvent(WorkflowEvent):
    checkpoint_id: str = ""
    iteration: int = 0
    # The run (workflow id) it belongs to, when the engine knows it: a journal names its
    # execution's run by it rather than reading the checkpoint back.
    workflow_id: str = field(default="", compare=False)
    shown: ClassVar[tuple[str, ...]] = ("checkpoint_id", "iteration")
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.FRAMEWORK
