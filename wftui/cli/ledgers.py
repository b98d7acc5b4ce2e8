"""What each checkpoint and each run cost, for ``checkpoints list --json`` and ``runs``.

A checkpoint's ledger (``metadata["ledger"]``) holds running totals along its own line of the
run: what was spent to reach it and what resuming saved on the way. A run with branches (a
resume, a fork, a rerun from an older checkpoint) spent more than any one line shows, so a run's
figures add up each checkpoint's own part: its totals less its parent's. A fork runs nothing,
so it adds neither spending nor savings (it keeps its original's ledger as it is).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from wftui.agents.costs import Prices, Spend
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.execution import ExecutionKind
from wftui.engine.ledger import Counts, add_counts, ledger_of

READ_BATCH = 64


@dataclass(frozen=True)
class Ledger:
    """A checkpoint's running totals: spent to reach it, and saved by resuming on the way."""

    spent: Counts = field(default_factory=dict)
    saved: Counts = field(default_factory=dict)

    def as_json(self, prices: Prices) -> dict[str, Any]:
        """Tokens (by kind), calls, seconds, and the cost when every model has a price."""
        return {
            "spent": Spend.of(self.spent, prices).as_json(),
            "saved": Spend.of(self.saved, prices).as_json(),
        }


async def read_ledgers(
    storage: CheckpointStorage, checkpoint_ids: Iterable[str]
) -> dict[str, Ledger]:
    """Each checkpoint's ledger, read from its stored document (values are not decoded, so no
    pipeline is needed); a checkpoint gone or unreadable meanwhile has an empty one. Documents
    are read a batch at a time, side by side where the store reads in threads."""
    ids = list(checkpoint_ids)
    ledgers = {}
    for start in range(0, len(ids), READ_BATCH):
        batch = ids[start : start + READ_BATCH]
        documents = await asyncio.gather(*(storage.load_document(cid) for cid in batch))
        for checkpoint_id, data in zip(batch, documents, strict=True):
            ledgers[checkpoint_id] = _ledger(data)
    return ledgers


def _ledger(data: bytes | None) -> Ledger:
    try:
        document = orjson.loads(data) if data is not None else {}
    except orjson.JSONDecodeError:
        document = {}
    metadata = document.get("metadata") if isinstance(document, dict) else None
    stored = ledger_of(metadata if isinstance(metadata, dict) else None)
    return Ledger(_counts(stored.get("totals")), _counts(stored.get("saved")))


def _counts(value: object) -> Counts:
    return dict(value) if isinstance(value, Mapping) else {}


def run_ledgers(
    summaries: Sequence[CheckpointSummary], ledgers: Mapping[str, Ledger]
) -> dict[str, Ledger]:
    """Per run (workflow id): what all its executions spent and saved, each counted once."""
    by_id = {summary.checkpoint_id: summary for summary in summaries}
    runs: dict[str, Ledger] = {}
    for summary in summaries:
        own = ledgers.get(summary.checkpoint_id)
        if own is None:
            continue
        run = runs.setdefault(summary.workflow_id, Ledger({}, {}))
        parent_id = summary.parent_checkpoint_id
        parent = ledgers.get(parent_id) if parent_id in by_id and parent_id else None
        add_counts(run.spent, own.spent)
        if parent is not None:
            add_counts(run.spent, parent.spent, sign=-1)
        # A fork saves nothing; one written before forks kept their original's ledger as is
        # holds a resumed one, whose saving no run made.
        if summary.execution_kind == ExecutionKind.FORK:
            continue
        add_counts(run.saved, own.saved)
        if parent is not None:
            add_counts(run.saved, parent.saved, sign=-1)
    return runs
