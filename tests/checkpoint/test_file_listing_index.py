"""The file store's warm listings: newest-N along a time order, a settled folder not re-listed."""

from __future__ import annotations

import os
from pathlib import Path

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import FileCheckpointStorage
from wftui.checkpoint.codec import checkpoint_to_json


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


def settle(folder: Path) -> None:
    """Age the folder's mtime as time would, so a listing may trust it afterwards."""
    old = os.stat(folder).st_mtime - 60
    os.utime(folder, (old, old))


async def newest_ids(
    storage: FileCheckpointStorage, limit: int, run: str | None = None
) -> list[str]:
    return [s.checkpoint_id for s in await storage.list_summaries(run, limit=limit)]


async def test_newest_follow_time_not_save_order_and_skip_deleted(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    seconds = [5, 1, 9, 3, 7]  # saved out of time order
    saved = {}
    for second in seconds:
        cp = make_checkpoint(workflow_id=f"run-{second % 2}", timestamp=stamp(second))
        await storage.save_checkpoint(cp)
        saved[second] = cp.checkpoint_id
    assert await newest_ids(storage, 3) == [saved[9], saved[7], saved[5]]
    assert await storage.delete_checkpoint(saved[9])
    assert await newest_ids(storage, 2) == [saved[7], saved[5]]
    assert await newest_ids(FileCheckpointStorage(tmp_path), 2) == [saved[7], saved[5]]
    latest = await storage.get_latest()
    assert latest is not None and latest.checkpoint_id == saved[7]
    late = make_checkpoint(workflow_id="run-0", timestamp=stamp(2))  # older than the newest
    await storage.save_checkpoint(late)
    assert await newest_ids(storage, 3, "run-0") == [late.checkpoint_id]
    assert await newest_ids(storage, 9, "run-1") == [saved[7], saved[5], saved[3], saved[1]]


async def test_a_file_copied_into_a_settled_folder_is_listed_by_a_warm_storage(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = make_checkpoint(timestamp=stamp(1))
    await storage.save_checkpoint(first)
    settle(tmp_path)
    assert await newest_ids(storage, 5) == [first.checkpoint_id]
    assert await newest_ids(storage, 5) == [first.checkpoint_id]  # the folder was not re-listed
    copied = make_checkpoint(timestamp=stamp(2))
    (tmp_path / f"{copied.checkpoint_id}.json").write_bytes(checkpoint_to_json(copied))
    assert await newest_ids(storage, 5) == [copied.checkpoint_id, first.checkpoint_id]


async def test_a_bad_file_mended_in_place_is_listed_though_the_folder_is_unchanged(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    cp = make_checkpoint(timestamp=stamp(1))
    path = tmp_path / f"{cp.checkpoint_id}.json"
    path.write_bytes(b'{"format_version": 1')
    settle(tmp_path)
    assert await newest_ids(storage, 5) == []
    assert [Path(p.path).name for p in storage.problems] == [path.name]
    assert await newest_ids(storage, 5) == []
    assert [Path(p.path).name for p in storage.problems] == [path.name]  # still reported
    path.write_bytes(checkpoint_to_json(cp))  # rewritten in place: no name added or removed
    assert await newest_ids(storage, 5) == [cp.checkpoint_id]
    assert storage.problems == []


async def test_a_large_index_loaded_out_of_time_order_is_ranked_by_time(tmp_path: Path) -> None:
    """A fresh storage loads many rows at once and sorts them; ties in time go by id."""
    storage = FileCheckpointStorage(tmp_path)
    seconds = [(7 * i) % 80 for i in range(80)]  # every second 0-79 once, out of order
    saved = {}
    for second in seconds:
        cp = make_checkpoint(
            timestamp=f"2024-01-01T00:{second // 60:02d}:{second % 60:02d}.000000Z"
        )
        await storage.save_checkpoint(cp)
        saved[second] = cp.checkpoint_id
    twin = make_checkpoint(timestamp="2024-01-01T00:01:19.000000Z")  # ties with the newest
    await storage.save_checkpoint(twin)
    expected = [*sorted([saved[79], twin.checkpoint_id], reverse=True), saved[78], saved[77]]
    assert await newest_ids(FileCheckpointStorage(tmp_path), 4) == expected
