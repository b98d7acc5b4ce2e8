"""The superstep runner.

One superstep delivers every pending message; the executors that receive them run concurrently
as asyncio tasks (each one handling its own messages in order); what they send is delivered in
the next superstep. State and shared state are staged and committed at the boundary, then a
checkpoint is saved (how durably: ``saves``). A failed superstep commits nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.context import WorkflowContext
from wftui.engine.current import CallSite, enter_call_site
from wftui.engine.edges import Routed, Router, RoutingError
from wftui.engine.errors import WorkflowAlreadyRunningError, WorkflowRunError
from wftui.engine.events import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
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
from wftui.engine.records import ExecutorWrites, Message
from wftui.engine.request_info import queue_answers
from wftui.engine.saves import DEFAULT_DURABILITY, Durability, RunSaves
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState, SuperstepScope
from wftui.engine.typing_utils import type_name


def _failure_in(
    event: WorkflowEvent, failure: WorkflowFailedEvent | None
) -> WorkflowFailedEvent | None:
    """The run's first failure, once ``event`` is seen."""
    if failure is None and isinstance(event, WorkflowFailedEvent):
        return event
    return failure


class _ExecutorDone:
    """Queue marker: one executor's task of the superstep has ended."""

    def __init__(self, executor_id: str, error: BaseException | None = None) -> None:
        self.executor_id = executor_id
        self.error = error


class Runner:
    """Drives one workflow's runs, one at a time, superstep by superstep."""

    def __init__(
        self,
        *,
        name: str,
        executors: Mapping[str, Executor],
        router: Router,
        snapshots: Snapshots,
        max_iterations: int,
        durability: Durability = DEFAULT_DURABILITY,
    ) -> None:
        self._name = name
        self._durability = durability
        self._executors = executors
        self._router = router
        self._snapshots = snapshots
        self._max_iterations = max_iterations
        self._running = False
        # The last run's state, kept so its pending requests can be answered in-process.
        self.state: RunState | None = None
        self.status: WorkflowRunState | None = None

    async def drive(
        self,
        state: RunState,
        storage: CheckpointStorage | None,
        *,
        save_initial: bool,
        announce_requests: bool = False,
        max_supersteps: int | None = None,
    ) -> AsyncGenerator[WorkflowEvent, None]:
        """Run supersteps until nothing is pending, or pause after ``max_supersteps``."""
        if self._running:
            raise WorkflowAlreadyRunningError(f"workflow {self._name!r} is already running")
        self._running = True
        self.state = state
        self.status = WorkflowRunState.IN_PROGRESS
        saves = (
            None if storage is None else RunSaves(self._snapshots, storage, self._durability, state)
        )
        try:
            yield WorkflowStartedEvent()
            yield WorkflowStatusEvent(state=WorkflowRunState.IN_PROGRESS)
            if announce_requests:
                for request in state.pending_requests.values():
                    yield request.event()
            failure = None
            if save_initial and saves is not None:
                for event in await saves.save(graph=True):
                    yield event
                    failure = _failure_in(event, failure)
            steps = 0
            while failure is None and state.pending and steps != max_supersteps:
                steps += 1
                limit_failure = self._iteration_limit_failure(state)
                failure = limit_failure
                if limit_failure is None:
                    async for event in self._superstep(state, saves):
                        yield event
                        failure = _failure_in(event, failure)
                else:
                    yield limit_failure
            if failure is None and saves is not None:
                # Nothing ends the run (nor waits for answers) before its checkpoints are durable.
                for event in await saves.flush():
                    yield event
                    failure = _failure_in(event, failure)
            if failure is not None:
                async for event in self._fail(state, saves, failure):
                    yield event
                return
            if state.pending:  # stopped after max_supersteps, with work left
                final = WorkflowRunState.PAUSED
            elif state.pending_requests:
                final = WorkflowRunState.IDLE_WITH_PENDING_REQUESTS
            else:
                final = WorkflowRunState.IDLE
            self.status = final
            yield WorkflowStatusEvent(state=final)
        except asyncio.CancelledError:
            self.status = WorkflowRunState.CANCELLED
            raise
        finally:
            if saves is not None:
                await saves.settle()
            self._running = False

    async def rerun(
        self, state: RunState, storage: CheckpointStorage, executor_id: str
    ) -> AsyncGenerator[WorkflowEvent, None]:
        """Run only ``executor_id`` on the messages pending for it and save its work as a
        partial superstep (``completed_writes``, as a failed superstep keeps it); a resume of
        that checkpoint replays the work and runs the rest of the superstep."""
        if self._running:
            raise WorkflowAlreadyRunningError(f"workflow {self._name!r} is already running")
        messages = state.routing(self._router).deliveries.get(executor_id)
        if not messages:
            waiting = ", ".join(state.routing(self._router).deliveries) or "none"
            raise WorkflowRunError(
                f"no messages are pending for {executor_id!r} (executors with messages: {waiting})"
            )
        self._running = True
        self.state = state
        self.status = WorkflowRunState.IN_PROGRESS
        try:
            yield WorkflowStartedEvent()
            yield WorkflowStatusEvent(state=WorkflowRunState.IN_PROGRESS)
            events: asyncio.Queue[Any] = asyncio.Queue()
            scope = SuperstepScope(events=events, checkpointed=True)
            task = asyncio.create_task(self._run_executor(executor_id, messages, scope, state))
            try:
                while not isinstance(item := await events.get(), _ExecutorDone):
                    yield item
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            if item.error is not None:
                details = WorkflowErrorDetails.from_exception(item.error, executor_id)
                yield ExecutorFailedEvent(executor_id=executor_id, details=details)
                yield WorkflowFailedEvent(details=details)
                self.status = WorkflowRunState.FAILED
                yield WorkflowStatusEvent(state=WorkflowRunState.FAILED)
                return
            state.completed_writes[executor_id] = scope.writes_of(executor_id)
            yield await self._snapshots.save(state, storage)
            self.status = WorkflowRunState.PAUSED
            yield WorkflowStatusEvent(state=WorkflowRunState.PAUSED)
        except asyncio.CancelledError:
            self.status = WorkflowRunState.CANCELLED
            raise
        finally:
            self._running = False

    async def _fail(
        self, state: RunState, saves: RunSaves | None, failure: WorkflowFailedEvent
    ) -> AsyncIterator[WorkflowEvent]:
        """End the run as failed, after a checkpoint a resume can retry from (when it can be
        saved: the failure may be the storage itself)."""
        if saves is not None:
            # Saves still in flight first; a second failure (the storage may be the first
            # one's cause) is not reported again.
            for event in [
                *await saves.flush(),
                *await saves.save(error=failure.details),
                *await saves.flush(),
            ]:
                if isinstance(event, CheckpointSavedEvent):
                    yield event
        self.status = WorkflowRunState.FAILED
        yield WorkflowStatusEvent(state=WorkflowRunState.FAILED)

    def answer(self, state: RunState, responses: Mapping[str, Any]) -> None:
        """Queue each answer as a message to the executor that asked (see ``queue_answers``)."""
        queue_answers(state, self._executors, responses)

    def _iteration_limit_failure(self, state: RunState) -> WorkflowFailedEvent | None:
        if state.iteration < self._max_iterations:
            return None
        details = WorkflowErrorDetails(
            error_type="MaxIterationsExceeded",
            message=(
                f"the run needs more than max_iterations={self._max_iterations} supersteps; "
                "raise WorkflowBuilder(max_iterations=...) if that is expected"
            ),
        )
        return WorkflowFailedEvent(details=details)

    async def _superstep(
        self, state: RunState, saves: RunSaves | None
    ) -> AsyncIterator[WorkflowEvent]:
        iteration = state.iteration + 1
        state.ledger.begin(iteration)
        yield SuperStepStartedEvent(iteration=iteration)
        try:
            routed = state.routing(self._router)
        except RoutingError as error:
            yield WorkflowFailedEvent(details=WorkflowErrorDetails.from_exception(error))
            return
        events: asyncio.Queue[Any] = asyncio.Queue()
        scope = SuperstepScope(events=events, checkpointed=saves is not None)
        if saves is not None:
            saves.attach(events)  # earlier checkpoints are announced as they become durable
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
            if saves is not None:
                saves.detach()
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
        if saves is not None:
            for event in await saves.save():
                yield event

    def _replay(self, executor_id: str, writes: ExecutorWrites, scope: SuperstepScope) -> None:
        """Stage what ``executor_id`` wrote before a failure instead of running it again."""
        scope.replay(executor_id, writes)
        for output in writes.outputs:
            scope.events.put_nowait(
                WorkflowOutputEvent(data=output, source_executor_id=executor_id)
            )
        scope.events.put_nowait(
            ExecutorCompletedEvent(data="replayed from checkpoint", executor_id=executor_id)
        )

    async def _run_executor(
        self, executor_id: str, messages: list[Message], scope: SuperstepScope, state: RunState
    ) -> None:
        executor = self._executors[executor_id]
        enter_call_site(CallSite(state.workflow_id, executor_id))
        error: BaseException | None = None
        try:
            for message in messages:
                spec = executor.find_handler(message.data)
                if spec is None:
                    raise TypeError(
                        f"{executor_id} has no handler for {type(message.data).__name__}"
                    )
                scope.events.put_nowait(
                    ExecutorInvokedEvent(
                        executor_id=executor_id, data=type_name(type(message.data))
                    )
                )
                ctx: WorkflowContext[Any, Any] = WorkflowContext(
                    executor_id,
                    scope=scope,
                    committed_shared_state=state.shared_state,
                    committed_state=state.executor_states.get(executor_id),
                    source_id=message.source_id,
                    spec=spec,
                    ledger=state.ledger,
                )
                started = time.monotonic()
                try:
                    await spec.function(executor, message.data, ctx)
                finally:
                    elapsed_ms = round((time.monotonic() - started) * 1000)
                    state.ledger.record(executor_id, {"runs": 1, "ms": elapsed_ms})
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
        self, state: RunState, routed: Routed, scope: SuperstepScope, iteration: int
    ) -> None:
        order = list(routed.deliveries)
        for executor_id in order:
            if executor_id in scope.executor_states:
                state.executor_states[executor_id] = scope.executor_states[executor_id]
            state.shared_state.update(scope.shared_state.get(executor_id, {}))
        for request in scope.new_requests.values():
            state.pending_requests[request.request_id] = request
        state.pending = [message for eid in order for message in scope.sent.get(eid, [])]
        state.fan_in_buffers = routed.fan_in_buffers
        state.iteration = iteration
        state.routed = None
        state.completed_writes = {}
