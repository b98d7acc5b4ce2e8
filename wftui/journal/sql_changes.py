"""The SQL journal's change sequence: a ``journal_changes`` row per change, written in the
transaction of the change itself, that watchers read on from the last ``seq`` they saw.

Only the newest ``entries`` and ``beat`` row of an execution is kept (a watcher reads what is
new whichever of them it sees), so heartbeats do not grow the table, and a prune deletes the
rows of the runs it removes: the table holds a few rows per execution the journal keeps. Seqs
come from the table's never-reused key, so they keep growing across deletions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from wftui.checkpoint.changefeed import read_on
from wftui.checkpoint.sql.common import WaitForChange
from wftui.journal.model import ChangeKind, JournalChange

CHANGE_TABLES = (
    "CREATE TABLE IF NOT EXISTS {journal_changes} (seq {serial}, execution TEXT, run TEXT,"
    " kind TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {journal_changes_execution} ON {journal_changes} (execution, kind)",
    "CREATE INDEX IF NOT EXISTS {journal_changes_run} ON {journal_changes} (run)",  # prune
)
_CHANGES_AFTER = (
    "SELECT seq, execution, run, kind FROM {journal_changes} WHERE seq > %s ORDER BY seq LIMIT %s"
)
_WATCH_BATCH = 500
_COALESCED = ("entries", "beat")
Step = tuple[str, Sequence[Any], bool]  # query, parameters (rows when many), many


def change_steps(execution_id: str, kind: ChangeKind) -> list[Step]:
    """The statements that record an execution's change, with its run as the table has it."""
    steps: list[Step] = []
    if kind in _COALESCED:
        steps.append(
            (
                "DELETE FROM {journal_changes} WHERE execution = %s AND kind = %s",
                [execution_id, kind],
                False,
            )
        )
    steps.append(
        (
            "INSERT INTO {journal_changes} (execution, run, kind)"
            " SELECT id, run, %s FROM {executions} WHERE id = %s",
            [kind, execution_id],
            False,
        )
    )
    return steps


class SqlChanges(ABC):
    """Watching the change table; the journal's backends provide the primitives."""

    poll_interval = 0.05  # seconds between looks when nothing wakes a watcher sooner

    @abstractmethod
    async def _read(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows, or none while no writer has made the tables."""

    @abstractmethod
    async def _write(self, steps: Sequence[Step]) -> list[int]:
        """The statements in one transaction, ordered in the change sequence with all others;
        the rows each changed."""

    @abstractmethod
    def _wake(self) -> AbstractAsyncContextManager[WaitForChange]:
        """While entered: a function that returns once a change may have happened."""

    async def last_seq(self) -> int:
        rows = await self._read("SELECT MAX(seq) FROM {journal_changes}", [])
        return int(rows[0][0] or 0) if rows else 0

    async def _after(self, seq: int) -> list[JournalChange]:
        return [
            JournalChange(*row) for row in await self._read(_CHANGES_AFTER, [seq, _WATCH_BATCH])
        ]

    async def watch(self, after_seq: int = 0) -> AsyncIterator[JournalChange]:
        """Every change after ``after_seq``, in commit order, then each new one as it commits.

        Before any writer made the tables there is nothing to read: the watcher keeps looking.
        """
        async with self._wake() as wait:
            changes = read_on(self._after, wait, self.poll_interval, after_seq, _WATCH_BATCH)
            async for change in changes:
                yield change
