"""The handle a handler gets: send, yield, state, shared state, events."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Never

from typing_extensions import TypeVar

from wftui.checkpoint.codec import encode_value
from wftui.checkpoint.document import text_problem
from wftui.engine.events import (
    WorkflowEvent,
    WorkflowEventSource,
    WorkflowOutputEvent,
    WorkflowWarningEvent,
)
from wftui.engine.ledger import Counts, RunLedger, checked_counts
from wftui.engine.records import Message, PendingRequest
from wftui.engine.state import StoredValue, SuperstepScope
from wftui.engine.typing_utils import match_distance, type_name

if TYPE_CHECKING:
    from wftui.engine.executor import HandlerSpec

TOut = TypeVar("TOut", default=Never)
TWorkflowOut = TypeVar("TWorkflowOut", default=Never)


class WorkflowContext(Generic[TOut, TWorkflowOut]):
    """``WorkflowContext[TOut]`` sends TOut; ``WorkflowContext[TOut, TW]`` also yields TW outputs."""

    def __init__(
        self,
        executor_id: str,
        *,
        scope: SuperstepScope,
        committed_shared_state: Mapping[str, StoredValue],
        committed_state: StoredValue | None,
        source_id: str,
        spec: HandlerSpec | None = None,
        ledger: RunLedger | None = None,
    ) -> None:
        self.executor_id = executor_id
        self.source_id = source_id
        self._scope = scope
        self._committed_shared_state = committed_shared_state
        self._committed_state = committed_state
        self._spec = spec
        self._ledger = ledger if ledger is not None else RunLedger()

    def _check_declared(self, value: Any, declared: tuple[Any, ...] | None, verb: str) -> None:
        if declared is None or self._spec is None:
            return
        if not any(match_distance(value, t) is not None for t in declared):
            allowed = " | ".join(type_name(t) for t in declared) or "nothing"
            raise TypeError(
                f"{self.executor_id}.{self._spec.name} {verb} {type(value).__name__}, "
                f"but its WorkflowContext declares {allowed}"
            )

    async def send_message(self, message: Any, target_id: str | None = None) -> None:
        """Deliver ``message`` along this executor's edges in the next superstep."""
        self._check_declared(message, self._spec.output_types if self._spec else None, "sent")
        sent = self._scope.sent.setdefault(self.executor_id, [])
        if self._scope.checkpointed:
            # Refused here, failing this executor at the line that sent it, rather than by the
            # save after the superstep, where no executor is to blame.
            encode_value(message, f"messages.{self.executor_id}[{len(sent)}].data")
        sent.append(Message(message, self.executor_id, target_id))

    async def yield_output(self, value: Any) -> None:
        """Emit a workflow output (a WorkflowOutputEvent)."""
        declared = self._spec.workflow_output_types if self._spec else None
        self._check_declared(value, declared, "yielded")
        self._scope.outputs.setdefault(self.executor_id, []).append(value)
        self._scope.events.put_nowait(
            WorkflowOutputEvent(data=value, source_executor_id=self.executor_id)
        )

    async def add_event(self, event: WorkflowEvent) -> None:
        """Emit a custom event; the engine's own kinds (status, failure...) are the engine's to
        emit, so one of those becomes a WorkflowWarningEvent instead of misleading the UI."""
        if event.origin is WorkflowEventSource.FRAMEWORK:
            event = WorkflowWarningEvent(
                data=f"{self.executor_id} emitted {type(event).__name__}, which is reserved "
                "for the engine's own lifecycle notifications; it was not delivered"
            )
        self._scope.events.put_nowait(event)

    async def get_state(self) -> dict[str, Any] | None:
        """This executor's own state as last set (its own writes in this superstep included)."""
        stored = self._scope.executor_states.get(self.executor_id, self._committed_state)
        if stored is None:
            return None
        state: dict[str, Any] = stored.read()
        return state

    async def set_state(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise TypeError(
                f"{self.executor_id}: set_state takes a dict, not {type(state).__name__}"
            )
        self._scope.executor_states[self.executor_id] = StoredValue.of(
            state, f"executor_states.{self.executor_id}"
        )

    async def get_shared_state(self, key: str) -> Any:
        """The committed value, or this executor's own write from this superstep."""
        own = self._scope.shared_state.get(self.executor_id, {})
        stored = own.get(key) or self._committed_shared_state.get(key)
        if stored is None:
            raise KeyError(f"shared state has no key {key!r}")
        return stored.read()

    async def set_shared_state(self, key: str, value: Any) -> None:
        """Staged now, visible to other executors from the next superstep.

        A key a checkpoint cannot store is refused here, failing this executor at the call
        rather than the save after the superstep."""
        problem = text_problem(key)
        if problem is not None:
            error = TypeError if not isinstance(key, str) else ValueError
            raise error(
                f"{self.executor_id}: the shared state key {key!r} {problem}; "
                "keys are saved as text in checkpoints"
            )
        stored = StoredValue.of(value, f"shared_state.{key}")
        self._scope.shared_state.setdefault(self.executor_id, {})[key] = stored

    async def request_info(self, request: Any, request_id: str) -> None:
        """Park ``request`` for an outside answer (RequestInfoExecutor uses this)."""
        pending = PendingRequest(
            request_id=request_id,
            source_executor_id=self.source_id,
            request_executor_id=self.executor_id,
            data=request,
            request_type=type(request).__name__,
        )
        self._scope.new_requests[request_id] = pending
        self._scope.events.put_nowait(pending.event())

    def record_usage(self, counts: Mapping[str, Any]) -> None:
        """Add what this executor spent (whole numbers by name, nested: see ``engine.ledger``)
        to the run's ledger, which checkpoints keep."""
        self._ledger.record(self.executor_id, checked_counts(counts, "usage"))

    def record_saved(self, counts: Mapping[str, Any]) -> None:
        """Add what this executor did without paying for it (a replayed answer) to what the
        run saved; it counts toward no budget."""
        self._ledger.record_saved(checked_counts(counts, "usage"))

    def run_usage(self) -> Counts:
        """What the whole run has spent so far, across resumes (a copy)."""
        return copy.deepcopy(self._ledger.totals)
