"""The loops that last as long as the app: following the store's checkpoint changes and its
journal's, each from a ``watch()`` that resumes after the last ``seq`` taken.

They are plain asyncio tasks, not Textual workers, because tests and benchmarks take "no worker
runs" to mean the app is idle, and a watch never ends. A watch that fails (a server gone, a
folder removed) says so in one line of the event log and starts again after a pause, after the
last change it took, so nothing is missed across the gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from wftui.checkpoint.changefeed import Sequenced
from wftui.tui.text import one_line

RETRY_FIRST = 1.0  # seconds before a failed watch starts again; doubled up to RETRY_MOST
RETRY_MOST = 30.0

T = TypeVar("T", bound=Sequenced)


class Watches:
    """Starts the app's watch loops and stops them all when the app closes."""

    def __init__(self, running: Callable[[], bool], report: Callable[[str], None]) -> None:
        self._running = running
        self._report = report
        self._tasks: set[asyncio.Task[None]] = set()

    def follow(
        self,
        what: str,
        start: Callable[[], Awaitable[int]],
        watch: Callable[[int], AsyncIterator[T]],
        take: Callable[[T], Awaitable[None]],
    ) -> None:
        """``start()`` reads what is there and gives the seq to watch after; each change after
        it goes to ``take``, in order, until the app closes."""
        task = asyncio.create_task(self._keep(what, start, watch, take), name=f"wftui: {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _keep(
        self,
        what: str,
        start: Callable[[], Awaitable[int]],
        watch: Callable[[int], AsyncIterator[T]],
        take: Callable[[T], Awaitable[None]],
    ) -> None:
        seq: int | None = None
        pause = RETRY_FIRST
        while self._running():
            try:
                if seq is None:
                    seq = await start()
                async for change in watch(seq):
                    if not self._running():
                        return
                    await take(change)
                    seq, pause = change.seq, RETRY_FIRST
            except Exception as error:  # any store's failure: said, then tried again
                if not self._running():
                    return
                text = one_line(f"{type(error).__name__}: {error}", 200)
                self._report(f"{what} failed: {text}; trying again in {pause:g} s")
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MOST)

    def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
