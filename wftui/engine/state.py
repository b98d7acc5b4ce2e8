"""Values the engine keeps in checkpointable form.

The typed-JSON encoding is the truth: it is made once when a value is set (so a value that
cannot be saved fails at the line that set it, naming its path) and reused by every later
checkpoint, so saving costs what was written, not the number of executors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wftui.checkpoint.codec import decode_value, encode
from wftui.engine.ledger import RunLedger
from wftui.engine.records import ExecutorWrites, Message, PendingRequest

if TYPE_CHECKING:
    from wftui.engine.edges import Routed, Router


@dataclass(frozen=True, slots=True)
class StoredValue:
    encoded: Any
    live: Any

    @classmethod
    def of(cls, value: Any, path: str) -> StoredValue:
        encoded = encode(value, path)
        return cls(encoded.json, decode_value(encoded.json) if encoded.tagged else encoded.json)

    def read(self) -> Any:
        """A fresh copy, so callers cannot change stored state behind the engine's back."""
        return decode_value(self.encoded)


@dataclass(slots=True)
class Written:
    """A state value as the run's checkpoints last wrote it: its typed JSON, the checkpoint
    whose document holds that (whole or as a patch), and how many patches lead to a whole copy.
    Lets later checkpoints refer to it instead of writing it again."""

    encoded: Any
    holder: str
    links: int
    # Bytes of its JSON, measured when first needed (small values are always written whole).
    size: int | None = None


@dataclass
class SuperstepScope:
    """What one superstep has staged; committed at its boundary, dropped if it fails."""

    events: asyncio.Queue[Any]
    # Whether the run saves checkpoints, so what is sent must be encodable.
    checkpointed: bool = False
    sent: dict[str, list[Message]] = field(default_factory=dict)
    shared_state: dict[str, dict[str, StoredValue]] = field(default_factory=dict)
    executor_states: dict[str, StoredValue] = field(default_factory=dict)
    new_requests: dict[str, PendingRequest] = field(default_factory=dict)
    outputs: dict[str, list[Any]] = field(default_factory=dict)

    def writes_of(self, executor_id: str) -> ExecutorWrites:
        """What one executor wrote in this superstep, as a failed checkpoint keeps it."""
        state = self.executor_states.get(executor_id)
        return ExecutorWrites(
            sent=list(self.sent.get(executor_id, [])),
            shared_state={k: v.live for k, v in self.shared_state.get(executor_id, {}).items()},
            requests={
                request_id: request
                for request_id, request in self.new_requests.items()
                if request.request_executor_id == executor_id
            },
            outputs=list(self.outputs.get(executor_id, [])),
            state=state.live if state is not None else None,
        )

    def replay(self, executor_id: str, writes: ExecutorWrites) -> None:
        """Stage an executor's writes from a failed checkpoint as if it had just run."""
        self.sent[executor_id] = list(writes.sent)
        self.shared_state[executor_id] = {
            key: StoredValue.of(value, f"shared_state.{key}")
            for key, value in writes.shared_state.items()
        }
        if writes.state is not None:
            self.executor_states[executor_id] = StoredValue.of(
                writes.state, f"executor_states.{executor_id}"
            )
        self.new_requests.update(writes.requests)
        self.outputs[executor_id] = list(writes.outputs)


@dataclass
class RunState:
    """Everything a run has committed so far; exactly what a checkpoint holds."""

    workflow_id: str
    iteration: int = 0
    pending: list[Message] = field(default_factory=list)
    shared_state: dict[str, StoredValue] = field(default_factory=dict)
    executor_states: dict[str, StoredValue] = field(default_factory=dict)
    fan_in_buffers: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    pending_requests: dict[str, PendingRequest] = field(default_factory=dict)
    last_checkpoint_id: str | None = None
    # Writes of executors that finished a superstep that then failed; replayed on retry.
    completed_writes: dict[str, ExecutorWrites] = field(default_factory=dict)
    # Routing of ``pending``, computed once for both the checkpoint and the next delivery.
    routed: Routed | None = None
    # The metadata of the checkpoints this execution saves: ``execution`` (engine.execution),
    # and on a fork what it was forked from.
    metadata: dict[str, Any] = field(default_factory=dict)
    # {"executor_states" | "shared_state": {key: Written}}: what earlier checkpoints hold.
    written: dict[str, dict[str, Written]] = field(default_factory=dict)
    # The storage holding those checkpoints: a save to another one refers to none of them.
    written_in: object | None = None
    # What the run spent (tokens, time) and what resuming saved; see ``ledger``.
    ledger: RunLedger = field(default_factory=RunLedger)
    # Kept between this run's saves so each encodes only what changed: the typed JSON of the
    # ``metadata`` entries ({key: (value, json)}), and the serializer's ``EncodedFragments.kept``.
    metadata_forms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kept: dict[Any, Any] = field(default_factory=dict)

    def routing(self, router: Router) -> Routed:
        if self.routed is None:
            self.routed = router.route(self.pending, self.fan_in_buffers)
        return self.routed
