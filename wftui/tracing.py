"""OpenTelemetry spans for a run, made from its events: ``traced(workflow.run_stream(...))``.

A run is a trace: one span for the run, a child per superstep, and under it a child per executor
invocation (executor id, message type, tokens, outcome); each model call an agent reports is a
``chat`` span named and attributed as the OpenTelemetry GenAI semantic conventions say
(``gen_ai.system``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens``...).

It is optional (``pip install wftui[otel]``) and costs nothing without it: opentelemetry is
imported here only, lazily, and when it is not installed ``traced`` hands the events through
untouched. Installed but not configured (no tracer provider set), its spans record nothing.
The engine never imports this module.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from wftui.engine.events import (
    ExecutorCompletedEvent,
    ExecutorEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from wftui.agents.client import ChatClient

TRACER_NAME = "wftui"
_NS = 1_000_000_000
# What the GenAI conventions call the provider, by the start of a backend's name.
_GEN_AI_SYSTEMS = (("Azure OpenAI", "az.ai.openai"), ("OpenAI", "openai"))


def available() -> bool:
    """Whether the OpenTelemetry API is installed (the ``otel`` extra)."""
    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


def gen_ai_system(backend_name: str) -> str:
    """``gen_ai.system`` for a chat backend: ``az.ai.openai``, ``openai`` or the backend's name."""
    for prefix, system in _GEN_AI_SYSTEMS:
        if backend_name.startswith(prefix) or f"of {prefix}" in backend_name:
            return system
    return backend_name.split(" (")[0].split(",")[0].lower().replace(" ", "_")


def _ns(timestamp: float) -> int:
    return int(timestamp * _NS)


class _RunSpans:
    """The open spans of one run, opened and closed as its events arrive."""

    def __init__(self, tracer: Tracer, name: str, chat_client: ChatClient | None) -> None:
        from opentelemetry import trace

        self._trace = trace
        self._tracer = tracer
        self._name = name
        self._chat_client = chat_client
        self._run: Span | None = None
        self._superstep: Span | None = None
        self._executors: dict[str, Span] = {}
        self._tokens: dict[str, tuple[int, int]] = {}

    def _child(self, parent: Span | None, name: str, at: float, **attributes: Any) -> Span:
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        return self._tracer.start_span(
            name, context=context, start_time=_ns(at), attributes=attributes
        )

    def _fail(self, span: Span, details: WorkflowErrorDetails | None) -> None:
        from opentelemetry.trace import Status, StatusCode

        reason = details.one_line() if details else "unknown error"
        span.set_status(Status(StatusCode.ERROR, reason))
        if details is not None:
            span.set_attribute("error.type", details.error_type)

    def see(self, event: WorkflowEvent) -> None:
        at = event.timestamp
        if self._run is None:
            self._run = self._child(
                None, f"workflow {self._name}", at, **{"wftui.workflow": self._name}
            )
        match event:
            case SuperStepStartedEvent(iteration=iteration):
                self._superstep = self._child(
                    self._run, f"superstep {iteration}", at, **{"wftui.superstep": iteration}
                )
            case SuperStepCompletedEvent():
                self._end_superstep(at)
            case ExecutorInvokedEvent(executor_id=executor_id, data=message_type):
                attributes: dict[str, Any] = {"wftui.executor.id": executor_id}
                if message_type:
                    attributes["wftui.message.type"] = str(message_type)
                self._executors[executor_id] = self._child(
                    self._superstep or self._run, f"executor {executor_id}", at, **attributes
                )
            case ExecutorCompletedEvent(executor_id=executor_id, data=note):
                outcome = "replayed" if note else "completed"
                if note and executor_id not in self._executors:  # replayed: no invocation
                    self._executors[executor_id] = self._child(
                        self._superstep or self._run, f"executor {executor_id}", at,
                        **{"wftui.executor.id": executor_id},
                    )  # fmt: skip
                self._end_executor(executor_id, outcome, at)
            case ExecutorFailedEvent(executor_id=executor_id, details=details):
                span = self._executors.get(executor_id)
                if span is not None:
                    self._fail(span, details)
                self._end_executor(executor_id, "failed", at)
            case RequestInfoEvent(source_executor_id=source):
                self._run.add_event("human request", {"wftui.executor.id": source}, _ns(at))
            case WorkflowFailedEvent(details=details):
                if self._superstep is not None:
                    self._fail(self._superstep, details)
                self._fail(self._run, details)
            case WorkflowStatusEvent(state=state) if state is not WorkflowRunState.IN_PROGRESS:
                self._run.set_attribute("wftui.run.state", state.value)
            case ExecutorEvent(executor_id=executor_id) if _is_model_call(event):
                self._model_call(executor_id, event)

    def _model_call(self, executor_id: str, event: WorkflowEvent) -> None:
        """A ``chat`` span for an agent's call, with the GenAI conventions' attributes."""
        usage = getattr(event, "usage", None) or getattr(event.data, "usage", None)
        client = self._chat_client
        model = getattr(event, "model", None) or (client.model_name if client else None)
        parent = self._executors.get(executor_id)
        duration = getattr(event, "duration", None)
        if isinstance(duration, int | float):
            start = event.timestamp - duration
        else:  # the call took the invocation up to its reply
            start_ns = getattr(parent, "start_time", None)
            start = start_ns / _NS if isinstance(start_ns, int) else event.timestamp
        attributes: dict[str, Any] = {"gen_ai.operation.name": "chat"}
        if client is not None:
            attributes["gen_ai.system"] = gen_ai_system(client.backend_name)
        if model:
            attributes["gen_ai.request.model"] = model
        input_tokens = getattr(usage, "input_tokens", None)
        output_tokens = getattr(usage, "output_tokens", None)
        if input_tokens is not None:
            attributes["gen_ai.usage.input_tokens"] = input_tokens
        if output_tokens is not None:
            attributes["gen_ai.usage.output_tokens"] = output_tokens
        name = f"chat {model}" if model else "chat"
        span = self._child(parent or self._superstep or self._run, name, start, **attributes)
        span.end(end_time=_ns(event.timestamp))
        spent_in, spent_out = self._tokens.get(executor_id, (0, 0))
        self._tokens[executor_id] = (
            spent_in + (input_tokens or 0),
            spent_out + (output_tokens or 0),
        )

    def _end_executor(self, executor_id: str, outcome: str, at: float) -> None:
        span = self._executors.pop(executor_id, None)
        if span is None:
            return
        span.set_attribute("wftui.outcome", outcome)
        spent = self._tokens.pop(executor_id, None)
        if spent is not None:
            span.set_attribute("gen_ai.usage.input_tokens", spent[0])
            span.set_attribute("gen_ai.usage.output_tokens", spent[1])
        span.end(end_time=_ns(at))

    def _end_superstep(self, at: float) -> None:
        if self._superstep is not None:
            self._superstep.end(end_time=_ns(at))
            self._superstep = None

    def close(self, at: float | None) -> None:
        """End whatever is still open (the run ended, failed or was cancelled)."""
        end = _ns(at) if at is not None else None
        for executor_id in list(self._executors):
            self._end_executor(executor_id, "unfinished", at or 0.0)
        if self._superstep is not None:
            self._superstep.end(end_time=end)
            self._superstep = None
        if self._run is not None:
            self._run.end(end_time=end)


def _is_model_call(event: WorkflowEvent) -> bool:
    from wftui.agents.events import AgentRunEvent

    return isinstance(event, AgentRunEvent)


async def traced(
    events: AsyncIterator[WorkflowEvent],
    *,
    name: str = "workflow",
    chat_client: ChatClient | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncIterator[WorkflowEvent]:
    """``events`` unchanged, with the run's spans made as they pass (see the module doc).

    ``chat_client`` names the model calls' provider and model; ``tracer_provider`` defaults to
    the global one the application configured.
    """
    if not available():
        async for event in events:
            yield event
        return
    from opentelemetry import trace

    tracer = trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider)
    spans = _RunSpans(tracer, name, chat_client)
    last: float | None = None
    try:
        async for event in events:
            spans.see(event)
            last = event.timestamp
            yield event
    finally:
        spans.close(last)
