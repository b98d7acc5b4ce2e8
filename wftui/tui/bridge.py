"""The one bridge from the engine to the UI: event streams in, batched Textual messages out.

The engine knows nothing of Textual. A run's events are collected here and posted (to the main
screen, which feeds the panes) as ``EngineEvents`` batches, at most ``FLUSH_INTERVAL`` apart, so a
flood of events costs a few repaints instead of one per event; batches still queued when the next
arrives merge into it. Events a person must react to flush at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum

from textual.message import Message
from textual.message_pump import MessagePump

from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.engine import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)
from wftui.tui.status import RunStatus
from wftui.tui.text import one_line, short_id

FLUSH_INTERVAL = 1 / 30


class Tone(Enum):
    """How a log line stands out; the event log maps each tone to a style."""

    PLAIN = "plain"
    QUIET = "quiet"
    OUTPUT = "output"
    FAILURE = "failure"
    REQUEST = "request"
    AGENT = "agent"
    CHECKPOINT = "checkpoint"


@dataclass(slots=True)
class LogRecord:
    """One line of the event log. ``stream`` names an agent whose chunks extend this line."""

    time: float
    kind: str
    executor: str
    text: str
    tone: Tone = Tone.PLAIN
    stream: str | None = None


def describe(event: WorkflowEvent) -> LogRecord:
    """The event log's line for ``event``: time, a short kind, the executor, the detail."""
    executor = event.executor_id if isinstance(event, ExecutorEvent) else ""

    def record(kind: str, text: str = "", tone: Tone = Tone.PLAIN) -> LogRecord:
        return LogRecord(event.timestamp, kind, executor, text, tone)

    match event:
        case WorkflowStartedEvent():
            return record("run", "started", Tone.QUIET)
        case WorkflowStatusEvent(state=state):
            status = RunStatus.from_run_state(state)
            tone = Tone.FAILURE if status is RunStatus.FAILED else Tone.QUIET
            return record("status", f"{status.symbol} {status.value}", tone)
        case SuperStepStartedEvent(iteration=iteration):
            return record("superstep", f"{iteration} started", Tone.QUIET)
        case SuperStepCompletedEvent(iteration=iteration):
            return record("superstep", f"{iteration} completed", Tone.QUIET)
        case ExecutorInvokedEvent():
            return record("invoked")
        case ExecutorCompletedEvent():
            return record("completed")
        case ExecutorFailedEvent(details=details) | WorkflowFailedEvent(details=details):
            line = record(
                "FAILED", details.one_line() if details else "unknown error", Tone.FAILURE
            )
            if details and details.executor_id:
                line.executor = details.executor_id
            return line
        case WorkflowOutputEvent(data=data, source_executor_id=source):
            line = record("OUTPUT", one_line(data, 2000), Tone.OUTPUT)
            line.executor = source
            return line
        case RequestInfoEvent(request_id=request_id, source_executor_id=source):
            text = f"{event.request_type} {one_line(data_text(event.data), 500)} id={request_id}"
            line = record("request", text, Tone.REQUEST)
            line.executor = source
            return line
        case AgentRunUpdateEvent(data=chunk):
            line = record("agent", one_line(str(chunk or ""), 2000), Tone.AGENT)
            line.stream = executor
            return line
        case AgentRunEvent(data=response):
            return record("agent", one_line(getattr(response, "text", response), 2000), Tone.AGENT)
        case CheckpointSavedEvent(checkpoint_id=checkpoint_id, iteration=iteration):
            return record(
                "checkpoint", f"{short_id(checkpoint_id)} superstep {iteration}", Tone.CHECKPOINT
            )
    return record(type(event).__name__.removesuffix("Event").lower(), one_line(event.data, 500))


def echoes_a_failure(event: WorkflowEvent) -> bool:
    """The run's failure event repeating an executor's: the log already has its FAILED line.

    The engine reports an executor that raised twice (the executor's failure, then the run's);
    a run failure with no executor (a routing error, a failed save) is its own line.
    """
    return (
        isinstance(event, WorkflowFailedEvent)
        and event.details is not None
        and bool(event.details.executor_id)
    )


def data_text(value: object) -> str:
    """A request's payload as ``field=value`` pairs, the way a person reads it."""
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None:
        return one_line(value, 500)
    pairs = (f"{name}={getattr(value, name)!r}" for name in fields if name != "request_id")
    return " ".join(pairs)


@dataclass
class EngineEvents(Message):
    """A batch of one run's events, in the order the engine emitted them."""

    events: list[WorkflowEvent]

    def can_replace(self, message: Message) -> bool:
        """A backlog of batches is handled as one: the next batch takes this one's events first.

        When the app falls behind a flood, queued batches merge instead of each costing a repaint.
        """
        if not isinstance(message, EngineEvents):
            return False
        message.events[:0] = self.events
        return True


_URGENT = (RequestInfoEvent, WorkflowStatusEvent, WorkflowFailedEvent)


class EventBridge:
    """Pumps one run's event stream into ``EngineEvents`` messages for ``target``."""

    def __init__(self, target: MessagePump, interval: float = FLUSH_INTERVAL) -> None:
        self._target = target
        self._interval = interval
        self._pending: list[WorkflowEvent] = []
        self._timer: asyncio.TimerHandle | None = None

    async def pump(self, stream: AsyncIterator[WorkflowEvent]) -> None:
        """Drain ``stream``; whatever happens, the events already seen reach the app."""
        loop = asyncio.get_running_loop()
        try:
            async for event in stream:
                self._pending.append(event)
                if isinstance(event, _URGENT):
                    self.flush()
                elif self._timer is None:
                    self._timer = loop.call_later(self._interval, self.flush)
                # An engine that never has to wait would otherwise starve the keyboard.
                await asyncio.sleep(0)
        finally:
            self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            batch, self._pending = self._pending, []
            self._target.post_message(EngineEvents(batch))
