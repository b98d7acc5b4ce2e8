"""One run's checkpoint saves and how durable each must be before the run moves on.

Apart from the superstep runner because when a save happens (every superstep boundary, on
failure) is the runner's job, while how it is written (now, or while the next superstep runs,
and surfacing a failed write at the next save) is this module's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.events import CheckpointSavedEvent, WorkflowErrorDetails
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState

Durability = Literal["sync", "async"]
DURABILITY_MODES: tuple[Durability, ...] = ("sync", "async")


def checked_durability(durability: object) -> Durability:
    """The mode, if it is one (a typo must not silently save differently)."""
    for mode in DURABILITY_MODES:
        if durability == mode:
            return mode
    raise ValueError(f"durability must be 'sync' or 'async', not {durability!r}")


class RunSaves:
    """One run's checkpoint saves, in order. ``sync``: each is durable before the next
    superstep starts. ``async``: checkpoint k is written while superstep k+1 runs; its
    ``CheckpointSavedEvent`` comes once it is durable, and the next save waits for it."""

    def __init__(
        self, snapshots: Snapshots, storage: CheckpointStorage, durability: Durability
    ) -> None:
        self._snapshots = snapshots
        self._storage = storage
        self._durability = durability
        self._pending: asyncio.Task[CheckpointSavedEvent] | None = None

    async def save(
        self, state: RunState, *, graph: bool = False, error: WorkflowErrorDetails | None = None
    ) -> list[CheckpointSavedEvent]:
        """Checkpoint the state as it is now; the events of saves now durable. A save that
        failed raises ``CheckpointError`` here, never later or as a warning."""
        done = await self.flush()
        if self._durability == "sync":
            done.append(await self._snapshots.save(state, self._storage, graph=graph, error=error))
        else:
            prepared = self._snapshots.prepare(state, self._storage, graph=graph, error=error)
            self._pending = asyncio.create_task(
                self._snapshots.write(state, self._storage, prepared)
            )
        return done

    async def flush(self) -> list[CheckpointSavedEvent]:
        """Wait for the save in flight, if any; its event once durable."""
        task, self._pending = self._pending, None
        return [] if task is None else [await task]

    async def settle(self) -> None:
        """Let a save in flight finish when the run stops early (closed or cancelled), so
        nothing is left half-done; its outcome is no longer anyone's to announce."""
        task, self._pending = self._pending, None
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
