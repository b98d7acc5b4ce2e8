"""What a run spent, as counts the engine adds up without knowing what they count.

Executors report spending with ``ctx.record_usage(counts)``: a dict of whole numbers, nested by
name (``{"calls": 1, "models": {"gpt-4o": {"input_tokens": 120}}}``); the runner adds each
executor's own time (``runs``, ``ms``). The engine sums them per executor per superstep and for
the run, keeps them in every checkpoint's ``metadata["ledger"]``, and on a resume counts what
will not run again as *saved*, each spend at most once. Whole numbers keep every sum and difference exact; what the
counts mean (tokens, models, prices) is the agents' business.

Each checkpoint holds its own superstep's counts only, plus running totals, so the ledger's size
does not grow with the length of the run; earlier supersteps are in the parent checkpoints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from wftui.checkpoint.codec import encode
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


def added(base: Mapping[str, Any], more: Mapping[str, Any], *, sign: int = 1) -> Counts:
    """``base`` plus ``more`` name by name (``sign=-1`` takes it away) as a new dict; zeros drop
    out. ``base`` and the dicts inside it are left as they are: checkpoints may hold them."""
    total = dict(base)
    for name, value in more.items():
        # a count is an int, else a Mapping: the type test first, as the ABC's is slow
        if type(value) is not int and isinstance(value, Mapping):
            summed: Any = added(total.get(name, {}), value, sign=sign)
        else:
            summed = total.get(name, 0) + sign * value
        if summed:
            total[name] = summed
        else:
            total.pop(name, None)
    return total


def add_counts(into: Counts, more: Mapping[str, Any], *, sign: int = 1) -> None:
    """Add ``more`` into ``into`` name by name (``sign=-1`` takes it away); zeros drop out."""
    total = added(into, more, sign=sign)
    into.clear()
    into.update(total)


def _tagged(counts: Mapping[str, Any]) -> bool:
    """Whether these counts need a type tag in a checkpoint (a name like the tag, a number past
    64 bits): rare, and then the ledger is encoded in full at every save."""
    return encode(counts, "metadata.ledger").tagged


@dataclass
class RunLedger:
    """A run's counts: this superstep's per executor, per executor so far, the run's totals,
    and what resuming saved (counts of work a resume did not repeat).

    Copy on write: every change makes new dicts for what it changes and never alters a dict
    once made, so a checkpoint takes the ledger as it is now with shallow copies (a deep copy
    of every executor's counts at every save was most of the cost of a save at 100 executors).
    """

    totals: Counts = field(default_factory=dict)
    saved: Counts = field(default_factory=dict)
    executors: dict[str, Counts] = field(default_factory=dict)
    superstep: int = 1
    current: dict[str, Counts] = field(default_factory=dict)
    # The part of ``totals`` a resume has already judged (saved, or spent in vain by a failed
    # executor that ran again), so a later resume of this run does not count it again.
    counted: Counts = field(default_factory=dict)
    # Whether some count needs a type tag in JSON; otherwise the ledger is its own typed JSON.
    tagged: bool = False

    def begin(self, superstep: int) -> None:
        """A new superstep starts: its counts start empty."""
        self.superstep = superstep
        self.current = {}

    def record(self, executor_id: str, counts: Mapping[str, Any]) -> None:
        """Spending is never rolled back: what a failed superstep spent was spent."""
        self.current[executor_id] = added(self.current.get(executor_id, {}), counts)
        self.executors[executor_id] = mine = added(self.executors.get(executor_id, {}), counts)
        self.totals = added(self.totals, counts)
        self.tagged = self.tagged or _tagged(mine) or _tagged(self.totals)

    def record_saved(self, counts: Mapping[str, Any]) -> None:
        """Work that was not paid for this time (an answer replayed from a recording)."""
        self.saved = added(self.saved, counts)
        self.tagged = self.tagged or _tagged(self.saved)

    def as_metadata(self) -> dict[str, Any]:
        """The checkpoint's ``metadata["ledger"]``: shallow copies, the counts in them shared
        (no change ever alters them)."""
        metadata = {
            "supersteps": {str(self.superstep): dict(self.current)} if self.current else {},
            "executors": dict(self.executors),
            "totals": self.totals,
            "saved": self.saved,
        }
        if self.counted:  # only once a resume counted something: the first run stays small
            metadata["counted"] = self.counted
        return metadata

    @classmethod
    def stored(cls, metadata: object, *, iteration: int, where: str) -> RunLedger:
        """The ledger a checkpoint at ``iteration`` holds, as it is: what a fork copies (a fork
        runs nothing, so it saves nothing; its resume counts what it avoids)."""
        ledger = cls(superstep=iteration + 1)
        if metadata is None:
            return ledger
        try:
            stored = checked_counts(metadata, where)
        except TypeError as error:
            raise CheckpointDecodingError(str(error)) from None
        ledger.totals = stored.get("totals", {})
        ledger.executors = stored.get("executors", {})
        ledger.saved = stored.get("saved", {})
        ledger.counted = stored.get("counted", {})
        for superstep, counts in stored.get("supersteps", {}).items():
            if superstep.isdigit():  # one superstep: the checkpoint's own, or a failed one
                ledger.superstep, ledger.current = int(superstep), counts
        ledger.tagged = _tagged(stored)
        return ledger

    def resumed(self, *, iteration: int, replayed: Collection[str]) -> RunLedger:
        """The ledger of a run resumed from this checkpoint's ledger at ``iteration``.

        What was spent before and not yet ``counted`` by an earlier resume counts as saved,
        except what a failed superstep's failed executors spent (they run again; that spend
        was in vain, and counted so). Their finished siblings are replayed, so theirs is
        saved. Each spend counts once: resuming a fork, or the resume of a resume, saves only
        what was spent since the last resume.
        """
        failed: Counts = {}
        if self.superstep == iteration + 1:
            for executor_id, counts in self.current.items():
                if executor_id not in replayed:
                    failed = added(failed, counts)
        avoided = added(added(self.totals, self.counted, sign=-1), failed, sign=-1)
        ledger = RunLedger(
            totals=self.totals,
            saved=added(self.saved, avoided),
            executors=self.executors,
            superstep=iteration + 1,
            counted=self.totals,
        )
        ledger.tagged = self.tagged or _tagged(ledger.saved)
        return ledger


def ledger_of(metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A checkpoint's ledger as stored, or an empty one (checkpoints from before the ledger)."""
    ledger = (metadata or {}).get(LEDGER_KEY)
    return ledger if isinstance(ledger, Mapping) else {}
