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
