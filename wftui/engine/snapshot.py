"""A run's committed state to a checkpoint and back.

Saving is on every superstep's path, so it builds the checkpoint without validation and reuses
the encodings made when values were set. Restoring reads untrusted data, so every record a
resume uses is validated (see ``records``) before the run touches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wftui.checkpoint.codec import encode
from wftui.checkpoint.errors import CheckpointEncodingError
from wftui.checkpoint.exact import constructed
from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.model import (
    FORMAT_VERSION,
    WorkflowCheckpoint,
    new_checkpoint_id,
    utc_timestamp,
)
from wftui.checkpoint.references import (
    MAX_LINKS,
    MIN_REF_BYTES,
    Holder,
    make_patch,
    reference,
    stored_size,
)
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointStorage
from wftui.engine.edges import Router, RoutingError
from wftui.engine.errors import CheckpointNotFoundError
from wftui.engine.events import CheckpointSavedEvent, WorkflowErrorDetails
from wftui.engine.graph import WorkflowGraph, check_signature, describe_mismatch
from wftui.engine.ledger import LEDGER_KEY, RunLedger
from wftui.engine.records import ExecutorWrites, Message, pending_requests_from
from wftui.engine.state import RunState, StoredValue, Written

# The checkpoint's agent-framework version field, which the engine never sets: its default.
_VERSION = WorkflowCheckpoint.model_fields["version"].default
_ALL_FIELDS = set(WorkflowCheckpoint.model_fields)


@dataclass(frozen=True, slots=True)
class PreparedCheckpoint:
    """A checkpoint ready to write, and where the run's values are held once it is written."""

    checkpoint: WorkflowCheckpoint
    encoded: EncodedFragments
    written: dict[str, dict[str, Written]]


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

    @property
    def signatures(self) -> tuple[str, str]:
        """What a checkpoint of this graph may carry (the second: written before handler types
        were signed; ``check_signature`` decides)."""
        return (self.signature, self.graph.shape_signature())

    async def save(
        self,
        state: RunState,
        storage: CheckpointStorage,
        *,
        graph: bool = False,
        error: WorkflowErrorDetails | None = None,
    ) -> CheckpointSavedEvent:
        """Save the run's state now; the event says it is durable."""
        prepared = self.prepare(state, storage, graph=graph, error=error)
        await storage.save_checkpoint(prepared.checkpoint, encoded=prepared.encoded)
        state.last_checkpoint_id = prepared.checkpoint.checkpoint_id
        self.hold(state, storage, prepared)
        return self.saved(prepared)

    def prepare(
        self,
        state: RunState,
        storage: CheckpointStorage,
        *,
        graph: bool = False,
        error: WorkflowErrorDetails | None = None,
    ) -> PreparedCheckpoint:
        """The checkpoint of the run's state as it is now, with the stored form of its state
        values; the state may move on before it is written (``write``). Values refer only to
        checkpoints of ``storage``."""
        messages: dict[str, list[dict[str, Any]]] = {}
        for message in state.pending:
            messages.setdefault(message.source_id, []).append(message.as_checkpoint_entry())
        try:
            next_ids = list(state.routing(self._router).deliveries)
        except RoutingError:
            next_ids = []
        checkpoint_id = new_checkpoint_id()
        ledger = state.ledger.as_metadata()
        described, graph_json = self.graph.stored() if graph else (None, None)
        # Built as ``model_construct`` would, every field given in the model's order, without
        # its per-field loop (a save makes one per superstep; nothing here needs validating).
        checkpoint = constructed(
            WorkflowCheckpoint,
            {
                "checkpoint_id": checkpoint_id,
                "workflow_id": state.workflow_id,
                "workflow_name": self.name,
                "parent_checkpoint_id": state.last_checkpoint_id,
                "timestamp": utc_timestamp(),
                "iteration_count": state.iteration,
                "max_iterations": self.max_iterations,
                "messages": messages,
                "shared_state": {key: stored.live for key, stored in state.shared_state.items()},
                "executor_states": {
                    eid: stored.live for eid, stored in state.executor_states.items()
                },
                "pending_requests": {
                    request_id: request.as_record()
                    for request_id, request in state.pending_requests.items()
                },
                "fan_in_buffers": state.fan_in_buffers,
                "next_executor_ids": next_ids,
                "graph_signature": self.signature,
                "graph": described,
                "error": (
                    {
                        "error_type": error.error_type,
                        "message": error.message,
                        "executor_id": error.executor_id,
                    }
                    if error is not None
                    else None
                ),
                # Set after a failed superstep, or by a rerun of one executor; empty otherwise.
                "completed_writes": {
                    eid: writes.as_record() for eid, writes in state.completed_writes.items()
                },
                "format_version": FORMAT_VERSION,
                "version": _VERSION,
                "metadata": {**state.metadata, LEDGER_KEY: ledger},
            },
            _ALL_FIELDS.copy(),
        )
        earlier = state.written if state.written_in is storage else {}
        executor_forms, executor_written = _stored_forms(
            state, "executor_states", earlier, checkpoint_id
        )
        shared_forms, shared_written = _stored_forms(state, "shared_state", earlier, checkpoint_id)
        metadata_forms = _metadata_forms(state)
        if not state.ledger.tagged:  # then the ledger is its own typed JSON
            metadata_forms[LEDGER_KEY] = (ledger, ledger)
        return PreparedCheckpoint(
            checkpoint,
            EncodedFragments(
                executor_states=executor_forms,
                shared_state=shared_forms,
                metadata=metadata_forms,
                graph=(described, graph_json) if graph else None,
                kept=state.kept,
            ),
            {"executor_states": executor_written, "shared_state": shared_written},
        )

    @staticmethod
    def hold(state: RunState, storage: CheckpointStorage, prepared: PreparedCheckpoint) -> None:
        """Later checkpoints of the run may refer to the values ``prepared`` holds: once it is
        durable, or once it is handed to a storage that makes a checkpoint durable only after
        those it refers to (``saves``), so none depends on one that may be lost."""
        state.written = prepared.written
        state.written_in = storage

    @staticmethod
    def saved(prepared: PreparedCheckpoint) -> CheckpointSavedEvent:
        """The event announcing that ``prepared`` is durable."""
        checkpoint = prepared.checkpoint
        return CheckpointSavedEvent(
            checkpoint_id=checkpoint.checkpoint_id,
            iteration=checkpoint.iteration_count,
            workflow_id=checkpoint.workflow_id,
        )

    async def restore(
        self, checkpoint_id: str, storage: CheckpointStorage, *, resuming: bool = True
    ) -> RunState:
        """The run state a checkpoint holds; ``resuming`` counts in its ledger what a run from
        it will not do again (a fork, which runs nothing, keeps the ledger as it is)."""
        try:
            loaded = await storage.load_with_fragments(checkpoint_id)
        except CheckpointDecodingError:
            # Another graph's checkpoint names types this one never declared; say that, not
            # "register the type", when the listing's signature shows it.
            summary = next(
                (s for s in await storage.list_summaries() if s.checkpoint_id == checkpoint_id),
                None,
            )
            if summary is not None and summary.graph_signature not in self.signatures:
                raise await describe_mismatch(self.graph, self.name, summary, storage) from None
            raise
        if loaded is None:
            raise CheckpointNotFoundError(f"no checkpoint with id {checkpoint_id!r}")
        checkpoint, fragments = loaded
        await check_signature(self.graph, self.name, checkpoint, storage)
        where = f"checkpoint {checkpoint.checkpoint_id}: "
        iteration = checkpoint.iteration_count
        ledger = RunLedger.stored(
            checkpoint.metadata.get(LEDGER_KEY),
            iteration=iteration,
            where=f"{where}metadata.{LEDGER_KEY}",
        )
        shared_state = _stored(checkpoint, "shared_state", fragments)
        executor_states = _stored(checkpoint, "executor_states", fragments)
        return RunState(
            workflow_id=checkpoint.workflow_id,
            iteration=checkpoint.iteration_count,
            pending=[
                Message.from_checkpoint_entry(entry, f"{where}messages[{source!r}][{index}]")
                for source, batch in checkpoint.messages.items()
                for index, entry in enumerate(batch)
            ],
            shared_state=shared_state,
            executor_states=executor_states,
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
            written_in=storage,
            written={
                "shared_state": _written(shared_state, fragments.holders.get("shared_state")),
                "executor_states": _written(
                    executor_states, fragments.holders.get("executor_states")
                ),
            },
            ledger=ledger.resumed(iteration=iteration, replayed=checkpoint.completed_writes)
            if resuming
            else ledger,
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


def _written(
    values: dict[str, StoredValue], holders: Mapping[str, Holder] | None
) -> dict[str, Written]:
    """Where a loaded checkpoint's values are stored, so the resumed run refers to them there."""
    if not holders:
        return {}
    return {
        key: Written(stored.encoded, holders[key].checkpoint_id, holders[key].links)
        for key, stored in values.items()
        if key in holders
    }


def _metadata_forms(state: RunState) -> dict[str, tuple[Any, Any]]:
    """The typed JSON of the run's own metadata entries (its execution record...), encoded at
    its first save and again only if an entry is replaced. One that cannot be encoded is left
    to the serializer, which says where."""
    forms = state.metadata_forms
    for key, value in state.metadata.items():
        known = forms.get(key)
        if known is None or known[0] is not value:
            try:
                forms[key] = (value, encode(value).json)
            except CheckpointEncodingError:
                forms.pop(key, None)
    return dict(forms)


def _stored_forms(
    state: RunState,
    section: str,
    earlier_sections: dict[str, dict[str, Written]],
    checkpoint_id: str,
) -> tuple[dict[str, tuple[Any, Any]], dict[str, Written]]:
    """Each state value of ``section`` with its stored form in checkpoint ``checkpoint_id``
    (a reference to the checkpoint that holds it when unchanged, that checkpoint's value and
    a patch when it grew, itself when small, new or changed beyond patching), and where the
    values will be held once it is saved."""
    values: dict[str, StoredValue] = getattr(state, section)
    earlier = earlier_sections.get(section, {})
    written: dict[str, Written] = {}
    forms: dict[str, tuple[Any, Any]] = {}
    for key, stored in values.items():
        held = earlier.get(key)
        if held is not None:
            written[key] = held
            size = held.size
            if held.encoded is stored.encoded and size is not None and size < MIN_REF_BYTES:
                forms[key] = (stored.live, stored.encoded)  # unchanged and small: inline again
                continue
        forms[key] = (stored.live, _stored_form(written, key, stored.encoded, checkpoint_id))
    return forms, written


def _stored_form(written: dict[str, Written], key: str, encoded: Any, checkpoint_id: str) -> Any:
    held = written.get(key)
    if held is not None and held.encoded is encoded:
        if held.size is None:
            held.size = stored_size(encoded)
        return reference(held.holder) if held.size >= MIN_REF_BYTES else encoded
    size = stored_size(encoded)
    if size >= MIN_REF_BYTES and held is not None and held.links < MAX_LINKS:
        patch = make_patch(held.encoded, encoded)
        if patch == {}:
            written[key] = Written(encoded, held.holder, held.links, size)
            return reference(held.holder)
        if patch is not None and 2 * stored_size(patch) < size:
            written[key] = Written(encoded, checkpoint_id, held.links + 1, size)
            return reference(held.holder, patch)
    written[key] = Written(encoded, checkpoint_id, 0, size)
    return encoded
