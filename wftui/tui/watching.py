"""The loops that last as long as the app: watching the store's checkpoints and its journal.

They are plain asyncio tasks, not Textual workers, because tests and benchmarks take "no worker
runs" to mean the app is idle, and a watch never ends. A watch that fails stops with one line
in the event log; the rest of the app keeps working.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Watches:
    """Starts the app's watch loops and stops them all when the app closes."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._tasks: dict[asyncio.Task[None], str] = {}

    def start(self, what: str, loop: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(loop, name=f"wftui: {what}")
        self._tasks[task] = what
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        what = self._tasks.pop(task, "a watch")
        if not task.cancelled() and (error := task.exception()) is not None:
            self._report(f"{what} stopped: {type(error).__name__}: {error}")

    def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
