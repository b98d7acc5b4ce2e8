"""The browser's filter: which checkpoints a typed needle lets through.

Kept apart from the tree so what the filter looks at is stated once; the tree only caches the
result per run. A checkpoint passes when its id, run id, pipeline name, status or next
executors hold the needle, at once, or when a search of its values (``value_search``, run in
the background) found the needle there: ``hits``.
"""

from __future__ import annotations

from collections.abc import Set

from wftui.tui.browser.records import Record
from wftui.tui.browser.run import Flat, Run


def matches(record: Record, needle: str, hits: Set[str] = frozenset()) -> bool:
    """The filter: id, run id, pipeline name, next executors, status (case-insensitive), or a
    value the search found the needle in."""
    return record.checkpoint_id in hits or any(
        needle in text.lower()
        for text in (
            record.checkpoint_id,
            record.workflow_id,
            record.workflow_name,
            record.status.value.replace("_", " "),
            *record.next_ids,
        )
    )


def matching_rows(run: Run, needle: str, hits: Set[str] = frozenset()) -> list[Flat]:
    """The run's matching checkpoints, closed branches included, in line order."""
    return [
        flat
        for flat in run.flatten(whole=True)
        if matches(run.records[flat.checkpoint_id], needle, hits)
    ]
