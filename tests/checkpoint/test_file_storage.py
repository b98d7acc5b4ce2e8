"""FileCheckpointStorage on real files: damaged folders, the listing cache, atomic saves."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointError,
    FileCheckpointStorage,
    WorkflowCheckpoint,
)
from wftui.checkpoint.codec import checkpoint_to_json
from wftui.checkpoint.file import INDEX_NAME, SUMMARIES_NAME


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


async def save_history(
    storage: FileCheckpointStorage, count: int, start: int = 0
) -> list[WorkflowCheckpoint]:
    checkpoints = []
    for second in range(start, start + count):
        cp = make_checkpoint(iteration=second, timestamp=stamp(second))
        await storage.save_checkpoint(cp)
        checkpoints.append(cp)
    return checkpoints


async def listed(folder: Path) -> list[str]:
    """Ids a fresh storage lists, newest first (as another process would see them)."""
    return [s.checkpoint_id for s in await FileCheckpointStorage(folder).list_summaries()]


def problem_reasons(storage: FileCheckpointStorage) -> dict[str, str]:
    return {Path(problem.path).name: problem.reason for problem in storage.problems}


async def test_one_readable_json_file_per_checkpoint(folder: Path) -> None:
    storage = FileCheckpointStorage(str(folder))  # str or Path; created if missing
    [cp] = await save_history(storage, 1)
    path = folder / f"{cp.checkpoint_id}.json"
    document = json.loads(path.read_text())
    assert document["checkpoint_id"] == cp.checkpoint_id
    assert document["shared_state"] == {"original_input": "hello world"}
    assert path.read_text().count("\n") > 10
    [summary] = await storage.list_summaries()
    assert summary.size_bytes == path.stat().st_size


async def test_checkpoints_are_visible_to_another_storage_on_the_same_folder(folder: Path) -> None:
    writer, reader = FileCheckpointStorage(folder), FileCheckpointStorage(folder)
    first = await save_history(writer, 2)
    assert len(await reader.list_summaries()) == 2  # warms the reader's cache
    later = await save_history(writer, 2, start=2)
    ids = [cp.checkpoint_id for cp in first + later]
    assert [s.checkpoint_id for s in await reader.list_summaries()] == ids[::-1]
    assert [s.checkpoint_id for s in await reader.list_summaries(limit=1)] == ids[-1:]
    await writer.delete_checkpoint(ids[-1])
    latest = await reader.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == ids[-2]


BAD_CONTENT = {
    "empty": (b"", "empty file"),
    "truncated": (None, "truncated or corrupt"),
    "garbage": (b"\x00\xff not json", "not valid JSON"),
    "foreign": (b'{"name": "package.json", "version": "1.0"}', "no format_version"),
    "array": (b"[1, 2, 3]", "expected a JSON object"),
    "future": (b'{"format_version": 2}', "format version 2 is not supported"),
}


@pytest.mark.parametrize("kind", BAD_CONTENT)
async def test_unusable_files_are_skipped_and_reported_never_raised(
    folder: Path, kind: str
) -> None:
    storage = FileCheckpointStorage(folder)
    good = await save_history(storage, 2)
    content, reason = BAD_CONTENT[kind]
    if content is None:
        content = checkpoint_to_json(make_checkpoint())[:100]
    (folder / "broken.json").write_bytes(content)
    for fresh in (False, True):
        current = FileCheckpointStorage(folder) if fresh else storage
        assert [s.checkpoint_id for s in await current.list_summaries()] == [
            cp.checkpoint_id for cp in reversed(good)
        ]
        assert reason in problem_reasons(current)["broken.json"]
        assert len(await current.list_checkpoints()) == 2
        assert reason in problem_reasons(current)["broken.json"]
        assert await current.list_checkpoint_ids() == [cp.checkpoint_id for cp in good]
    with pytest.raises(CheckpointDecodingError, match=f"checkpoint broken .*{reason}"):
        await storage.load_checkpoint("broken")


async def test_a_file_renamed_by_hand_is_reported(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    [cp] = await save_history(storage, 1)
    os.rename(folder / f"{cp.checkpoint_id}.json", folder / "renamed.json")
    assert await storage.list_summaries() == []
    assert "holds checkpoint" in problem_reasons(storage)["renamed.json"]
    with pytest.raises(CheckpointDecodingError, match="renamed or copied"):
        await storage.load_checkpoint("renamed")


async def test_other_files_in_the_folder(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    await save_history(storage, 1)
    (folder / "notes.txt").write_text("mine")
    (folder / "not an id.json").write_text("{}")
    (folder / "subfolder").mkdir()
    (folder / ".a.json.0000000a.tmp").write_text("{")
    expected = {
        "not an id.json": "not a checkpoint: the file name is not a checkpoint id",
        ".a.json.0000000a.tmp": "temporary file of an unfinished or interrupted save; ignored",
    }
    assert len(await storage.list_summaries()) == 1
    assert problem_reasons(storage) == expected
    assert len(await storage.list_checkpoints()) == 1  # reads the folder's names, not the cache
    assert problem_reasons(storage) == expected


async def test_corrupt_newest_file_is_reported_and_the_newest_valid_returned(
    folder: Path,
) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = await save_history(storage, 3)
    newest = folder / f"{checkpoints[-1].checkpoint_id}.json"
    newest.write_bytes(newest.read_bytes()[:-40])  # truncated after it was indexed
    for current in (storage, FileCheckpointStorage(folder)):
        latest = await current.get_latest()
        assert latest is not None
        assert latest.checkpoint_id == checkpoints[1].checkpoint_id
        assert "truncated or corrupt" in problem_reasons(current)[newest.name]
        summaries = await current.list_summaries(limit=1)
        assert [s.checkpoint_id for s in summaries] == [checkpoints[1].checkpoint_id]
        assert newest.name in problem_reasons(current)


async def test_get_latest_refuses_rather_than_skip_a_valid_newest_it_cannot_rebuild(
    folder: Path,
) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = await save_history(storage, 2)
    newest = folder / f"{checkpoints[-1].checkpoint_id}.json"
    newest.write_bytes(
        newest.read_bytes().replace(b'"hello world"', b'{"$t":"other.module:Thing"}')
    )
    with pytest.raises(CheckpointDecodingError, match="does not declare"):
        await storage.get_latest()
    # Listing does not raise: it reports the checkpoint it cannot rebuild.
    assert len(await storage.list_checkpoints()) == 1
    assert "other.module:Thing" in problem_reasons(storage)[newest.name]


async def test_a_file_replaced_after_indexing_is_read_again(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    [cp] = await save_history(storage, 1)
    assert (await storage.list_summaries())[0].iteration_count == 0
    replaced = cp.model_copy(update={"iteration_count": 42, "messages": {}})
    (folder / f"{cp.checkpoint_id}.json").write_bytes(checkpoint_to_json(replaced))
    for current in (storage, FileCheckpointStorage(folder)):
        [summary] = await current.list_summaries(limit=5)
        assert summary.iteration_count == 42
        assert summary.pending_message_count == 0


async def test_leftover_temp_files_are_ignored_and_reported(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    [cp] = await save_history(storage, 1)
    temp = folder / f".{cp.checkpoint_id}.json.0badf00d.tmp"
    temp.write_bytes(checkpoint_to_json(cp)[:50])  # a save that died before its rename
    assert [s.checkpoint_id for s in await storage.list_summaries()] == [cp.checkpoint_id]
    assert "interrupted save" in problem_reasons(storage)[temp.name]
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None


async def test_a_failed_save_leaves_no_partial_file(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    cp = make_checkpoint()
    (folder / f"{cp.checkpoint_id}.json").mkdir()  # the rename cannot happen
    with pytest.raises(CheckpointError, match=f"cannot save checkpoint {cp.checkpoint_id}"):
        await storage.save_checkpoint(cp)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    with socket.socket() as handle, pytest.raises(CheckpointEncodingError):
        await storage.save_checkpoint(make_checkpoint(shared_state={"h": handle}))
    assert sorted(p.name for p in folder.iterdir()) == [f"{cp.checkpoint_id}.json"]


async def test_a_file_without_an_index_row_is_listed_and_indexed(folder: Path) -> None:
    """What a crash between the rename and the index append leaves behind."""
    storage = FileCheckpointStorage(folder)
    await storage.list_summaries()  # the cache is warm and empty
    cp = make_checkpoint(timestamp=stamp(9))
    (folder / f"{cp.checkpoint_id}.json").write_bytes(checkpoint_to_json(cp))
    assert [s.checkpoint_id for s in await storage.list_summaries(limit=1)] == [cp.checkpoint_id]
    assert await listed(folder) == [cp.checkpoint_id]
    assert cp.checkpoint_id in (folder / INDEX_NAME).read_text()
    assert storage.problems == []


async def test_an_index_row_without_its_file_is_dropped(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = await save_history(storage, 3)
    os.remove(folder / f"{checkpoints[2].checkpoint_id}.json")
    expected = [checkpoints[1].checkpoint_id, checkpoints[0].checkpoint_id]
    assert [s.checkpoint_id for s in await storage.list_summaries(limit=2)] == expected
    assert await listed(folder) == expected
    assert storage.problems == []


@pytest.mark.parametrize("damage", ["delete", "garbage", "garbage line", "truncate", "swap"])
@pytest.mark.parametrize("cache_file", [INDEX_NAME, SUMMARIES_NAME])
async def test_a_lost_or_damaged_cache_costs_time_never_checkpoints(
    folder: Path, damage: str, cache_file: str
) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = await save_history(storage, 4)
    expected = [cp.checkpoint_id for cp in reversed(checkpoints)]
    await storage.list_summaries()
    (folder / "subfolder").mkdir()
    path = folder / cache_file
    if damage == "delete":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage\n[1, 2]\n{}\n")
    elif damage == "garbage line":
        with path.open("ab") as handle:
            handle.write(b'["x.json", 1, 2]\nnot json\n')
            # Well-formed rows naming things that are not checkpoints.
            for forged in ("../escape.json", INDEX_NAME, "subfolder"):
                handle.write(b'["%s", "9999", "run-1", 1, 1, 0, 10]\n' % forged.encode())
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:  # rows point at the wrong summaries
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(reversed(lines)))
    await save_history(storage, 1, start=4)  # the cache keeps working after the damage
    expected.insert(0, (await storage.list_summaries(limit=1))[0].checkpoint_id)
    for current in (storage, FileCheckpointStorage(folder)):
        assert [s.checkpoint_id for s in await current.list_summaries()] == expected
        assert [s.checkpoint_id for s in await current.list_summaries(limit=2)] == expected[:2]
        assert await current.list_checkpoint_ids() == expected[::-1]
        assert current.problems == []
    assert await listed(folder) == expected


async def test_the_cache_is_compacted_and_stays_right(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = [make_checkpoint(timestamp=stamp(i % 60)) for i in range(300)]
    for cp in checkpoints:
        await storage.save_checkpoint(cp)
    lines = (folder / INDEX_NAME).read_bytes().splitlines()
    assert sum(line.startswith(b"[") for line in lines) == 300  # and a link per save
    await storage.list_summaries(limit=1)
    assert (folder / INDEX_NAME).read_bytes().startswith(b'{"snapshot":')
    assert (folder / INDEX_NAME).read_bytes().count(b"\n") == 1
    for cp in checkpoints[:250]:
        await storage.delete_checkpoint(cp.checkpoint_id)
    survivors = sorted(checkpoints[250:], key=lambda cp: (cp.timestamp, cp.checkpoint_id))
    expected = [cp.checkpoint_id for cp in reversed(survivors)]
    assert [s.checkpoint_id for s in await storage.list_summaries()] == expected
    assert await listed(folder) == expected
    assert [s.checkpoint_id for s in await storage.list_summaries(limit=3)] == expected[:3]


async def test_deleting_keeps_listings_right_across_processes(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = await save_history(storage, 3)
    assert await storage.delete_checkpoint(checkpoints[2].checkpoint_id)
    assert await listed(folder) == [checkpoints[1].checkpoint_id, checkpoints[0].checkpoint_id]
    latest = await FileCheckpointStorage(folder).get_latest()
    assert latest is not None
    assert latest.checkpoint_id == checkpoints[1].checkpoint_id
    # Saved again under the same id: listed again.
    await storage.save_checkpoint(checkpoints[2])
    assert (await listed(folder))[0] == checkpoints[2].checkpoint_id
