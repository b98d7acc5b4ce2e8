"""Change sequences, written once for the checkpoint stores and the journal: the in-memory
sequence that wakes its watchers, and the loop that reads a table of changes on from a seq.

A change is anything with a ``seq`` (``Change``, ``JournalChange``); watchers resume after the
last ``seq`` they saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar


class Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


T = TypeVar("T", bound=Sequenced)


class MemorySequence(Generic[T]):
    """Changes kept in a list (change n has seq n + 1), for the stores that live in memory."""

    def __init__(self) -> None:
        self._changes: list[T] = []
        self._wakers: set[asyncio.Event] = set()  # one per running watcher

    @property
    def last_seq(self) -> int:
        return len(self._changes)

    def record(self, make: Callable[[int], T]) -> None:
        """Append ``make(seq)`` and wake every watcher."""
        self._changes.append(make(len(self._changes) + 1))
        for waker in self._wakers:
            waker.set()

    async def watch(self, after_seq: int = 0) -> AsyncIterator[T]:
        """Every change after ``after_seq``, then each new one as this process makes it."""
        seq = max(after_seq, 0)
        waker = asyncio.Event()
        self._wakers.add(waker)
        try:
            while True:
                waker.clear()
                while seq < len(self._changes):
                    seq += 1
                    yield self._changes[seq - 1]
                await waker.wait()
        finally:
            self._wakers.discard(waker)


async def read_on(
    after: Callable[[int], Awaitable[Sequence[T]]],
    wait: Callable[[float], Awaitable[None]],
    poll_interval: float,
    after_seq: int,
    batch: int,
) -> AsyncIterator[T]:
    """The changes ``after(seq)`` reads (up to ``batch`` at a time, in order), one by one;
    ``wait`` between looks that found less than a batch."""
    seq = after_seq
    while True:
        changes = await after(seq)
        for change in changes:
            seq = change.seq
            yield change
        if len(changes) < batch:
            await wait(poll_interval)
