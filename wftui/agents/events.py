"""The events an agent adds to a run: its reply streamed in chunks, then whole.

They belong to the agents, not the engine: the engine runs any executor and never looks at
them. They are executor events, so the log, the graph and the CLI show them like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wftui.agents.types import UsageDetails
from wftui.engine.events import ExecutorEvent, WorkflowEventSource


@dataclass(repr=False)
class AgentRunUpdateEvent(ExecutorEvent):
    """One streamed chunk of an agent's reply (``data`` is the chunk's text)."""

    shown: ClassVar[tuple[str, ...]] = ("executor_id", "data")
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.EXECUTOR


@dataclass(repr=False)
class AgentRunEvent(ExecutorEvent):
    """An agent's whole reply (``data`` is the AgentRunResponse), with what the call used:
    tokens (None when the backend reported none), the model, and seconds taken."""

    usage: UsageDetails | None = None
    model: str | None = None
    duration: float | None = None
    origin: ClassVar[WorkflowEventSource] = WorkflowEventSource.EXECUTOR
