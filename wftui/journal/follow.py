"""Following one run through the journal: its entries from the start, then each new one as the
journal's ``watch()`` says it landed, until none of the run's executions is running.

``wftui attach`` prints what this yields. An execution killed elsewhere writes no end; it stops
counting as running once its heartbeats stop, which a look every heartbeat interval notices.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from wftui.journal.model import (
    HEARTBEAT_SECONDS,
    RUNNING,
    Entry,
    Execution,
    Journal,
    JournalChange,
)


class _Run:
    """The executions of one run seen so far, and the last entry yielded of each."""

    def __init__(self, journal: Journal, executions: list[Execution]) -> None:
        self.journal = journal
        self.executions = {execution.id: execution for execution in executions}
        self.seen: dict[str, int] = {}

    @property
    def running(self) -> bool:
        return any(e.status() == RUNNING for e in self.executions.values())

    async def news(self, execution_id: str) -> list[tuple[Execution, Entry]]:
        execution = self.executions[execution_id]
        entries = await self.journal.entries(execution_id, self.seen.get(execution_id, 0))
        if entries:
            self.seen[execution_id] = entries[-1].seq
        return [(execution, entry) for entry in entries]

    async def reread(self, run: str) -> list[tuple[Execution, Entry]]:
        """The run's executions as they are now, and whatever is new in any of them."""
        for execution in await self.journal.executions(run):
            self.executions[execution.id] = execution
        return [pair for each in list(self.executions) for pair in await self.news(each)]

    async def refresh(self, execution_id: str) -> None:
        found = await self.journal.execution(execution_id)
        if found is not None:
            self.executions[execution_id] = found


async def follow(journal: Journal, run: str) -> AsyncIterator[tuple[Execution, Entry]]:
    """Every entry of ``run``'s executions, oldest execution first, then live ones."""
    start = await journal.last_seq()  # before reading: nothing written meanwhile is missed
    state = _Run(journal, await journal.executions(run))
    for execution_id in list(state.executions):
        for pair in await state.news(execution_id):
            yield pair
    if not state.running:
        return
    watcher = journal.watch(start)
    # The next change, waited for across quiet intervals (cancelling it would close the watch).
    pending: asyncio.Future[JournalChange] | None = None
    try:
        while state.running:
            pending = pending or asyncio.ensure_future(anext(watcher))
            done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_SECONDS)
            if not done:  # quiet: a killed execution shows as lost by now
                for execution_id in list(state.executions):
                    await state.refresh(execution_id)
                continue
            change, pending = pending.result(), None
            named = change.execution_id
            if change.kind == "reset":  # changes were dropped: read the run again
                for pair in await state.reread(run):
                    yield pair
                continue
            if named is None:
                continue  # an answer posted: nothing to print
            if named not in state.executions:
                # A resume or an answer names its run from the start; a new run is another run.
                found = await journal.execution(named) if change.run == run else None
                if found is None:
                    continue
                state.executions[named] = found
            elif change.kind != "entries":
                await state.refresh(named)
            for pair in await state.news(named):
                yield pair
    finally:
        if pending is not None:
            pending.cancel()  # the cancelled wait closes the watch
        else:
            with contextlib.suppress(Exception):
                await watcher.aclose()  # type: ignore[attr-defined]
