"""A built workflow and its superstep runner.

One superstep delivers every pending message; the executors that receive them run concurrently
as asyncio tasks (each one handling its own messages in order); what they send is delivered in
the next superstep. State and shared state are staged and committed at the boundary, then a
checkpoint is saved. A failed superstep commits nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.model import (
    CheckpointSummary,
    WorkflowCheckpoint,
    new_checkpoint_id,
    utc_timestamp,
)
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointError, CheckpointStorage
from wftui.engine.context import WorkflowContext
from wftui.engine.edges import INPUT_SOURCE_ID, EdgeGroup, EdgeInfo, Routed, RoutingError, route
from wftui.engine.events import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)
from wftui.engine.executor import Executor
from wftui.engine.request_info import RequestResponse, coerce_answer, expected_answer_type
from wftui.engine.state import Message, StoredValue, SuperstepScope
from wftui.engine.typing_utils import type_name


class WorkflowRunError(Exception):
    """A run cannot start or continue; the message is for the user."""


class CheckpointNotFoundError(WorkflowRunError):
    pass


class GraphMismatchError(WorkflowRunError):
    """The checkpoint was written by a different graph than this workflow's."""


@dataclass(frozen=True)
class ExecutorInfo:
    id: str
    type_name: str
    input_types: list[str]


@dataclass(frozen=True)
class WorkflowGraph:
    """The graph as data, for UIs and for the signature."""

    executors: list[ExecutorInfo]
    edges: list[EdgeInfo]
    start_executor_id: str

    def describe(self) -> dict[str, Any]:
        """A compact, stable description (stored on a run's first checkpoint)."""
        return {
            "start": self.start_executor_id,
            "executors": {info.id: info.type_name for info in self.executors},
            "edges": sorted([e.source_id, e.target_id, e.kind.value] for e in self.edges),
        }


class WorkflowRunResult(list[WorkflowEvent]):
    """All events of a run, with the questions people ask of them."""

    def get_outputs(self) -> list[Any]:
        return [event.data for event in self if isinstance(event, WorkflowOutputEvent)]

    def get_request_info_events(self) -> list[RequestInfoEvent]:
        return [event for event in self if isinstance(event, RequestInfoEvent)]

    def get_final_state(self) -> WorkflowRunState:
        states = [event.state for event in self if isinstance(event, WorkflowStatusEvent)]
        return states[-1] if states else WorkflowRunState.IN_PROGRESS


@dataclass
class _RunState:
    """Everything committed so far; exactly what a checkpoint holds."""

    workflow_id: str
    iteration: int = 0
    pending: list[Message] = field(default_factory=list)
    shared_state: dict[str, StoredValue] = field(default_factory=dict)
    executor_states: dict[str, StoredValue] = field(default_factory=dict)
    fan_in_buffers: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    pending_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_checkpoint_id: str | None = None
    # Writes of executors that finished a superstep that then failed; replayed on retry.
    completed_writes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Routing of ``pending``, computed once for both the checkpoint and the next delivery.
    routed: Routed | None = None


class _ExecutorDone:
    """Queue marker: one executor's task of the superstep has ended."""

    def __init__(self, executor_id: str, error: BaseException | None = None) -> None:
        self.executor_id = executor_id
        self.error = error


class Workflow:
    """A validated graph of executors. Build with WorkflowBuilder; run, stream, resume."""

    def __init__(
        self,
        *,
        executors: dict[str, Executor],
        groups: list[EdgeGroup],
        start_executor_id: str,
        max_iterations: int,
        name: str,
        checkpoint_storage: CheckpointStorage | None,
    ) -> None:
        self.executors = executors
        self.name = name
        self.max_iterations = max_iterations
        self.checkpoint_storage = checkpoint_storage
        self.start_executor_id = start_executor_id
        self._groups_by_source: dict[str, list[EdgeGroup]] = {}
        for group in groups:
            for source in group.source_ids:
                self._groups_by_source.setdefault(source, []).append(group)
        self.graph = WorkflowGraph(
            executors=[
                ExecutorInfo(e.id, type(e).__name__, [type_name(t) for t in e.input_types])
                for e in executors.values()
            ],
            edges=[edge for group in groups for edge in group.edges],
            start_executor_id=start_executor_id,
        )
        described = json.dumps(self.graph.describe(), sort_keys=True).encode()
        self.signature = hashlib.sha256(described).hexdigest()[:16]
        self._state: _RunState | None = None
        self._running = False
        self.status: WorkflowRunState | None = None

    # ----- public entry points -----

    def run_stream(self, message: Any) -> AsyncIterator[WorkflowEvent]:
        """Start a new run with ``message`` for the start executor; yield events as they happen."""
        state = _RunState(workflow_id=uuid.uuid4().hex)
        state.pending.append(Message(message, INPUT_SOURCE_ID, self.start_executor_id))
        return self._drive(state, self.checkpoint_storage, save_initial=True)

    async def run(self, message: Any) -> WorkflowRunResult:
        return WorkflowRunResult([event async for event in self.run_stream(message)])

    async def run_stream_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Continue from a saved checkpoint: only the work not yet done runs."""
        storage = checkpoint_storage or self.checkpoint_storage
        if storage is None:
            raise WorkflowRunError(
                "no checkpoint storage: pass checkpoint_storage= or build with with_checkpointing()"
            )
        state = await self._restore(checkpoint_id, storage)
        if responses:
            self._apply_responses(state, responses)
        async for event in self._drive(state, storage, save_initial=False, announce_requests=True):
            yield event

    async def run_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
    ) -> WorkflowRunResult:
        stream = self.run_stream_from_checkpoint(checkpoint_id, checkpoint_storage, responses)
        return WorkflowRunResult([event async for event in stream])

    async def send_responses_streaming(
        self, responses: Mapping[str, Any]
    ) -> AsyncIterator[WorkflowEvent]:
        """Answer pending requests of this instance's last run and continue it."""
        if self._state is None or not self._state.pending_requests:
            raise WorkflowRunError("this workflow has no pending requests to answer")
        self._apply_responses(self._state, responses)
        async for event in self._drive(self._state, self.checkpoint_storage, save_initial=False):
            yield event

    async def send_responses(self, responses: Mapping[str, Any]) -> WorkflowRunResult:
        return WorkflowRunResult(
            [event async for event in self.send_responses_streaming(responses)]
        )

    # ----- the run loop -----

    async def _drive(
        self,
        state: _RunState,
        storage: CheckpointStorage | None,
        *,
        save_initial: bool,
        announce_requests: bool = False,
    ) -> AsyncIterator[WorkflowEvent]:
        if self._running:
            raise WorkflowRunError(f"workflow {self.name!r} is already running")
        self._running = True
        self._state = state
        self.status = WorkflowRunState.IN_PROGRESS
        try:
            yield WorkflowStartedEvent()
            yield WorkflowStatusEvent(state=WorkflowRunState.IN_PROGRESS)
            if announce_requests:
                for record in state.pending_requests.values():
                    yield _request_event(record)
            if save_initial and storage is not None:
                yield await self._save(state, storage, graph=True)
            while state.pending:
                limit_failure = self._iteration_limit_failure(state)
                failure = limit_failure
                if limit_failure is None:
                    async for event in self._superstep(state, storage):
                        yield event
                        if isinstance(event, WorkflowFailedEvent):
                            failure = event
                else:
                    yield limit_failure
                if failure is not None:
                    if storage is not None:
                        with contextlib.suppress(CheckpointError):
                            yield await self._save(state, storage, error=failure.details)
                    self.status = WorkflowRunState.FAILED
                    yield WorkflowStatusEvent(state=WorkflowRunState.FAILED)
                    return
            final = (
                WorkflowRunState.IDLE_WITH_PENDING_REQUESTS
                if state.pending_requests
                else WorkflowRunState.IDLE
            )
            self.status = final
            yield WorkflowStatusEvent(state=final)
        except asyncio.CancelledError:
            self.status = WorkflowRunState.CANCELLED
            raise
        finally:
            self._running = False

    def _iteration_limit_failure(self, state: _RunState) -> WorkflowFailedEvent | None:
        if state.iteration < self.max_iterations:
            return None
        details = WorkflowErrorDetails(
            error_type="MaxIterationsExceeded",
            message=(
                f"the run needs more than max_iterations={self.max_iterations} supersteps; "
                "raise WorkflowBuilder(max_iterations=...) if that is expected"
            ),
        )
        return WorkflowFailedEvent(details=details)

    def _route(self, state: _RunState) -> Routed:
        if state.routed is None:
            state.routed = route(
                state.pending, self._groups_by_source, self.executors, state.fan_in_buffers
            )
        return state.routed

    async def _superstep(
        self, state: _RunState, storage: CheckpointStorage | None
    ) -> AsyncIterator[WorkflowEvent]:
        iteration = state.iteration + 1
        yield SuperStepStartedEvent(iteration=iteration)
        try:
            routed = self._route(state)
        except RoutingError as error:
            yield WorkflowFailedEvent(details=WorkflowErrorDetails.from_exception(error))
            return
        events: asyncio.Queue[Any] = asyncio.Queue()
        scope = SuperstepScope(events=events)
        for executor_id, writes in state.completed_writes.items():
            if executor_id in routed.deliveries:
                self._replay(executor_id, writes, scope)
        tasks = [
            asyncio.create_task(self._run_executor(executor_id, messages, scope, state))
            for executor_id, messages in routed.deliveries.items()
            if executor_id not in state.completed_writes
        ]
        # A failing executor does not cancel its siblings: they finish, and their writes are
        # kept in the failed checkpoint so a resume does not pay for their work again.
        failures: list[tuple[str, BaseException]] = []
        try:
            remaining = len(tasks)
            while remaining:
                item = await events.get()
                if not isinstance(item, _ExecutorDone):
                    yield item
                    continue
                remaining -= 1
                if item.error is not None:
                    failures.append((item.executor_id, item.error))
        finally:
            for task in tasks:
                task.cancel()  # only when the run itself is being cancelled or closed
            await asyncio.gather(*tasks, return_exceptions=True)
        while not events.empty():
            item = events.get_nowait()
            if not isinstance(item, _ExecutorDone):
                yield item
        if failures:
            failed_ids = {executor_id for executor_id, _ in failures}
            state.completed_writes = {
                executor_id: scope.writes_of(executor_id)
                for executor_id in routed.deliveries
                if executor_id not in failed_ids
            }
            reports = [
                WorkflowErrorDetails.from_exception(error, executor_id)
                for executor_id, error in failures
            ]
            for details in reports:
                yield ExecutorFailedEvent(executor_id=details.executor_id or "", details=details)
            yield WorkflowFailedEvent(details=reports[0])
            return
        self._commit(state, routed, scope, iteration)
        yield SuperStepCompletedEvent(iteration=iteration)
        if storage is not None:
            try:
                yield await self._save(state, storage)
            except CheckpointError as error:
                yield WorkflowFailedEvent(details=WorkflowErrorDetails.from_exception(error))

    def _replay(self, executor_id: str, writes: dict[str, Any], scope: SuperstepScope) -> None:
        """Stage what ``executor_id`` wrote before a failure instead of running it again."""
        scope.replay(executor_id, writes)
        for output in writes.get("outputs", []):
            scope.events.put_nowait(
                WorkflowOutputEvent(data=output, source_executor_id=executor_id)
            )
        scope.events.put_nowait(
            ExecutorCompletedEvent(data="replayed from checkpoint", executor_id=executor_id)
        )

    async def _run_executor(
        self, executor_id: str, messages: list[Message], scope: SuperstepScope, state: _RunState
    ) -> None:
        executor = self.executors[executor_id]
        error: BaseException | None = None
        try:
            for message in messages:
                spec = executor.find_handler(message.data)
                if spec is None:
                    raise TypeError(
                        f"{executor_id} has no handler for {type(message.data).__name__}"
                    )
                scope.events.put_nowait(ExecutorInvokedEvent(executor_id=executor_id))
                ctx: WorkflowContext[Any, Any] = WorkflowContext(
                    executor_id,
                    scope=scope,
                    committed_shared_state=state.shared_state,
                    committed_state=state.executor_states.get(executor_id),
                    source_id=message.source_id,
                    spec=spec,
                )
                await spec.function(executor, message.data, ctx)
                scope.events.put_nowait(ExecutorCompletedEvent(executor_id=executor_id))
        except asyncio.CancelledError as cancelled:
            current = asyncio.current_task()
            if current is None or current.cancelling():
                raise  # the run or the superstep is cancelling this task
            # Something the handler awaited was cancelled: its work did not happen, so this is
            # a failure, never a silent success.
            error = cancelled
        except Exception as raised:
            error = raised
        finally:
            scope.events.put_nowait(_ExecutorDone(executor_id, error))

    def _commit(
        self, state: _RunState, routed: Routed, scope: SuperstepScope, iteration: int
    ) -> None:
        order = list(routed.deliveries)
        for executor_id in order:
            if executor_id in scope.executor_states:
                state.executor_states[executor_id] = scope.executor_states[executor_id]
            state.shared_state.update(scope.shared_state.get(executor_id, {}))
        for record in scope.new_requests.values():
            state.pending_requests[record["request_id"]] = record
        state.pending = [message for eid in order for message in scope.sent.get(eid, [])]
        state.fan_in_buffers = routed.fan_in_buffers
        state.iteration = iteration
        state.routed = None
        state.completed_writes = {}

    async def _save(
        self,
        state: _RunState,
        storage: CheckpointStorage,
        *,
        graph: bool = False,
        error: WorkflowErrorDetails | None = None,
    ) -> CheckpointSavedEvent:
        messages: dict[str, list[dict[str, Any]]] = {}
        for message in state.pending:
            messages.setdefault(message.source_id, []).append(message.as_checkpoint_entry())
        try:
            next_ids = list(self._route(state).deliveries)
        except RoutingError:
            next_ids = []
        # Fields with default factories are passed: pydantic inspects each factory's signature
        # when it calls one, which was half the cost of building a checkpoint.
        checkpoint = WorkflowCheckpoint.model_construct(
            checkpoint_id=new_checkpoint_id(),
            timestamp=utc_timestamp(),
            metadata={},
            workflow_id=state.workflow_id,
            workflow_name=self.name,
            parent_checkpoint_id=state.last_checkpoint_id,
            iteration_count=state.iteration,
            max_iterations=self.max_iterations,
            messages=messages,
            shared_state={key: stored.live for key, stored in state.shared_state.items()},
            executor_states={eid: stored.live for eid, stored in state.executor_states.items()},
            pending_requests=dict(state.pending_requests),
            fan_in_buffers=state.fan_in_buffers,
            next_executor_ids=next_ids,
            completed_writes=state.completed_writes if error is not None else {},
            graph_signature=self.signature,
            graph=self.graph.describe() if graph else None,
            error=(
                {
                    "error_type": error.error_type,
                    "message": error.message,
                    "executor_id": error.executor_id,
                }
                if error is not None
                else None
            ),
        )
        encoded = EncodedFragments(
            executor_states={eid: (s.live, s.encoded) for eid, s in state.executor_states.items()},
            shared_state={key: (s.live, s.encoded) for key, s in state.shared_state.items()},
        )
        await storage.save_checkpoint(checkpoint, encoded=encoded)
        state.last_checkpoint_id = checkpoint.checkpoint_id
        return CheckpointSavedEvent(
            checkpoint_id=checkpoint.checkpoint_id, iteration=checkpoint.iteration_count
        )

    # ----- resume -----

    async def _restore(self, checkpoint_id: str, storage: CheckpointStorage) -> _RunState:
        try:
            loaded = await storage.load_with_fragments(checkpoint_id)
        except CheckpointDecodingError:
            # Another graph's checkpoint names types this one never declared; say that, not
            # "register the type", when the listing's signature shows it.
            summary = next(
                (s for s in await storage.list_summaries() if s.checkpoint_id == checkpoint_id),
                None,
            )
            if summary is not None and summary.graph_signature != self.signature:
                raise GraphMismatchError(await self._describe_mismatch(summary, storage)) from None
            raise
        if loaded is None:
            raise CheckpointNotFoundError(f"no checkpoint with id {checkpoint_id!r}")
        checkpoint, fragments = loaded
        if checkpoint.graph_signature != self.signature:
            raise GraphMismatchError(await self._describe_mismatch(checkpoint, storage))
        return _RunState(
            workflow_id=checkpoint.workflow_id,
            iteration=checkpoint.iteration_count,
            pending=[
                Message(entry["data"], entry["source_id"], entry.get("target_id"))
                for batch in checkpoint.messages.values()
                for entry in batch
            ],
            shared_state=_stored(checkpoint, "shared_state", fragments),
            executor_states=_stored(checkpoint, "executor_states", fragments),
            fan_in_buffers=checkpoint.fan_in_buffers,
            pending_requests=dict(checkpoint.pending_requests),
            last_checkpoint_id=checkpoint.checkpoint_id,
            completed_writes=checkpoint.completed_writes,
        )

    async def _describe_mismatch(
        self, checkpoint: WorkflowCheckpoint | CheckpointSummary, storage: CheckpointStorage
    ) -> str:
        """Say what differs, using the graph kept on the run's first checkpoint."""
        head = (
            f"checkpoint {checkpoint.checkpoint_id} was written by a different graph "
            f"(workflow {checkpoint.workflow_name!r}) than {self.name!r}"
        )
        theirs = getattr(checkpoint, "graph", None)
        if theirs is None:
            ids = await storage.list_checkpoint_ids(checkpoint.workflow_id)
            first = None
            with contextlib.suppress(CheckpointError):
                first = await storage.load_checkpoint(ids[0]) if ids else None
            theirs = first.graph if first is not None else None
        if theirs is None:
            return head
        ours = self.graph.describe()
        differences = []
        missing = sorted(set(theirs["executors"]) - set(ours["executors"]))
        added = sorted(set(ours["executors"]) - set(theirs["executors"]))
        if missing:
            differences.append(f"executors missing here: {', '.join(missing)}")
        if added:
            differences.append(f"executors not in the checkpoint: {', '.join(added)}")
        changed = sorted(
            eid
            for eid in set(theirs["executors"]) & set(ours["executors"])
            if theirs["executors"][eid] != ours["executors"][eid]
        )
        if changed:
            differences.append(f"executor types changed: {', '.join(changed)}")
        their_edges = {tuple(edge) for edge in theirs["edges"]}
        our_edges = {tuple(edge) for edge in ours["edges"]}
        if their_edges != our_edges:
            gone = sorted(f"{s}->{t}" for s, t, _ in their_edges - our_edges)
            new = sorted(f"{s}->{t}" for s, t, _ in our_edges - their_edges)
            differences.append(
                "edges differ"
                + (f"; only in checkpoint: {', '.join(gone)}" if gone else "")
                + (f"; only here: {', '.join(new)}" if new else "")
            )
        if theirs.get("start") != ours["start"]:
            differences.append(f"start executor {theirs.get('start')} vs {ours['start']}")
        return f"{head}: {'; '.join(differences) or 'signatures differ'}"

    def _apply_responses(self, state: _RunState, responses: Mapping[str, Any]) -> None:
        for request_id, value in responses.items():
            record = state.pending_requests.get(request_id)
            if record is None:
                pending = ", ".join(state.pending_requests) or "none"
                raise WorkflowRunError(f"no pending request {request_id!r} (pending: {pending})")
            asker = self.executors.get(record["source_executor_id"])
            expected = expected_answer_type(asker, record["data"]) if asker else Any
            try:
                answer = coerce_answer(expected, value)
            except ValueError as error:
                raise WorkflowRunError(
                    f"the answer {value!r} to request {request_id} does not fit "
                    f"{type_name(expected)}: {_reason(error)}"
                ) from None
            reply = RequestResponse(
                data=answer, original_request=record["data"], request_id=request_id
            )
            state.pending.append(
                Message(reply, record["request_executor_id"], record["source_executor_id"])
            )
            del state.pending_requests[request_id]
        state.routed = None


def _request_event(record: Mapping[str, Any]) -> RequestInfoEvent:
    return RequestInfoEvent(
        data=record["data"],
        request_id=record["request_id"],
        source_executor_id=record["source_executor_id"],
        request_type=record["request_type"],
    )


def _reason(error: ValueError) -> str:
    """pydantic's first complaint, without its multi-line report and help link."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"])
    return str(error)


def _stored(
    checkpoint: WorkflowCheckpoint, section: str, fragments: EncodedFragments
) -> dict[str, StoredValue]:
    """A loaded checkpoint's state as the engine keeps it, reusing the stored encoding
    (the storage's fragments) instead of encoding every value again."""
    values: dict[str, Any] = getattr(checkpoint, section)
    ready = fragments.reusable(section, values)
    return {
        key: StoredValue(ready[key], value)
        if key in ready
        else StoredValue.of(value, f"{section}.{key}")
        for key, value in values.items()
    }
