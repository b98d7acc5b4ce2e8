"""The file store's newest-N: along a time order, a settled folder not re-listed, and in a fresh
process from the recent file while the folder is as it recorded."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import FileCheckpointStorage
from wftui.checkpoint.codec import checkpoint_to_json
from wftui.checkpoint.file import INDEX_NAME, SUMMARIES_NAME
from wftui.checkpoint.file.recent import KEPT, MAX_ROWS, NEWEST_NAME, PER_RUN, select


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


# ----- the recent file: a fresh storage's newest-N without the whole index -----


async def remembered(folder: Path, count: int, runs: int = 1) -> list[str]:
    """Save ``count`` checkpoints, then let a listing in the settled folder write the recent
    file (created by the first save)."""
    storage = FileCheckpointStorage(folder)
    ids = []
    for second in range(count):
        cp = make_checkpoint(workflow_id=f"run-{second % runs}", timestamp=stamp(second))
        ids.append(await storage.save_checkpoint(cp))
    settle(folder)
    await FileCheckpointStorage(folder).list_summaries()
    assert (folder / NEWEST_NAME).stat().st_size > 0
    return ids


def from_recent(storage: FileCheckpointStorage) -> bool:
    """Whether the storage has answered without a full listing (white box: no scan yet)."""
    return not storage._listing._scanned


async def test_a_fresh_storage_answers_newest_and_latest_from_the_recent_file(
    tmp_path: Path,
) -> None:
    ids = await remembered(tmp_path, 6, runs=2)
    (tmp_path / "broken.json").write_bytes(b"{")
    (tmp_path / "not an id.json").write_text("{}")
    settle(tmp_path)
    slow = FileCheckpointStorage(tmp_path)
    await slow.list_summaries()  # the long way, which records the two problems too
    assert not from_recent(slow)
    for _ in range(2):
        storage = FileCheckpointStorage(tmp_path)
        assert await newest_ids(storage, 3) == ids[::-1][:3]
        assert await newest_ids(storage, 2, "run-0") == [ids[4], ids[2]]
        latest = await storage.get_latest()
        assert latest is not None and latest.checkpoint_id == ids[-1]
        assert latest == await storage.load_checkpoint(ids[-1])
        assert {p.path: p.reason for p in storage.problems} == {
            p.path: p.reason for p in slow.problems
        }
        assert len(storage.problems) == 2
        assert from_recent(storage)


async def test_files_added_or_removed_behind_the_recent_file_are_seen(tmp_path: Path) -> None:
    ids = await remembered(tmp_path, 4)
    copied = make_checkpoint(timestamp=stamp(30))
    (tmp_path / f"{copied.checkpoint_id}.json").write_bytes(checkpoint_to_json(copied))
    assert await newest_ids(FileCheckpointStorage(tmp_path), 2) == [copied.checkpoint_id, ids[3]]
    await remembered(tmp_path, 0)
    os.remove(tmp_path / f"{copied.checkpoint_id}.json")
    os.remove(tmp_path / f"{ids[3]}.json")
    storage = FileCheckpointStorage(tmp_path)
    assert await newest_ids(storage, 2) == [ids[2], ids[1]]
    latest = await FileCheckpointStorage(tmp_path).get_latest()
    assert latest is not None and latest.checkpoint_id == ids[2]


async def test_a_newest_file_corrupted_in_place_is_reported_not_served(tmp_path: Path) -> None:
    ids = await remembered(tmp_path, 3)
    newest = tmp_path / f"{ids[2]}.json"
    newest.write_bytes(newest.read_bytes()[:-40])  # no name added or removed
    for ask in ("newest", "latest"):
        storage = FileCheckpointStorage(tmp_path)
        if ask == "newest":
            assert await newest_ids(storage, 1) == [ids[1]]
        else:
            latest = await storage.get_latest()
            assert latest is not None and latest.checkpoint_id == ids[1]
        assert [Path(p.path).name for p in storage.problems] == [newest.name]


async def test_a_bad_file_mended_in_place_is_listed_by_a_fresh_storage(tmp_path: Path) -> None:
    await remembered(tmp_path, 2)
    cp = make_checkpoint(timestamp=stamp(40))
    path = tmp_path / f"{cp.checkpoint_id}.json"
    path.write_bytes(b'{"format_version": 1')
    await remembered(tmp_path, 0)
    storage = FileCheckpointStorage(tmp_path)
    assert cp.checkpoint_id not in await newest_ids(storage, 5)
    assert [Path(p.path).name for p in storage.problems] == [path.name]
    assert from_recent(storage)
    path.write_bytes(checkpoint_to_json(cp))
    storage = FileCheckpointStorage(tmp_path)
    assert (await newest_ids(storage, 1)) == [cp.checkpoint_id]
    assert storage.problems == []


def damage(path: Path, how: str) -> bytes:
    """Damage a cache file in place (no name added or removed); returns what it held."""
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(b"\x00garbage\n[1, 2]\n{}\n")
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "swap lines":
        path.write_bytes(b"".join(reversed(data.splitlines(keepends=True))))
    elif how == "same size garbage":
        path.write_bytes(b"#" * len(data))
    elif how == "an edit behind the checksum":
        path.write_bytes(data.replace(b"run-1", b"run-2"))
    else:  # a link to a copy elsewhere
        outside = path.parent.parent / "outside.json"
        outside.write_bytes(data)
        path.unlink()
        path.symlink_to(outside)
    return data


@pytest.mark.parametrize(
    "how", ["garbage", "truncate", "swap lines", "an edit behind the checksum", "link"]
)
async def test_a_damaged_recent_file_costs_time_never_checkpoints(tmp_path: Path, how: str) -> None:
    ids = await remembered(tmp_path, 5)
    data = damage(tmp_path / NEWEST_NAME, how)
    for _ in range(2):
        storage = FileCheckpointStorage(tmp_path)
        assert await newest_ids(storage, 2) == [ids[4], ids[3]]
        latest = await storage.get_latest()
        assert latest is not None and latest.checkpoint_id == ids[4]
    if how == "link":
        assert (
            "symbolic link" in {Path(p.path).name: p.reason for p in storage.problems}[NEWEST_NAME]
        )
        assert (tmp_path.parent / "outside.json").read_bytes() == data


async def test_a_run_beyond_the_recent_file_s_rows_is_answered_the_long_way(
    tmp_path: Path,
) -> None:
    """Newer rows of so many runs that the recent file's rows end before run-0's."""
    ids = await remembered(tmp_path, 3)
    for index in range(MAX_ROWS + 5):
        cp = make_checkpoint(f"busy-{index}", timestamp=stamp(10 + index % 40))
        (tmp_path / f"{cp.checkpoint_id}.json").write_bytes(checkpoint_to_json(cp))
    await remembered(tmp_path, 0)  # indexes them (and compacts the index)
    await remembered(tmp_path, 0)  # records the recent file
    fresh = FileCheckpointStorage(tmp_path)
    assert await newest_ids(fresh, 5, "run-0") == ids[::-1]
    assert not from_recent(fresh)
    assert len(await newest_ids(fresh, 5, "busy-7")) == 1


async def test_the_newest_of_a_run_come_from_the_recent_file_beyond_the_folder_s_newest(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    ids = []
    for index in range(PER_RUN + 3):  # older than every "busy" one
        cp = make_checkpoint("run-0", timestamp=f"2024-01-01T00:00:00.{index:06d}Z")
        ids.append(await storage.save_checkpoint(cp))
    for index in range(KEPT + 5):
        await storage.save_checkpoint(make_checkpoint("busy", timestamp=stamp(10 + index % 40)))
    await FileCheckpointStorage(tmp_path).list_summaries()  # compacts the index
    await remembered(tmp_path, 0)  # records the recent file
    for _ in range(2):
        fresh = FileCheckpointStorage(tmp_path)
        assert await newest_ids(fresh, PER_RUN, "run-0") == ids[::-1][:PER_RUN]
        assert await newest_ids(fresh, 5, "nobody") == []
        assert len(await newest_ids(fresh, KEPT, "busy")) == KEPT
        assert from_recent(fresh)
    for run, more in (("run-0", PER_RUN + 1), ("busy", KEPT + 1)):
        fresh = FileCheckpointStorage(tmp_path)
        assert len(await newest_ids(fresh, more, run)) == more
        assert not from_recent(fresh)  # more than the file keeps of that run


# ----- after saves and deletes by another process: the links in the index -----


async def test_saves_and_deletes_by_another_storage_are_followed_not_rescanned(
    tmp_path: Path,
) -> None:
    ids = await remembered(tmp_path, 4, runs=2)
    other = FileCheckpointStorage(tmp_path)
    later = [make_checkpoint(f"run-{i % 2}", timestamp=stamp(20 + i)) for i in range(3)]
    for cp in later:
        await other.save_checkpoint(cp)
    assert await other.delete_checkpoint(ids[3])
    expected = [cp.checkpoint_id for cp in reversed(later)] + ids[2::-1]
    for _ in range(2):
        storage = FileCheckpointStorage(tmp_path)
        assert await newest_ids(storage, 5) == expected[:5]
        assert await newest_ids(storage, 9, "run-1") == [later[1].checkpoint_id, ids[1]]
        latest = await storage.get_latest("run-0")
        assert latest is not None and latest.checkpoint_id == later[2].checkpoint_id
        assert from_recent(storage)
    assert await newest_ids(FileCheckpointStorage(tmp_path), 99) == expected  # the long way


async def test_a_fresh_storage_that_followed_many_saves_brings_the_recent_file_up_to_date(
    tmp_path: Path,
) -> None:
    await remembered(tmp_path, 2)
    other = FileCheckpointStorage(tmp_path)
    saved = [
        await other.save_checkpoint(make_checkpoint(timestamp=stamp(10 + i % 40), iteration=i))
        for i in range(400)
    ]
    index_size = (tmp_path / INDEX_NAME).stat().st_size
    before = (tmp_path / NEWEST_NAME).read_bytes()
    storage = FileCheckpointStorage(tmp_path)
    newest = await newest_ids(storage, 3)
    assert from_recent(storage)
    after = (tmp_path / NEWEST_NAME).read_bytes()
    assert after != before and f',{index_size}],"columns"'.encode() in after
    assert set(newest) <= set(saved)
    again = FileCheckpointStorage(tmp_path)
    assert await newest_ids(again, 3) == newest
    assert from_recent(again)
    assert (tmp_path / NEWEST_NAME).read_bytes() == after


@pytest.mark.parametrize("change", ["copied in", "removed by hand", "index replaced"])
async def test_a_change_no_link_explains_sends_the_listing_the_long_way(
    tmp_path: Path, change: str
) -> None:
    ids = await remembered(tmp_path, 3)
    other = FileCheckpointStorage(tmp_path)
    saved = make_checkpoint(timestamp=stamp(20))
    await other.save_checkpoint(saved)
    expected = [saved.checkpoint_id, ids[2], ids[1], ids[0]]
    if change == "copied in":
        copied = make_checkpoint(timestamp=stamp(30))
        (tmp_path / f"{copied.checkpoint_id}.json").write_bytes(checkpoint_to_json(copied))
        expected.insert(0, copied.checkpoint_id)
    elif change == "removed by hand":
        os.remove(tmp_path / f"{ids[1]}.json")
        expected.remove(ids[1])
    else:  # as a compaction replaces it
        (tmp_path / "index.tmp").write_bytes((tmp_path / INDEX_NAME).read_bytes())
        os.replace(tmp_path / "index.tmp", tmp_path / INDEX_NAME)
    storage = FileCheckpointStorage(tmp_path)
    assert await newest_ids(storage, 9) == expected
    assert not from_recent(storage)
    latest = await FileCheckpointStorage(tmp_path).get_latest()
    assert latest is not None and latest.checkpoint_id == expected[0]


async def test_a_damaged_link_sends_the_listing_the_long_way(tmp_path: Path) -> None:
    ids = await remembered(tmp_path, 3)
    saved = make_checkpoint(timestamp=stamp(20))
    await FileCheckpointStorage(tmp_path).save_checkpoint(saved)
    index = tmp_path / INDEX_NAME
    data = index.read_bytes()
    assert data.endswith(b"]]\n") is False and b'{"folder":' in data
    index.write_bytes(data.replace(b'{"folder":[', b'{"folder":[1'))
    storage = FileCheckpointStorage(tmp_path)
    assert await newest_ids(storage, 9) == [saved.checkpoint_id, *ids[::-1]]
    assert not from_recent(storage)


def test_kept_rows_are_complete_down_to_their_bounds() -> None:
    """Whatever the rows, each filter's rows at or after its bound are all kept."""
    rng = random.Random(7)
    for size in (0, 10, KEPT + 3, 3 * MAX_ROWS):
        runs = rng.choice([1, 3, 40, 400])
        rows = [
            (f"{i:06d}.json", stamp(rng.randrange(60)), f"run-{rng.randrange(runs)}", 1, 1, 0, 1)
            for i in range(size)
        ]
        newest_first = sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)
        kept, bounds = select(newest_first)
        assert len(kept) <= MAX_ROWS and newest_first[: min(KEPT, size)] == kept[:KEPT]
        live = [row for row in newest_first if row[2] != "run-1"]  # run-1 deleted since
        again, bounds_again = select([row for row in kept if row[2] != "run-1"], bounds)
        for every, selected, its_bounds in (
            (newest_first, kept, bounds),
            (live, again, bounds_again),
        ):
            for run in [None, "run-0", "run-1", "run-2", "nobody"]:
                bound = its_bounds.of(run)
                wanted = [
                    row
                    for row in every
                    if (run is None or row[2] == run)
                    and (bound is None or (row[1], row[0]) >= bound)
                ]
                assert set(wanted) <= set(selected)


@pytest.mark.parametrize("how", ["garbage", "truncate", "swap lines", "same size garbage"])
@pytest.mark.parametrize("cache_file", [INDEX_NAME, SUMMARIES_NAME])
async def test_cache_files_damaged_in_place_behind_the_recent_file_cost_time_only(
    tmp_path: Path, how: str, cache_file: str
) -> None:
    ids = await remembered(tmp_path, 5)
    damage(tmp_path / cache_file, how)
    for _ in range(2):
        storage = FileCheckpointStorage(tmp_path)
        assert await newest_ids(storage, 3) == ids[::-1][:3]
        latest = await storage.get_latest()
        assert latest is not None and latest.checkpoint_id == ids[4]
        assert await newest_ids(storage, 9) == ids[::-1]
        assert storage.problems == []


async def test_a_store_indexed_before_the_recent_file_gains_it_when_compacted(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    for second in range(300):  # enough rows appended that the next listing compacts the index
        await storage.save_checkpoint(make_checkpoint(timestamp=stamp(second % 60)))
    (tmp_path / NEWEST_NAME).unlink()  # as a store from before it has none
    expected = await newest_ids(FileCheckpointStorage(tmp_path), 3)  # the long way; compacts
    assert (tmp_path / NEWEST_NAME).exists()
    settle(tmp_path)
    await FileCheckpointStorage(tmp_path).list_summaries()  # records it
    fresh = FileCheckpointStorage(tmp_path)
    assert await newest_ids(fresh, 3) == expected
    assert from_recent(fresh)


@pytest.mark.parametrize(
    "row",
    [
        '["{name}", "2024-01-01T00:00:59.000000Z", ["a list"], 1, 1, 0, 1]',
        '["{name}", "2024-01-01T00:00:59.000000Z", "run-1", 1, 99999999999999999999, 0, 1]',
    ],
)
async def test_an_index_row_edited_by_hand_costs_time_never_checkpoints(
    tmp_path: Path, row: str
) -> None:
    ids = await remembered(tmp_path, 3)
    index = tmp_path / INDEX_NAME
    with index.open("a") as appended:
        appended.write(row.format(name=f"{ids[0]}.json") + "\n")
    for _ in range(2):
        storage = FileCheckpointStorage(tmp_path)
        assert await newest_ids(storage, 9) == ids[::-1]
        assert [s.checkpoint_id for s in await storage.list_summaries()] == ids[::-1]
        assert storage.problems == []
