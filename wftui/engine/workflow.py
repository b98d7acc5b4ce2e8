"""A built workflow: the public entry points to run, stream, resume and answer.

The work is done elsewhere: ``runner`` drives supersteps, ``run_result`` reads a finished run,
``snapshot`` saves and restores checkpoints, ``graph`` describes the graph, ``edges`` routes
messages.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.edges import INPUT_SOURCE_ID, EdgeGroup, Router

# Errors are re-exported here too: ``wftui.engine.workflow`` is where callers found them first.
from wftui.engine.errors import CheckpointNotFoundError as CheckpointNotFoundError
from wftui.engine.errors import (
    EnvelopeInputError,
    NoCheckpointStorageError,
    WorkflowAlreadyRunningError,
    WorkflowFailedError,
)
from wftui.engine.errors import GraphMismatchError as GraphMismatchError
from wftui.engine.errors import WorkflowRunError as WorkflowRunError
from wftui.engine.events import (
    RequestInfoEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.engine.execution import ExecutionInfo, ExecutionKind
from wftui.engine.executor import Executor
from wftui.engine.fork import Forks
from wftui.engine.graph import WorkflowGraph
from wftui.engine.records import Message
from wftui.engine.run_result import WorkflowRunResult as WorkflowRunResult
from wftui.engine.runner import Runner
from wftui.engine.saves import DEFAULT_DURABILITY, Durability
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState

if TYPE_CHECKING:
    from wftui.agents.workflow_agent import WorkflowAgent


class Workflow:
    """A validated graph of executors. Build with WorkflowBuilder; run, stream, resume.

    Every entry point takes ``raise_on_failure``: by default a failed run emits its failure
    events and its failed checkpoint, then raises WorkflowFailedError (a RuntimeError, as
    agent-framework does); callers that show failures themselves pass ``False``.
    """

    def __init__(
        self,
        *,
        executors: dict[str, Executor],
        groups: list[EdgeGroup],
        start_executor_id: str,
        max_iterations: int,
        name: str,
        checkpoint_storage: CheckpointStorage | None,
        durability: Durability = DEFAULT_DURABILITY,
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
            durability=durability,
        )
        self._busy = False
        self._forks = Forks(self._snapshots, router, executors)

    @property
    def signatures(self) -> tuple[str, str]:
        """The graph signatures its checkpoints may carry (see ``Snapshots.signatures``)."""
        return self._snapshots.signatures

    @property
    def id(self) -> str:
        """agent-framework's name for the workflow's identity: wftui's ``name``."""
        return self.name

    @property
    def status(self) -> WorkflowRunState | None:
        """Where this instance's last run stands (None before the first run)."""
        return self._runner.status

    def get_start_executor(self) -> Executor:
        return self.executors[self.start_executor_id]

    def as_agent(self, name: str | None = None) -> WorkflowAgent:
        """This workflow as an agent (its start executor must take ``list[ChatMessage]``).

        The one import from the engine into ``wftui.agents``, made here at call time: agents
        build on the engine, so the engine may not load them at import.
        """
        from wftui.agents.workflow_agent import WorkflowAgent

        return WorkflowAgent(self, name=name)

    async def _guarded(
        self,
        open_stream: Callable[[], Awaitable[AsyncGenerator[WorkflowEvent, None]]],
        raise_on_failure: bool,
    ) -> AsyncIterator[WorkflowEvent]:
        """Refuse a second run first, then stream ``open_stream()`` and raise if it failed.

        The first request of a run is followed by an IN_PROGRESS_PENDING_REQUESTS status. A
        stream closed early closes the run's own stream before the workflow is free again, so
        its saves in flight are settled and a new run may start at once."""
        if self._busy:
            raise WorkflowAlreadyRunningError(
                "Workflow is already running. Concurrent executions are not allowed. "
                f"(workflow {self.name!r})"
            )
        self._busy = True
        failure: WorkflowFailedEvent | None = None
        asked = False
        try:
            async with contextlib.aclosing(await open_stream()) as stream:
                async for event in stream:
                    if isinstance(event, WorkflowFailedEvent):
                        failure = event
                    yield event
                    if isinstance(event, RequestInfoEvent) and not asked:
                        asked = True  # the run goes on; the answers will be awaited at its end
                        yield WorkflowStatusEvent(
                            state=WorkflowRunState.IN_PROGRESS_PENDING_REQUESTS
                        )
        finally:
            self._busy = False
        if failure is not None and raise_on_failure and self.status is WorkflowRunState.FAILED:
            raise WorkflowFailedError(failure.details)

    def _metadata(self, kind: ExecutionKind, execution: ExecutionInfo | None) -> dict[str, Any]:
        info = (execution or ExecutionInfo(pipeline=self.pipeline)).as_kind(kind)
        return {"execution": info.as_metadata()}

    def _storage(self, checkpoint_storage: CheckpointStorage | None) -> CheckpointStorage:
        storage = checkpoint_storage or self.checkpoint_storage
        if storage is None:
            raise NoCheckpointStorageError(
                "Cannot restore from checkpoint: no checkpoint storage; either provide "
                "checkpoint_storage parameter or build with with_checkpointing()"
            )
        return storage

    def run_stream(
        self,
        message: Any,
        *,
        raise_on_failure: bool = True,
        execution: ExecutionInfo | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Start a new run with ``message`` for the start executor; yield events as they happen."""

        async def open_stream() -> AsyncGenerator[WorkflowEvent, None]:
            if isinstance(message, Message):
                raise EnvelopeInputError(
                    "run() takes the payload, not a Message envelope: pass message.data "
                    f"(here a {type(message.data).__name__})"
                )
            state = RunState(workflow_id=uuid.uuid4().hex)
            state.metadata = self._metadata(ExecutionKind.RUN, execution)
            state.pending.append(Message(message, INPUT_SOURCE_ID, self.start_executor_id))
            return self._runner.drive(state, self.checkpoint_storage, save_initial=True)

        return self._guarded(open_stream, raise_on_failure)

    async def run(
        self,
        message: Any,
        *,
        raise_on_failure: bool = True,
        include_status_events: bool = False,
    ) -> WorkflowRunResult:
        stream = self.run_stream(message, raise_on_failure=raise_on_failure)
        return await WorkflowRunResult.collect(stream, include_status_events=include_status_events)

    def run_stream_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
        *,
        raise_on_failure: bool = True,
        max_supersteps: int | None = None,
        execution: ExecutionInfo | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Continue from a saved checkpoint: only the work not yet done runs.

        With ``max_supersteps`` the run stops after that many supersteps with status
        ``PAUSED`` (when work is left), its last checkpoint resumable as usual.
        """
        if max_supersteps is not None and max_supersteps < 1:
            raise ValueError(f"max_supersteps must be at least 1, not {max_supersteps}")

        async def open_stream() -> AsyncGenerator[WorkflowEvent, None]:
            storage = self._storage(checkpoint_storage)
            try:
                state = await self._snapshots.restore(checkpoint_id, storage)
            except CheckpointNotFoundError as error:
                raise CheckpointNotFoundError(
                    f"Failed to restore from checkpoint: {error}"
                ) from None
            kind = ExecutionKind.RESUME if max_supersteps is None else ExecutionKind.STEP
            state.metadata = self._metadata(kind, execution)
            if responses:
                self._runner.answer(state, responses)
            return self._runner.drive(
                state,
                storage,
                save_initial=False,
                announce_requests=True,
                max_supersteps=max_supersteps,
            )

        return self._guarded(open_stream, raise_on_failure)

    async def run_from_checkpoint(
        self,
        checkpoint_id: str,
        checkpoint_storage: CheckpointStorage | None = None,
        responses: Mapping[str, Any] | None = None,
        *,
        raise_on_failure: bool = True,
        include_status_events: bool = False,
        max_supersteps: int | None = None,
        execution: ExecutionInfo | None = None,
    ) -> WorkflowRunResult:
        stream = self.run_stream_from_checkpoint(
            checkpoint_id,
            checkpoint_storage,
            responses,
            raise_on_failure=raise_on_failure,
            max_supersteps=max_supersteps,
            execution=execution,
        )
        return await WorkflowRunResult.collect(stream, include_status_events=include_status_events)

    def send_responses_streaming(
        self, responses: Mapping[str, Any], *, raise_on_failure: bool = True
    ) -> AsyncIterator[WorkflowEvent]:
        """Answer pending requests of this instance's last run and continue it."""

        async def open_stream() -> AsyncGenerator[WorkflowEvent, None]:
            state = self._runner.state
            if state is None or not state.pending_requests:
                raise WorkflowRunError("this workflow has no pending requests to answer")
            self._runner.answer(state, responses)
            state.metadata = self._metadata(ExecutionKind.ANSWER, None)
            return self._runner.drive(state, self.checkpoint_storage, save_initial=False)

        return self._guarded(open_stream, raise_on_failure)

    async def send_responses(
        self,
        responses: Mapping[str, Any],
        *,
        raise_on_failure: bool = True,
        include_status_events: bool = False,
    ) -> WorkflowRunResult:
        stream = self.send_responses_streaming(responses, raise_on_failure=raise_on_failure)
        return await WorkflowRunResult.collect(stream, include_status_events=include_status_events)

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

    def rerun_stream(
        self,
        checkpoint_id: str,
        executor_id: str,
        *,
        checkpoint_storage: CheckpointStorage | None = None,
        raise_on_failure: bool = True,
        execution: ExecutionInfo | None = None,
    ) -> AsyncIterator[WorkflowEvent]:
        """Run only ``executor_id`` on its pending messages and save a child checkpoint that
        records its work as a partial superstep; then stop (status ``PAUSED``)."""

        async def open_stream() -> AsyncGenerator[WorkflowEvent, None]:
            if executor_id not in self.executors:
                raise WorkflowRunError(
                    f"no executor {executor_id!r} (executors: {', '.join(self.executors)})"
                )
            storage = self._storage(checkpoint_storage)
            state = await self._snapshots.restore(checkpoint_id, storage)
            state.metadata = self._metadata(ExecutionKind.RERUN, execution)
            return self._runner.rerun(state, storage, executor_id)

        return self._guarded(open_stream, raise_on_failure)

    async def rerun(
        self,
        checkpoint_id: str,
        executor_id: str,
        *,
        checkpoint_storage: CheckpointStorage | None = None,
        raise_on_failure: bool = True,
        include_status_events: bool = False,
        execution: ExecutionInfo | None = None,
    ) -> WorkflowRunResult:
        stream = self.rerun_stream(
            checkpoint_id,
            executor_id,
            checkpoint_storage=checkpoint_storage,
            raise_on_failure=raise_on_failure,
            execution=execution,
        )
        return await WorkflowRunResult.collect(stream, include_status_events=include_status_events)
