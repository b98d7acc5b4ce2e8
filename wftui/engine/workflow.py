"""A built workflow: the public entry points to run, stream, resume and answer.

The work is done elsewhere: ``runner`` drives supersteps, ``snapshot`` saves and restores
checkpoints, ``graph`` describes the graph, ``edges`` routes messages.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.edges import INPUT_SOURCE_ID, EdgeGroup, Router

# Errors are re-exported here too: ``wftui.engine.workflow`` is where callers found them first.
from wftui.engine.errors import CheckpointNotFoundError as CheckpointNotFoundError
from wftui.engine.errors import GraphMismatchError as GraphMismatchError
from wftui.engine.errors import NoCheckpointStorageError
from wftui.engine.errors import WorkflowRunError as WorkflowRunError
from wftui.engine.events import (
    RequestInfoEvent,
    WorkflowEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.engine.execution import ExecutionInfo, ExecutionKind
from wftui.engine.executor import Executor
from wftui.engine.fork import Forks
from wftui.engine.graph import WorkflowGraph
from wftui.engine.records import Message
from wftui.engine.runner import Runner
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState


class WorkflowRunResult(list[WorkflowEvent]):
    """All events of a run, with the questions people ask of them."""

    def get_outputs(self) -> list[Any]:
        return [event.data for event in self if isinstance(event, WorkflowOutputEvent)]

    def get_request_info_events(self) -> list[RequestInfoEvent]:
        return [event for event in self if isinstance(event, RequestInfoEvent)]

    def get_final_state(self) -> WorkflowRunState:
        states = [event.state for event in self if isinstance(event, WorkflowStatusEvent)]
        return states[-1] if states else WorkflowRunState.IN_PROGRESS


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
        self.edge_groups = groups
        # The module or file this workflow was loaded from, recorded in every checkpoint's
        # ``metadata["execution"]`` so commands that take a checkpoint can load it again.
        self.pipeline: str | None = None
        self.graph = WorkflowGraph.of(executors, groups, start_executor_id)
        router = Router(groups, executors)
        self._snapshots = Snapshots(
            name=name, max_iterations=max_iterations, graph=self.graph, router=router
        )
        self.signature = self._snapshots.signature
        self._runner = Runner(
            name=name,
            executors=executors,
            router=router,
            snapshots=self._snapshots,
            max_iterations=max_iterations,
        )
        self._forks = Forks(self._snapshots, router, executors)

    @property
    def status(self) -> WorkflowRunState | None:
        """Where this instance's last run stands (None before the first run)."""
        return self._runner.status

    def _metadata(self, kind: ExecutionKind, execution: ExecutionInfo | None) -> dict[str, Any]:
        info = (execution or ExecutionInfo(pipeline=self.pipeline)).as_kind(kind)
        return {"execution": info.as_metadata()}

    def _storage(self, checkpoint_storage: CheckpointStorage | None) -> CheckpointStorage:
        storage = checkpoint_storage or self.checkpoint_storage
        if storage is None:
            raise NoCheckpointStorageError(
                "no checkpoint storage: pass checkpoint_storage= or build with with_checkpointing()"
            )
        return storage

    def run_stream(
        self, message: Any, *, execution: ExecutionInfo | None = None
    ) -> AsyncIterator[WorkflowEvent]:
        """Start a new run with ``message`` for the start executor; yield events as they happen."""
        state = RunState(workflow_id=uuid.uuid4().hex)
        state.metadata = self._metadata(ExecutionKind.RUN, execution)
        state.pending.append(Message(message, INPUT_SOURCE_ID, self.start_executor_id))
        return self._runner.drive(state, self.checkpoint_storage, save_initial=True)

    async def run(self, message: Any) -> WorkflowRunResult:
        return WorkflowRunResult([event async for event in self.run_stream(message)])

    async def run_stream_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
        *,
        max_supersteps: int | None = None,
        execution: ExecutionInfo | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Continue from a saved checkpoint: only the work not yet done runs.

        With ``max_supersteps`` the run stops after that many supersteps with status
        ``PAUSED`` (when work is left), its last checkpoint resumable as usual.
        """
        if max_supersteps is not None and max_supersteps < 1:
            raise ValueError(f"max_supersteps must be at least 1, not {max_supersteps}")
        storage = self._storage(checkpoint_storage)
        state = await self._snapshots.restore(checkpoint_id, storage)
        kind = ExecutionKind.RESUME if max_supersteps is None else ExecutionKind.STEP
        state.metadata = self._metadata(kind, execution)
        if responses:
            self._runner.answer(state, responses)
        stream = self._runner.drive(
            state,
            storage,
            save_initial=False,
            announce_requests=True,
            max_supersteps=max_supersteps,
        )
        async for event in stream:
            yield event

    async def run_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
        *,
        max_supersteps: int | None = None,
        execution: ExecutionInfo | None = None,
    ) -> WorkflowRunResult:
        stream = self.run_stream_from_checkpoint(
            checkpoint_id,
            checkpoint_storage,
            responses,
            max_supersteps=max_supersteps,
            execution=execution,
        )
        return WorkflowRunResult([event async for event in stream])

    async def send_responses_streaming(
        self, responses: Mapping[str, Any]
    ) -> AsyncIterator[WorkflowEvent]:
        """Answer pending requests of this instance's last run and continue it."""
        state = self._runner.state
        if state is None or not state.pending_requests:
            raise WorkflowRunError("this workflow has no pending requests to answer")
        self._runner.answer(state, responses)
        state.metadata = self._metadata(ExecutionKind.ANSWER, None)
        async for event in self._runner.drive(state, self.checkpoint_storage, save_initial=False):
            yield event

    async def send_responses(self, responses: Mapping[str, Any]) -> WorkflowRunResult:
        return WorkflowRunResult(
            [event async for event in self.send_responses_streaming(responses)]
        )

    async def fork(
        self,
        checkpoint_id: str,
        *,
        checkpoint_storage: CheckpointStorage | None = None,
        shared_state: Mapping[str, Any] | None = None,
        executor_states: Mapping[str, dict[str, Any]] | None = None,
        messages: Mapping[str, list[Any]] | None = None,
        pending_requests: Mapping[str, Any] | None = None,
        edits: Mapping[str, Any] | None = None,
        note: str | None = None,
        execution: ExecutionInfo | None = None,
    ) -> str:
        """Save a child of ``checkpoint_id`` holding its state with these replacements and
        ``edits`` ({value path: new value}); returns the new id. See ``engine.fork``."""
        replacements = {
            "shared_state": shared_state,
            "executor_states": executor_states,
            "messages": messages,
            "pending_requests": pending_requests,
        }
        return await self._forks.fork(
            checkpoint_id,
            self._storage(checkpoint_storage),
            replacements=replacements,
            edits=edits,
            note=note,
            execution=execution or ExecutionInfo(pipeline=self.pipeline),
        )

    async def rerun_stream(
        self,
        checkpoint_id: str,
        executor_id: str,
        *,
        checkpoint_storage: CheckpointStorage | None = None,
        execution: ExecutionInfo | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Run only ``executor_id`` on its pending messages and save a child checkpoint that
        records its work as a partial superstep; then stop (status ``PAUSED``)."""
        if executor_id not in self.executors:
            raise WorkflowRunError(
                f"no executor {executor_id!r} (executors: {', '.join(self.executors)})"
            )
        storage = self._storage(checkpoint_storage)
        state = await self._snapshots.restore(checkpoint_id, storage)
        state.metadata = self._metadata(ExecutionKind.RERUN, execution)
        async for event in self._runner.rerun(state, storage, executor_id):
            yield event

    async def rerun(
        self,
        checkpoint_id: str,
        executor_id: str,
        *,
        checkpoint_storage: CheckpointStorage | None = None,
        execution: ExecutionInfo | None = None,
    ) -> WorkflowRunResult:
        stream = self.rerun_stream(
            checkpoint_id, executor_id, checkpoint_storage=checkpoint_storage, execution=execution
        )
        return WorkflowRunResult([event async for event in stream])
