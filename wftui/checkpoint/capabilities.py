"""Optional storage capabilities, each its own small Protocol beside the base ``CheckpointStorage``.

A caller checks ``isinstance(storage, WatchableStorage)`` (and so on) and falls back when a
third-party store lacks one; the built-in stores have them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from wftui.checkpoint.fragments import EncodedFragments
    from wftui.checkpoint.model import WorkflowCheckpoint


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a store's change sequence: a checkpoint saved, or deleted (a tombstone).

    ``seq`` grows with every change a store records; a watcher that reconnects passes the last
    one it saw (never a time: clocks differ between machines, and commit order is not time order).
    """

    seq: int
    checkpoint_id: str
    workflow_id: str
    kind: Literal["saved", "deleted"]


@runtime_checkable
class WatchableStorage(Protocol):
    def watch(self, after_seq: int = 0) -> AsyncIterator[Change]:
        """Every change after ``after_seq`` in sequence order, then each new one as it lands,
        from any process writing the store; it never ends by itself (close it)."""
        ...


@runtime_checkable
class SequencedStorage(Protocol):
    async def last_seq(self) -> int:
        """The newest change's seq: a watcher that has read the store starts after it, so it
        replays no history."""
        ...


@runtime_checkable
class DocumentStorage(Protocol):
    async def save_document(self, data: bytes) -> str:
        """Store a document verbatim (as another store's ``load_document`` gave it) under the
        checkpoint id it holds; ``CheckpointDecodingError`` if it does not parse. For copying
        between stores without importing a pipeline's types."""
        ...


@runtime_checkable
class BulkDeletingStorage(Protocol):
    async def delete_checkpoints(self, checkpoint_ids: Sequence[str]) -> int:
        """Delete many at once (one transaction where the store has them); how many were there."""
        ...


@runtime_checkable
class CassetteStorage(Protocol):
    """Keeps each run's cassette (its recorded model answers) beside its checkpoints, as lines
    of bytes per run id, so cassettes live in, copy with and prune with the store."""

    async def append_cassette_line(self, run_id: str, line: bytes) -> None:
        """Add one line to a run's cassette; writers in several processes may append at once."""
        ...

    async def cassette_run_ids(self) -> list[str]:
        """The runs that have a cassette, sorted."""
        ...

    async def read_cassette(self, run_id: str) -> bytes | None:
        """A run's cassette as written, or None when it has none."""
        ...

    async def read_all_cassettes(self) -> dict[str, bytes]:
        """Every run's cassette, by run id in sorted order (what replay reads, at once)."""
        ...

    async def write_cassette(self, run_id: str, data: bytes) -> None:
        """Replace a run's cassette whole (a copy from another store)."""
        ...

    async def delete_cassettes(self, run_ids: Sequence[str]) -> int:
        """Delete the cassettes of ``run_ids``; how many of them had one."""
        ...


@runtime_checkable
class PipelinedStorage(Protocol):
    def submit_checkpoint(
        self,
        checkpoint: WorkflowCheckpoint,
        *,
        encoded: EncodedFragments | None = None,
        waited: bool = False,
    ) -> asyncio.Future[str]:
        """Start saving and return at once; the future is settled once the checkpoint is
        durable (or with the ``CheckpointError``). Saves are written in the order they were
        submitted, and one whose parent checkpoint failed to save fails too, so a run may have
        several in flight (``durability="async"``) and the store may sync them together.
        ``waited``: the caller waits for this save at once (``durability="sync"``), so the
        store need not keep its work off the caller's thread; other saves the store may hold
        a little, for later ones to share their sync."""
        ...

    def hurry(self) -> None:
        """The caller now waits for the saves submitted so far: hold none of them back."""
        ...
