"""Typed JSON already made for state values, handed to a storage beside a checkpoint.

The engine encodes a value once, when an executor sets it, and a loaded checkpoint arrives as
typed JSON; both are worth reusing at the next save. They travel as this explicit object, never
inside the checkpoint, and each fragment is tied to the very object it encodes: a checkpoint whose
field was replaced (``model_copy(update=...)``) no longer holds that object, so its new value is
encoded afresh and what the caller set is what gets saved. Values must not be changed in place
after their fragment was made (the engine's are never handed out).

A fragment is the value's stored form: its typed JSON, or a reference to the checkpoint of the same
run that holds it (``wftui.checkpoint.references``), which the engine writes for unchanged state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wftui.checkpoint.model import WorkflowCheckpoint

# {key: (the live value, its typed JSON)}
Section = Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class EncodedFragments:
    """Typed JSON of executor states, shared values and metadata entries, by key, with the
    object each encodes."""

    executor_states: Section = field(default_factory=dict)
    shared_state: Section = field(default_factory=dict)
    # Top-level ``metadata`` entries (the run's execution record, its ledger).
    metadata: Section = field(default_factory=dict)
    # The ``graph`` section (the live value, its typed JSON), on a run's first checkpoint.
    graph: tuple[Any, Any] | None = None
    # On a loaded checkpoint: {section: {key: Holder}}, where each value's stored form lives.
    holders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Where a serializer may keep the bytes it wrote for an entry, to write them again while the
    # entry's typed JSON is the same object (the engine keeps one per run); None: nothing kept.
    kept: dict[Any, Any] | None = None

    def reusable(self, section: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The fragments of ``section`` whose value is still the object ``values`` holds."""
        fragments: Section = getattr(self, section)
        ready = {}
        for key, value in values.items():
            pair = fragments.get(key)
            if pair is not None and pair[0] is value:
                ready[key] = pair[1]
        return ready


class LoadedCheckpoint(NamedTuple):
    """A checkpoint as loaded, and the stored typed JSON of its state values."""

    checkpoint: WorkflowCheckpoint
    fragments: EncodedFragments
