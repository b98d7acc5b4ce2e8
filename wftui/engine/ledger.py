"""What a run spent, as counts the engine adds up without knowing what they count.

Executors report spending with ``ctx.record_usage(counts)``: a dict of whole numbers, nested by
name (``{"calls": 1, "models": {"gpt-4o": {"input_tokens": 120}}}``); the runner adds each
executor's own time (``runs``, ``ms``). The engine sums them per executor per superstep and for
the run, keeps them in every checkpoint's ``metadata["ledger"]``, and on a resume counts what
will not run again as *saved*. Whole numbers keep every sum and difference exact; what the
counts mean (tokens, models, prices) is the agents' business.

Each checkpoint holds its own superstep's counts only, plus running totals, so the ledger's size
does not grow with the length of the run; earlier supersteps are in the parent checkpoints.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from wftui.checkpoint.storage import CheckpointDecodingError

LEDGER_KEY = "ledger"
Counts = dict[str, Any]  # name -> int, or name -> Counts


def checked_counts(counts: object, where: str) -> Counts:
    """A copy of ``counts`` if it is names to whole numbers or to such dicts; else a TypeError
    naming the first bad entry (``where.models.gpt-4o.input_tokens``)."""
    if not isinstance(counts, Mapping):
        raise TypeError(f"{where} must be a dict of counts, not {type(counts).__name__}")
    checked: Counts = {}
    for name, value in counts.items():
        path = f"{where}.{name}"
        if not isinstance(name, str):
            raise TypeError(f"{where} has a key that is not text: {name!r}")
        if isinstance(value, Mapping):
            checked[name] = checked_counts(value, path)
        elif isinstance(value, int) and not isinstance(value, bool):
            checked[name] = value
        else:
            raise TypeError(f"{path} must be a whole number, not {value!r}")
    return checked


def add_counts(into: Counts, more: Mapping[str, Any], *, sign: int = 1) -> None:
    """Add ``more`` into ``into`` name by name (``sign=-1`` takes it away); zeros drop out."""
    for name, value in more.items():
        if isinstance(value, Mapping):
            inner = into.setdefault(name, {})
            add_counts(inner, value, sign=sign)
            if not inner:
                del into[name]
        else:
            total = into.get(name, 0) + sign * value
            if total:
                into[name] = total
            else:
                into.pop(name, None)


@dataclass
class RunLedger:
    """A run's counts: this superstep's per executor, per executor so far, the run's totals,
    and what resuming saved (counts of work a resume did not repeat)."""

    totals: Counts = field(default_factory=dict)
    saved: Counts = field(default_factory=dict)
    executors: dict[str, Counts] = field(default_factory=dict)
    superstep: int = 1
    current: dict[str, Counts] = field(default_factory=dict)

    def begin(self, superstep: int) -> None:
        """A new superstep starts: its counts start empty."""
        self.superstep = superstep
        self.current = {}

    def record(self, executor_id: str, counts: Mapping[str, Any]) -> None:
        """Spending is never rolled back: what a failed superstep spent was spent."""
        for bucket in (
            self.current.setdefault(executor_id, {}),
            self.executors.setdefault(executor_id, {}),
            self.totals,
        ):
            add_counts(bucket, counts)

    def record_saved(self, counts: Mapping[str, Any]) -> None:
        """Work that was not paid for this time (an answer replayed from a recording)."""
        add_counts(self.saved, counts)

    def as_metadata(self) -> dict[str, Any]:
        """The checkpoint's ``metadata["ledger"]`` (a copy: the run goes on changing this)."""
        return copy.deepcopy(
            {
                "supersteps": {str(self.superstep): self.current} if self.current else {},
                "executors": self.executors,
                "totals": self.totals,
                "saved": self.saved,
            }
        )

    @classmethod
    def resumed(
        cls, metadata: object, *, iteration: int, replayed: Collection[str], where: str
    ) -> RunLedger:
        """The ledger of a run resumed from a checkpoint at ``iteration``: everything it
        recorded counts as saved, except what a failed superstep's failed executors spent
        (they run again). Their finished siblings are replayed, so theirs is saved too."""
        ledger = cls(superstep=iteration + 1)
        if metadata is None:
            return ledger
        try:
            stored = checked_counts(metadata, where)
        except TypeError as error:
            raise CheckpointDecodingError(str(error)) from None
        ledger.totals = stored.get("totals", {})
        ledger.saved = stored.get("saved", {})
        ledger.executors = stored.get("executors", {})
        failed_superstep = stored.get("supersteps", {}).get(str(iteration + 1), {})
        avoided = copy.deepcopy(ledger.totals)
        for executor_id, counts in failed_superstep.items():
            if executor_id not in replayed:
                add_counts(avoided, counts, sign=-1)
        add_counts(ledger.saved, avoided)
        return ledger


def ledger_of(metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A checkpoint's ledger as stored, or an empty one (checkpoints from before the ledger)."""
    ledger = (metadata or {}).get(LEDGER_KEY)
    return ledger if isinstance(ledger, Mapping) else {}
