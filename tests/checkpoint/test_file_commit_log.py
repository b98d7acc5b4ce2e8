"""The file store's commit log: what a power cut can take from the files, the log gives back.

A power cut is played by what it can do to unsynced files (a file missing, empty or cut short)
and by the boot id changing: the next open in the "new boot" replays the log.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointError, FileCheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint.file import commitlog
from wftui.checkpoint.file.commitlog import LOG_NAME
from wftui.checkpoint.file.worker import ENV_SWITCH


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


@pytest.fixture(autouse=True)
def saves_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests change the commit log module here (the boot, the size limit); the save
    worker process would not see that, so the save thread does the file work."""
    monkeypatch.setenv(ENV_SWITCH, "0")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


async def save_history(storage: FileCheckpointStorage, count: int) -> list[WorkflowCheckpoint]:
    checkpoints = []
    for second in range(count):
        cp = make_checkpoint(iteration=second, timestamp=stamp(second))
        await storage.save_checkpoint(cp)
        checkpoints.append(cp)
    return checkpoints


def reboot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commitlog, "BOOT_ID", "the-next-boot")


async def ids_and_problems(folder: Path) -> tuple[list[str], list[str]]:
    storage = FileCheckpointStorage(folder)
    ids = [cp.checkpoint_id for cp in await storage.list_checkpoints()]
    return ids, [problem.reason for problem in storage.problems]


async def test_files_lost_or_torn_by_a_power_cut_are_rewritten_from_the_log(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = await save_history(FileCheckpointStorage(folder), 4)
    originals = {
        cp.checkpoint_id: (folder / f"{cp.checkpoint_id}.json").read_bytes() for cp in saved
    }
    (folder / f"{saved[0].checkpoint_id}.json").unlink()  # the rename never reached the disk
    (folder / f"{saved[1].checkpoint_id}.json").write_bytes(b"")  # data never written
    torn = folder / f"{saved[2].checkpoint_id}.json"
    torn.write_bytes(originals[saved[2].checkpoint_id][:40])

    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [cp.checkpoint_id for cp in saved]
    assert problems == []
    for checkpoint_id, data in originals.items():
        assert (folder / f"{checkpoint_id}.json").read_bytes() == data


async def test_within_one_boot_nothing_is_replayed_so_files_removed_by_hand_stay_gone(
    folder: Path,
) -> None:
    """The seed notebook deletes *.json to start clean; a new storage must not revive them."""
    await save_history(FileCheckpointStorage(folder), 3)
    for path in folder.glob("*.json"):
        path.unlink()
    assert await ids_and_problems(folder) == ([], [])


async def test_a_deleted_checkpoint_is_not_brought_back_by_a_replay(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = FileCheckpointStorage(folder)
    saved = await save_history(storage, 3)
    assert await storage.delete_checkpoint(saved[1].checkpoint_id)
    reboot(monkeypatch)
    ids, _ = await ids_and_problems(folder)
    assert ids == [saved[0].checkpoint_id, saved[2].checkpoint_id]


async def test_a_torn_last_record_is_ignored_and_the_records_before_it_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = await save_history(FileCheckpointStorage(folder), 2)
    log = folder / LOG_NAME
    log.write_bytes(log.read_bytes().rstrip(b"\0")[:-25])  # the second record cut short
    for cp in saved:
        (folder / f"{cp.checkpoint_id}.json").unlink()
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [saved[0].checkpoint_id]  # the second was never announced durable
    assert problems == []


async def test_the_log_starts_afresh_once_full_and_nothing_is_lost(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commitlog, "LOG_LIMIT", 4096)
    storage = FileCheckpointStorage(folder)
    saved = await save_history(storage, 12)
    records = (folder / LOG_NAME).read_bytes().rstrip(b"\0")  # zeros are written ahead
    assert len(records) < 4096 + len((folder / f"{saved[-1].checkpoint_id}.json").read_bytes()) * 2
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [cp.checkpoint_id for cp in saved]
    assert problems == []


async def test_a_link_in_place_of_the_log_is_not_followed_and_saves_stay_durable(
    folder: Path, tmp_path: Path
) -> None:
    folder.mkdir()
    outside = tmp_path / "outside.log"
    outside.write_bytes(b"")
    os.symlink(outside, folder / LOG_NAME)
    storage = FileCheckpointStorage(folder)
    saved = await save_history(storage, 2)
    assert outside.read_bytes() == b""
    ids, _ = await ids_and_problems(folder)
    assert ids == [cp.checkpoint_id for cp in saved]


async def test_a_log_left_by_another_boot_is_replayed_once_then_started_afresh(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = await save_history(FileCheckpointStorage(folder), 2)
    reboot(monkeypatch)
    await ids_and_problems(folder)
    (folder / f"{saved[0].checkpoint_id}.json").unlink()  # removed by hand in the new boot
    ids, _ = await ids_and_problems(folder)
    assert ids == [saved[1].checkpoint_id]


async def test_a_record_torn_by_a_killed_writer_does_not_hide_the_records_after_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = FileCheckpointStorage(folder)
    [first] = await save_history(storage, 1)
    log = folder / LOG_NAME
    with log.open("ab") as handle:  # a writer killed halfway through its record
        handle.write(b'{"save":"0123","size":5000,"crc":1}\n{\n  "format_ver')
    later = make_checkpoint(iteration=9, timestamp=stamp(9))
    await FileCheckpointStorage(folder).save_checkpoint(later)
    for cp in (first, later):
        (folder / f"{cp.checkpoint_id}.json").unlink()
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [first.checkpoint_id, later.checkpoint_id]
    assert problems == []


async def test_saves_waiting_together_are_durable_in_submission_order(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = FileCheckpointStorage(folder)
    checkpoints = [make_checkpoint(iteration=i, timestamp=stamp(i)) for i in range(6)]
    futures = [storage.submit_checkpoint(cp) for cp in checkpoints]  # none awaited yet
    assert await asyncio.gather(*futures) == [cp.checkpoint_id for cp in checkpoints]
    records = (folder / LOG_NAME).read_bytes()
    positions = [records.index(cp.checkpoint_id.encode()) for cp in checkpoints]
    assert positions == sorted(positions)
    for cp in checkpoints:
        (folder / f"{cp.checkpoint_id}.json").unlink()  # lost by a power cut
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [cp.checkpoint_id for cp in checkpoints]
    assert problems == []


async def test_a_save_whose_parent_failed_is_not_written(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    parent = make_checkpoint(iteration=1, timestamp=stamp(1))
    child = make_checkpoint(
        iteration=2, timestamp=stamp(2), parent_checkpoint_id=parent.checkpoint_id
    )
    (folder / f"{parent.checkpoint_id}.json" / "in-the-way").mkdir(parents=True)
    first, second = storage.submit_checkpoint(parent), storage.submit_checkpoint(child)
    with pytest.raises(CheckpointError, match=f"cannot save checkpoint {parent.checkpoint_id}"):
        await first
    with pytest.raises(
        CheckpointError, match=f"the checkpoint it follows, {parent.checkpoint_id}, was not saved"
    ):
        await second
    assert not (folder / f"{child.checkpoint_id}.json").exists()
    log = folder / LOG_NAME
    assert not log.exists() or child.checkpoint_id.encode() not in log.read_bytes()


async def test_records_go_into_space_written_ahead_so_a_sync_changes_no_size(
    folder: Path,
) -> None:
    storage = FileCheckpointStorage(folder)
    await save_history(storage, 1)
    size = (folder / LOG_NAME).stat().st_size
    await save_history(storage, 5)
    assert (folder / LOG_NAME).stat().st_size == size
    assert len((folder / LOG_NAME).read_bytes().rstrip(b"\0")) < size


async def test_writers_in_one_folder_append_after_each_other_and_after_a_fresh_start(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commitlog, "LOG_LIMIT", 6000)  # so the log starts afresh on the way
    one, other = FileCheckpointStorage(folder), FileCheckpointStorage(folder)
    saved = []
    for second in range(14):  # the log starts afresh after the eighth
        cp = make_checkpoint(iteration=second, timestamp=stamp(second))
        await (one if second % 3 else other).save_checkpoint(cp)
        saved.append(cp)
    for cp in saved:
        (folder / f"{cp.checkpoint_id}.json").unlink()
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    # What the last fresh start left out was made durable by its sync (and so is not lost in
    # truth); each writer's records since are replayed.
    assert ids == [cp.checkpoint_id for cp in saved][-len(ids) :]
    assert len(ids) >= 3
    assert problems == []


async def test_each_fresh_storage_object_appends_after_the_records_of_the_ones_before(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records of 40 KB, so the log's end (found reading back from its end) is chunks away from
    # the zeros written ahead and from its start; one new storage object per save, as one
    # ``wftui run`` process after another.
    saved = []
    for second in range(12):
        big = {"note": "n" * 40_000}
        cp = make_checkpoint(iteration=second, timestamp=stamp(second), shared_state=big)
        await FileCheckpointStorage(folder).save_checkpoint(cp)
        saved.append(cp)
    for cp in saved:
        (folder / f"{cp.checkpoint_id}.json").unlink()
    reboot(monkeypatch)
    ids, problems = await ids_and_problems(folder)
    assert ids == [cp.checkpoint_id for cp in saved]
    assert problems == []


async def test_a_folder_gone_before_the_first_save_is_a_clear_save_error(
    folder: Path, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(folder)
    folder.rename(tmp_path / "moved")  # nothing to sweep, nothing to write into
    cp = make_checkpoint()
    with pytest.raises(CheckpointError, match=f"cannot save checkpoint {cp.checkpoint_id} to "):
        await storage.save_checkpoint(cp)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
async def test_storage_objects_made_and_dropped_leave_no_descriptor_open(tmp_path: Path) -> None:
    # One storage object per run, in 40 folders: each object's commit log stayed open.
    async def save_in(folder: Path) -> None:
        await FileCheckpointStorage(folder).save_checkpoint(make_checkpoint())

    await save_in(tmp_path / "warm-up")
    before = len(os.listdir("/proc/self/fd"))
    for index in range(40):
        for _ in range(3):
            await save_in(tmp_path / str(index))
    assert len(os.listdir("/proc/self/fd")) - before <= commitlog._RECENT_LOGS
