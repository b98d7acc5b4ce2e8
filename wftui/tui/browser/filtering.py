"""The browser's filter: which checkpoints a typed needle lets through.

Kept apart from the tree so what the filter looks at (ids, names, status, next executors) is
stated once; the tree only caches the result per run.
"""

from __future__ import annotations

from wftui.tui.browser.records import Record
from wftui.tui.browser.run import Flat, Run


def matches(record: Record, needle: str) -> bool:
    """The filter: id, run id, pipeline name, next executors, status (case-insensitive)."""
    return any(
        needle in text.lower()
        for text in (
            record.checkpoint_id,
            record.workflow_id,
            record.workflow_name,
            record.status.value.replace("_", " "),
            *record.next_ids,
        )
    )


def matching_rows(run: Run, needle: str) -> list[Flat]:
    """The run's matching checkpoints, closed branches included, in line order."""
    return [
        flat for flat in run.flatten(whole=True) if matches(run.records[flat.checkpoint_id], needle)
    ]
