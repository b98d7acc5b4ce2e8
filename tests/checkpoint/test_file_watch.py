"""What only the folder's watch has to get right: its shared change log (the conformance suite
covers the promises every store's watch keeps)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import FileCheckpointStorage
from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.file.watch import LOG_NAME


async def take(watcher: AsyncIterator[Change], count: int) -> list[Change]:
    changes = [await asyncio.wait_for(anext(watcher), 10) for _ in range(count)]
    await watcher.aclose()  # type: ignore[attr-defined]
    return changes


async def test_saving_again_is_a_new_saved_change(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    cp = make_checkpoint(iteration=1)
    await storage.save_checkpoint(cp)
    [first] = await take(storage.watch(), 1)
    await storage.save_checkpoint(cp.model_copy(update={"iteration_count": 2}))
    [again] = await take(storage.watch(after_seq=first.seq), 1)
    assert (again.seq, again.checkpoint_id, again.kind) == (
        first.seq + 1,
        cp.checkpoint_id,
        "saved",
    )


async def test_a_line_torn_by_a_crash_loses_no_later_change(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = make_checkpoint()
    await storage.save_checkpoint(first)
    [seen] = await take(storage.watch(), 1)
    with (tmp_path / LOG_NAME).open("ab") as log:
        log.write(b'[2, "half-writ')  # a watcher killed mid-append
    second = make_checkpoint()
    await storage.save_checkpoint(second)
    [after] = await take(FileCheckpointStorage(tmp_path).watch(after_seq=seen.seq), 1)
    assert (after.seq, after.checkpoint_id, after.kind) == (2, second.checkpoint_id, "saved")
    # Every watcher reads the same log, the torn line skipped.
    replay = await take(FileCheckpointStorage(tmp_path).watch(), 2)
    assert [c.checkpoint_id for c in replay] == [first.checkpoint_id, second.checkpoint_id]


async def test_the_log_is_invisible_to_listings(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    cp = make_checkpoint()
    await storage.save_checkpoint(cp)
    await take(storage.watch(), 1)
    assert (tmp_path / LOG_NAME).is_file()
    assert await storage.list_checkpoint_ids() == [cp.checkpoint_id]
    assert storage.problems == []
