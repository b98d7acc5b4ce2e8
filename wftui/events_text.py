"""Events as text without Textual: the event log's one-line records and the JSON lines the
CLI prints, shared by the app, the headless commands and the run journal."""

from __future__ import annotations

import json
import pprint
from dataclasses import dataclass
from enum import Enum
from typing import Any

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
    """One line of the event log. ``stream`` names an agent whose chunks extend this line;
    ``detail`` is the whole text when ``text`` had to be cut or folded onto one line."""

    time: float
    kind: str
    executor: str
    text: str
    tone: Tone = Tone.PLAIN
    stream: str | None = None
    detail: str | None = None

    @property
    def whole_text(self) -> str:
        """What the line says in full (its own text when nothing was cut)."""
        return self.text if self.detail is None else self.detail


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
            if details and details.traceback:
                line.detail = f"{line.text}\n\n{details.traceback.rstrip()}"
            return line
        case WorkflowOutputEvent(data=data, source_executor_id=source):
            line = _whole(record("OUTPUT", one_line(data, 2000), Tone.OUTPUT), full_text(data))
            line.executor = source
            return line
        case RequestInfoEvent(request_id=request_id, source_executor_id=source):
            text = f"{event.request_type} {one_line(data_text(event.data), 500)} id={request_id}"
            line = record("request", text, Tone.REQUEST)
            line.executor = source
            return _whole(line, f"{event.request_type} id={request_id}\n{full_text(event.data)}")
        case AgentRunUpdateEvent(data=chunk):
            line = record("agent", one_line(str(chunk or ""), 2000), Tone.AGENT)
            line.stream = executor
            return line
        case AgentRunEvent(data=response):
            reply = getattr(response, "text", response)
            return _whole(record("agent", one_line(reply, 2000), Tone.AGENT), full_text(reply))
        case CheckpointSavedEvent(checkpoint_id=checkpoint_id, iteration=iteration):
            return record(
                "checkpoint", f"{short_id(checkpoint_id)} superstep {iteration}", Tone.CHECKPOINT
            )
    kind = type(event).__name__.removesuffix("Event").lower()
    return _whole(record(kind, one_line(event.data, 500)), full_text(event.data))


def full_text(value: object) -> str:
    """A value in full for reading: text as it is, anything else laid out over lines."""
    return value if isinstance(value, str) else pprint.pformat(value, width=100)


def _whole(line: LogRecord, full: str) -> LogRecord:
    """Keep the whole text beside a line that was cut or folded (only then: most lines are
    short, and a log holds tens of thousands)."""
    if full != line.text:
        line.detail = full
    return line


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


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


def event_fields(event: WorkflowEvent) -> dict[str, Any]:
    """The event's kind, time and shown fields (values that are not JSON become their text)."""
    fields: dict[str, Any] = {"event": type(event).__name__, "timestamp": event.timestamp}
    fields.update((name, getattr(event, name)) for name in event.shown)
    details = getattr(event, "details", None)
    if details is not None:
        fields["error"] = details.one_line()
    if all(type(value) in _JSON_SCALARS for value in fields.values()):
        return fields  # already what the round trip below would give (most engine events)
    plain: dict[str, Any] = json.loads(json.dumps(fields, default=str, ensure_ascii=False))
    return plain


def event_json(event: WorkflowEvent) -> str:
    """One JSON object per event, as ``wftui run --json`` prints it."""
    return json.dumps(event_fields(event), ensure_ascii=False)
