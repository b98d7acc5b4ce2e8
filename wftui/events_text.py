"""Events as text without Textual: the event log's one-line records and the JSON lines the
CLI prints, shared by the app, the headless commands and the run journal."""

from __future__ import annotations

import json
import pprint
from collections.abc import Callable
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


def _line(event: WorkflowEvent, kind: str, text: str = "", tone: Tone = Tone.PLAIN) -> LogRecord:
    executor = event.executor_id if isinstance(event, ExecutorEvent) else ""
    return LogRecord(event.timestamp, kind, executor, text, tone)


def _started(event: WorkflowStartedEvent) -> LogRecord:
    return _line(event, "run", "started", Tone.QUIET)


def _status(event: WorkflowStatusEvent) -> LogRecord:
    status = RunStatus.from_run_state(event.state)
    tone = Tone.FAILURE if status is RunStatus.FAILED else Tone.QUIET
    return _line(event, "status", f"{status.symbol} {status.value}", tone)


def _superstep_started(event: SuperStepStartedEvent) -> LogRecord:
    return _line(event, "superstep", f"{event.iteration} started", Tone.QUIET)


def _superstep_completed(event: SuperStepCompletedEvent) -> LogRecord:
    return _line(event, "superstep", f"{event.iteration} completed", Tone.QUIET)


def _invoked(event: ExecutorInvokedEvent) -> LogRecord:
    return _line(event, "invoked")


def _completed(event: ExecutorCompletedEvent) -> LogRecord:
    return _line(event, "completed")


def _failed(event: ExecutorFailedEvent | WorkflowFailedEvent) -> LogRecord:
    details = event.details
    line = _line(event, "FAILED", details.one_line() if details else "unknown error", Tone.FAILURE)
    if details and details.executor_id:
        line.executor = details.executor_id
    if details and details.traceback:
        line.detail = f"{line.text}\n\n{details.traceback.rstrip()}"
    return line


def _output(event: WorkflowOutputEvent) -> LogRecord:
    line = _line(event, "OUTPUT", one_line(event.data, 2000), Tone.OUTPUT)
    line.executor = event.source_executor_id
    return _whole(line, full_text(event.data))


def _request(event: RequestInfoEvent) -> LogRecord:
    request_id = event.request_id
    text = f"{event.request_type} {one_line(data_text(event.data), 500)} id={request_id}"
    line = _line(event, "request", text, Tone.REQUEST)
    line.executor = event.source_executor_id
    return _whole(line, f"{event.request_type} id={request_id}\n{full_text(event.data)}")


def _agent_update(event: AgentRunUpdateEvent) -> LogRecord:
    line = _line(event, "agent", one_line(str(event.data or ""), 2000), Tone.AGENT)
    line.stream = line.executor
    return line


def _agent_reply(event: AgentRunEvent) -> LogRecord:
    reply = getattr(event.data, "text", event.data)
    return _whole(_line(event, "agent", one_line(reply, 2000), Tone.AGENT), full_text(reply))


def _checkpoint(event: CheckpointSavedEvent) -> LogRecord:
    text = f"{short_id(event.checkpoint_id)} superstep {event.iteration}"
    return _line(event, "checkpoint", text, Tone.CHECKPOINT)


def _other(event: WorkflowEvent) -> LogRecord:
    kind = type(event).__name__.removesuffix("Event").lower()
    return _whole(_line(event, kind, one_line(event.data, 500)), full_text(event.data))


# Each kind of event's line, found by its class (or the nearest base class listed): a dict
# lookup, where a ``match`` over the classes tried them one by one, for every event.
_DESCRIBERS: dict[type[Any], Callable[[Any], LogRecord]] = {
    WorkflowStartedEvent: _started,
    WorkflowStatusEvent: _status,
    SuperStepStartedEvent: _superstep_started,
    SuperStepCompletedEvent: _superstep_completed,
    ExecutorInvokedEvent: _invoked,
    ExecutorCompletedEvent: _completed,
    ExecutorFailedEvent: _failed,
    WorkflowFailedEvent: _failed,
    WorkflowOutputEvent: _output,
    RequestInfoEvent: _request,
    AgentRunUpdateEvent: _agent_update,
    AgentRunEvent: _agent_reply,
    CheckpointSavedEvent: _checkpoint,
}
_describer_of: dict[type[Any], Callable[[Any], LogRecord]] = {}


def describe(event: WorkflowEvent) -> LogRecord:
    """The event log's line for ``event``: time, a short kind, the executor, the detail."""
    describer = _describer_of.get(type(event))
    if describer is None:
        found = (_DESCRIBERS.get(cls) for cls in type(event).__mro__)
        describer = _describer_of[type(event)] = next(filter(None, found), _other)
    return describer(event)


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
    as_is = True  # every value already what the round trip below would give (most events)
    for name in event.shown:
        value = fields[name] = getattr(event, name)
        if type(value) not in _JSON_SCALARS:
            if isinstance(value, str):  # a StrEnum (a run's state): JSON has only its text
                fields[name] = str.__str__(value)
            else:
                as_is = False
    details = getattr(event, "details", None)
    if details is not None:
        fields["error"] = details.one_line()
    if as_is:
        return fields
    plain: dict[str, Any] = json.loads(json.dumps(fields, default=str, ensure_ascii=False))
    return plain


def event_json(event: WorkflowEvent) -> str:
    """One JSON object per event, as ``wftui run --json`` prints it."""
    return json.dumps(event_fields(event), ensure_ascii=False)
