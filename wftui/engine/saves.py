"""One run's checkpoint saves: how durable each must be before the run moves on, and when
each is announced.

Apart from the superstep runner because when a save happens (every superstep boundary, on
failure) is the runner's job, while how it is written (now, or while the next supersteps run)
and when its ``CheckpointSavedEvent`` may be emitted is this module's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable
from typing import Any, Literal

from wftui.checkpoint.capabilities import PipelinedStorage
from wftui.checkpoint.storage import CheckpointError, CheckpointStorage
from wftui.engine.events import (
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowFailedEvent,
)
from wftui.engine.snapshot import PreparedCheckpoint, Snapshots
from wftui.engine.state import RunState

Durability = Literal["sync", "async"]
DURABILITY_MODES: tuple[Durability, ...] = ("sync", "async")
DEFAULT_DURABILITY: Durability = "async"
# Saves of one run that may wait at once in "async" mode; the run waits for the oldest beyond
# that (a disk slower than the supersteps holds the run back rather than its memory growing).
MAX_IN_FLIGHT = 8


def checked_durability(durability: object) -> Durability:
    """The mode, if it is one (a typo must not silently save differently)."""
    for mode in DURABILITY_MODES:
        if durability == mode:
            return mode
    raise ValueError(f"durability must be 'sync' or 'async', not {durability!r}")


class RunSaves:
    """One run's checkpoint saves, in order.

    ``sync``: each save is durable before the next superstep starts. ``async``: a save is
    handed to the storage and the run goes on, with up to ``MAX_IN_FLIGHT`` saves waiting (a
    ``PipelinedStorage`` writes them in order and syncs those waiting together; another store
    saves them one after the other). Either way a ``CheckpointSavedEvent`` comes only once its
    checkpoint is durable, in order, during the superstep that follows when one is running
    (``attach``) or else at the next ``save`` or ``flush``; a checkpoint may refer to values
    held by the checkpoints before it, which are durable whenever it is (see ``_submit``); and
    a failed save is reported as a ``WorkflowFailedEvent`` at the next ``save`` or ``flush``,
    after which nothing saved later in the run is announced until the runner's own failure
    checkpoint.
    """

    def __init__(
        self,
        snapshots: Snapshots,
        storage: CheckpointStorage,
        durability: Durability,
        state: RunState,
    ) -> None:
        self._snapshots = snapshots
        self._storage = storage
        self._durability = durability
        self._state = state
        self._in_flight: deque[tuple[PreparedCheckpoint, asyncio.Future[Any]]] = deque()
        self._durable_id = state.last_checkpoint_id  # the newest durable checkpoint
        self._durable_written = (state.written, state.written_in)  # and where its values are
        self._ready: list[WorkflowEvent] = []  # to emit at the next save or flush
        self._outlet: asyncio.Queue[Any] | None = None
        self._failure: BaseException | None = None  # a failed save not yet reported
        # Asked once: a runtime protocol check costs tens of microseconds.
        self._pipeline = storage if isinstance(storage, PipelinedStorage) else None

    def attach(self, events: asyncio.Queue[Any]) -> None:
        """While a superstep runs, announce saves in its event queue as they become durable
        (and those that did since the last save at once)."""
        self._outlet = events
        for event in self._ready:
            events.put_nowait(event)
        self._ready = []

    def detach(self) -> None:
        self._outlet = None

    async def save(
        self, *, graph: bool = False, error: WorkflowErrorDetails | None = None
    ) -> list[WorkflowEvent]:
        """Checkpoint the run's state as it is now. Returns what to emit now: the events of
        saves now durable and, if a save failed, the run's failure (then nothing is saved)."""
        if self._durability == "async":
            while len(self._in_flight) >= MAX_IN_FLIGHT and self._failure is None:
                self._hurry()
                await asyncio.wait([self._in_flight[0][1]])
        if self._failure is None:
            self._submit(graph, error)
        if self._durability == "sync" and self._failure is None:
            with contextlib.suppress(Exception):  # its outcome is ``_settled``'s to handle
                await self._in_flight[-1][1]
        if self._failure is not None:
            await self._wait_all()
        return self._take()

    async def flush(self) -> list[WorkflowEvent]:
        """Wait until every save is durable (or failed); what to emit, as ``save`` returns."""
        await self._wait_all()
        return self._take()

    async def settle(self) -> None:
        """Let saves in flight finish when the run stops early (closed or cancelled), so
        nothing is left half-done; their outcome is no longer anyone's to announce."""
        self._outlet = None
        with contextlib.suppress(BaseException):
            await asyncio.shield(self._wait_all())

    def _submit(self, graph: bool, error: WorkflowErrorDetails | None) -> None:
        state, storage = self._state, self._storage
        prepared = self._snapshots.prepare(state, storage, graph=graph, error=error)
        checkpoint, encoded = prepared.checkpoint, prepared.encoded
        future: asyncio.Future[Any]
        if self._pipeline is not None:
            try:
                future = self._pipeline.submit_checkpoint(
                    checkpoint, encoded=encoded, waited=self._durability == "sync"
                )
            except CheckpointError as refused:  # e.g. a value it cannot encode
                future = asyncio.get_running_loop().create_future()
                future.set_exception(refused)
        else:
            earlier = self._in_flight[-1][1] if self._in_flight else None
            future = asyncio.ensure_future(
                _after(earlier, storage.save_checkpoint(checkpoint, encoded=encoded))
            )
        # The next checkpoint follows this one and may refer to its values, durable or not yet:
        # saves are made durable in order, a storage makes one durable only after those it
        # refers to (the file store syncs them first), and one whose predecessor failed fails
        # too. Both are reset if this one fails.
        state.last_checkpoint_id = checkpoint.checkpoint_id
        self._snapshots.hold(state, storage, prepared)
        self._in_flight.append((prepared, future))
        future.add_done_callback(self._settled)

    async def _wait_all(self) -> None:
        if self._in_flight:
            self._hurry()
            await asyncio.wait([future for _, future in self._in_flight])

    def _hurry(self) -> None:
        """The run waits for its saves now: a store that holds saves to group them sends them."""
        if self._pipeline is not None:
            self._pipeline.hurry()

    def _settled(self, _: object) -> None:
        """Settle the saves that are done, oldest first (a later one waits for its elders)."""
        while self._in_flight and self._in_flight[0][1].done():
            prepared, future = self._in_flight.popleft()
            error = future.exception() if not future.cancelled() else asyncio.CancelledError()
            if self._failure is not None or error is not None:
                # Saves after a failure fail too (they follow it); the first one is reported.
                self._failure = self._failure or error
                self._state.last_checkpoint_id = self._durable_id
                self._state.written, self._state.written_in = self._durable_written
                continue
            event = self._snapshots.saved(prepared)
            self._durable_id = prepared.checkpoint.checkpoint_id
            self._durable_written = (prepared.written, self._storage)
            if self._outlet is not None:
                self._outlet.put_nowait(event)
            else:
                self._ready.append(event)

    def _take(self) -> list[WorkflowEvent]:
        """The events to emit now; a failed save is reported once, as it happened."""
        events, self._ready = self._ready, []
        if self._failure is not None and not self._in_flight:  # those after it failed too
            failure, self._failure = self._failure, None
            if not isinstance(failure, CheckpointError):
                raise failure  # not a storage's refusal but a bug: as a synchronous save would
            events.append(WorkflowFailedEvent(details=WorkflowErrorDetails.from_exception(failure)))
        return events


async def _after(earlier: asyncio.Future[Any] | None, save: Awaitable[str]) -> str:
    """A save that starts once the one before it is durable, for a storage that does not order
    saves itself; it fails, unsaved, if that one failed."""
    if earlier is not None:
        try:
            await asyncio.shield(earlier)
        except BaseException:
            if asyncio.iscoroutine(save):
                save.close()
            raise CheckpointError("not saved: the checkpoint it follows was not saved") from None
    return await save
