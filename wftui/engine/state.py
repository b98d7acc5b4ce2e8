"""Values the engine keeps in checkpointable form.

The typed-JSON encoding is the truth: it is made once when a value is set (so a value that
cannot be saved fails at the line that set it, naming its path) and reused by every later
checkpoint, so saving costs what was written, not the number of executors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from wftui.checkpoint.codec import decode_value, encode_value, needs_decoding


@dataclass(frozen=True, slots=True)
class StoredValue:
    encoded: Any
    live: Any

    @classmethod
    def of(cls, value: Any, path: str) -> StoredValue:
        encoded = encode_value(value, path)
        live = decode_value(encoded) if needs_decoding(encoded) else encoded
        return cls(encoded, live)

    def read(self) -> Any:
        """A fresh copy, so callers cannot change stored state behind the engine's back."""
        return decode_value(self.encoded)


@dataclass(slots=True)
class Message:
    """A message in flight: sent in one superstep, delivered in the next."""

    data: Any
    source_id: str
    target_id: str | None = None

    def as_checkpoint_entry(self) -> dict[str, Any]:
        return {"data": self.data, "source_id": self.source_id, "target_id": self.target_id}


@dataclass
class SuperstepScope:
    """What one superstep has staged; committed at its boundary, dropped if it fails."""

    events: asyncio.Queue[Any]
    sent: dict[str, list[Message]] = field(default_factory=dict)
    shared_state: dict[str, dict[str, StoredValue]] = field(default_factory=dict)
    executor_states: dict[str, StoredValue] = field(default_factory=dict)
    new_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, list[Any]] = field(default_factory=dict)

    def writes_of(self, executor_id: str) -> dict[str, Any]:
        """What one executor wrote in this superstep, as a failed checkpoint keeps it."""
        writes: dict[str, Any] = {
            "sent": [m.as_checkpoint_entry() for m in self.sent.get(executor_id, [])],
            "shared_state": {k: v.live for k, v in self.shared_state.get(executor_id, {}).items()},
            "requests": {
                request_id: record
                for request_id, record in self.new_requests.items()
                if record["request_executor_id"] == executor_id
            },
            "outputs": list(self.outputs.get(executor_id, [])),
        }
        if executor_id in self.executor_states:
            writes["state"] = self.executor_states[executor_id].live
        return writes

    def replay(self, executor_id: str, writes: dict[str, Any]) -> None:
        """Stage an executor's writes from a failed checkpoint as if it had just run."""
        self.sent[executor_id] = [
            Message(entry["data"], entry["source_id"], entry.get("target_id"))
            for entry in writes.get("sent", [])
        ]
        self.shared_state[executor_id] = {
            key: StoredValue.of(value, f"shared_state.{key}")
            for key, value in writes.get("shared_state", {}).items()
        }
        if "state" in writes:
            self.executor_states[executor_id] = StoredValue.of(
                writes["state"], f"executor_states.{executor_id}"
            )
        self.new_requests.update(writes.get("requests", {}))
        self.outputs[executor_id] = list(writes.get("outputs", []))
