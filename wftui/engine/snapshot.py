"""A run's committed state to a checkpoint and back.

Saving is on every superstep's path, so it builds the checkpoint without validation and reuses
the encodings made when values were set. Restoring reads untrusted data, so every record a
resume uses is validated (see ``records``) before the run touches it.
"""

from __future__ import annotations

from typing import Any

from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.model import WorkflowCheckpoint, new_checkpoint_id, utc_timestamp
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointStorage
from wftui.engine.edges import Router, RoutingError
from wftui.engine.errors import CheckpointNotFoundError, GraphMismatchError
from wftui.engine.events import CheckpointSavedEvent, WorkflowErrorDetails
from wftui.engine.graph import WorkflowGraph, describe_mismatch
from wftui.engine.records import ExecutorWrites, Message, pending_requests_from
from wftui.engine.state import RunState, StoredValue


class Snapshots:
    """Saves a run's state as checkpoints of one workflow, and rebuilds it from one."""

    def __init__(
        self, *, name: str, max_iterations: int, graph: WorkflowGraph, router: Router
    ) -> None:
        self.name = name
        self.max_iterations = max_iterations
        self.graph = graph
        self.signature = graph.signature()
        self._router = router

    async def save(
        self,
        state: RunState,
        storage: CheckpointStorage,
        *,
        graph: bool = False,
        error: WorkflowErrorDetails | None = None,
    ) -> CheckpointSavedEvent:
        messages: dict[str, list[dict[str, Any]]] = {}
        for message in state.pending:
            messages.setdefault(message.source_id, []).append(message.as_checkpoint_entry())
        try:
            next_ids = list(state.routing(self._router).deliveries)
        except RoutingError:
            next_ids = []
        # Fields with default factories are passed: pydantic inspects each factory's signature
        # when it calls one, which was half the cost of building a checkpoint.
        checkpoint = WorkflowCheckpoint.model_construct(
            checkpoint_id=new_checkpoint_id(),
            timestamp=utc_timestamp(),
            metadata=dict(state.metadata),
            workflow_id=state.workflow_id,
            workflow_name=self.name,
            parent_checkpoint_id=state.last_checkpoint_id,
            iteration_count=state.iteration,
            max_iterations=self.max_iterations,
            messages=messages,
            shared_state={key: stored.live for key, stored in state.shared_state.items()},
            executor_states={eid: stored.live for eid, stored in state.executor_states.items()},
            pending_requests={
                request_id: request.as_record()
                for request_id, request in state.pending_requests.items()
            },
            fan_in_buffers=state.fan_in_buffers,
            next_executor_ids=next_ids,
            # Set after a failed superstep, or by a rerun of one executor; empty otherwise.
            completed_writes={
                eid: writes.as_record() for eid, writes in state.completed_writes.items()
            },
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

    async def restore(self, checkpoint_id: str, storage: CheckpointStorage) -> RunState:
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
                raise GraphMismatchError(
                    await describe_mismatch(self.graph, self.name, summary, storage)
                ) from None
            raise
        if loaded is None:
            raise CheckpointNotFoundError(f"no checkpoint with id {checkpoint_id!r}")
        checkpoint, fragments = loaded
        if checkpoint.graph_signature != self.signature:
            raise GraphMismatchError(
                await describe_mismatch(self.graph, self.name, checkpoint, storage)
            )
        where = f"checkpoint {checkpoint.checkpoint_id}: "
        return RunState(
            workflow_id=checkpoint.workflow_id,
            iteration=checkpoint.iteration_count,
            pending=[
                Message.from_checkpoint_entry(entry, f"{where}messages[{source!r}][{index}]")
                for source, batch in checkpoint.messages.items()
                for index, entry in enumerate(batch)
            ],
            shared_state=_stored(checkpoint, "shared_state", fragments),
            executor_states=_stored(checkpoint, "executor_states", fragments),
            fan_in_buffers=checkpoint.fan_in_buffers,
            pending_requests=pending_requests_from(
                checkpoint.pending_requests, f"{where}pending_requests"
            ),
            last_checkpoint_id=checkpoint.checkpoint_id,
            completed_writes={
                executor_id: ExecutorWrites.from_record(
                    writes, f"{where}completed_writes[{executor_id!r}]"
                )
                for executor_id, writes in checkpoint.completed_writes.items()
            },
        )


def _stored(
    checkpoint: WorkflowCheckpoint, section: str, fragments: EncodedFragments
) -> dict[str, StoredValue]:
    """A loaded checkpoint's state as the engine keeps it, reusing the stored encoding (the
    storage's fragments) instead of encoding every value again."""
    values: dict[str, Any] = getattr(checkpoint, section)
    ready = fragments.reusable(section, values)
    return {
        key: StoredValue(ready[key], value)
        if key in ready
        else StoredValue.of(value, f"{section}.{key}")
        for key, value in values.items()
    }
