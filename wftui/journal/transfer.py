"""Journals travel with their checkpoints: ``checkpoints copy`` copies them, ``prune`` removes
them with their runs.

A copy moves each execution whole (its record and every entry), and the answers posted to its
run (answers come from ``attach`` or the app, for runs that have executions), unless the destination already holds them as they are: copying again writes nothing, and
a run copied while it still ran is brought up to date by the next copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from wftui.checkpoint.copy import Copied
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal.model import Journal


async def _copy(source: Journal, destination: Journal, runs: set[str], run: str | None) -> Copied:
    have = {execution.id: execution for execution in await destination.executions(run)}
    copied = unchanged = 0
    for execution in await source.executions(run):
        entries = await source.entries(execution.id)
        if (
            have.get(execution.id) == execution
            and await destination.entries(execution.id) == entries
        ):
            unchanged += 1
        else:
            await destination.put_execution(execution, entries)
            copied += 1
        if execution.run is not None:
            runs.add(execution.run)
    for each in sorted(runs):
        answers, held = await source.answers(each), await destination.answers(each)
        for request_id, value in answers.items():
            if held.get(request_id) != value:
                await destination.post_answer(each, request_id, value)
    return Copied("journals", copied, unchanged)


async def copy_journals(
    source: CheckpointStorage, destination: CheckpointStorage, run: str | None
) -> Copied:
    """``checkpoints copy``'s step for journals: counts executions copied and already there."""
    from wftui.journal import journal_for

    runs = {run} if run is not None else set()  # and the run of every execution copied
    source_journal, destination_journal = journal_for(source), journal_for(destination)
    try:
        return await _copy(source_journal, destination_journal, runs, run)
    finally:
        await source_journal.close()
        await destination_journal.close()


async def delete_journals(storage: CheckpointStorage, runs: Sequence[str]) -> int:
    """Remove the journals of pruned runs (executions, entries, answers); executions removed."""
    from wftui.journal import journal_for

    journal = journal_for(storage)
    try:
        return await journal.delete_runs(runs)
    finally:
        await journal.close()
