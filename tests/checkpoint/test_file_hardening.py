"""The file store in a folder others can write to: links, FIFOs, huge files, unreadable files,
files changed behind the cache's back, and temp files of interrupted saves (issue 12)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointError, FileCheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint.file import INDEX_NAME, SUMMARIES_NAME

GUARD = (
    10.0  # seconds: a listing that blocks on a FIFO never returns; this turns that into a failure
)


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


async def history(storage: FileCheckpointStorage, count: int) -> list[str]:
    ids = []
    for second in range(count):
        cp = make_checkpoint(iteration=second, timestamp=stamp(second))
        ids.append(await storage.save_checkpoint(cp))
    return ids


async def summaries(folder: Path, **options: int) -> tuple[list[str], dict[str, str]]:
    """What a fresh storage lists (newest first) and the problems it reports, by file name."""
    storage = FileCheckpointStorage(folder, **options)
    found = await asyncio.wait_for(storage.list_summaries(), GUARD)
    return [s.checkpoint_id for s in found], {Path(p.path).name: p.reason for p in storage.problems}


@pytest.mark.parametrize("cache_file", [INDEX_NAME, SUMMARIES_NAME])
async def test_a_cache_file_that_is_a_link_is_never_followed(
    folder: Path, tmp_path: Path, cache_file: str
) -> None:
    storage = FileCheckpointStorage(folder)
    outside = tmp_path / "outside.txt"
    outside.write_text("mine\n")
    (folder / cache_file).symlink_to(outside)
    ids = await history(storage, 2)
    assert outside.read_text() == "mine\n"
    listed, problems = await summaries(folder)
    assert listed == ids[::-1]
    assert "symbolic link" in problems[cache_file]
    assert outside.read_text() == "mine\n"


async def test_a_checkpoint_that_is_a_link_is_reported_not_followed(
    folder: Path, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(folder)
    [real] = await history(storage, 1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cp = make_checkpoint(checkpoint_id="linked", timestamp=stamp(30))
    await FileCheckpointStorage(elsewhere).save_checkpoint(cp)
    (folder / "linked.json").symlink_to(elsewhere / "linked.json")
    (folder / "zero.json").symlink_to("/dev/zero")
    listed, problems = await summaries(folder)
    assert listed == [real]
    assert "symbolic link; not followed" in problems["linked.json"]
    assert "symbolic link; not followed" in problems["zero.json"]
    with pytest.raises(CheckpointError, match="symbolic link"):
        await FileCheckpointStorage(folder).load_checkpoint("zero")


async def test_fifos_are_reported_and_skipped_never_block(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    ids = await history(storage, 2)
    os.mkfifo(folder / "pipe.json")
    listed, problems = await summaries(folder)
    assert listed == ids[::-1]
    assert problems["pipe.json"].endswith("a FIFO; skipped")
    with pytest.raises(CheckpointError, match="a FIFO"):
        await asyncio.wait_for(FileCheckpointStorage(folder).load_checkpoint("pipe"), GUARD)


async def test_a_fifo_named_like_the_index_blocks_neither_saves_nor_listings(
    folder: Path,
) -> None:
    folder.mkdir()
    os.mkfifo(folder / INDEX_NAME)
    storage = FileCheckpointStorage(folder)
    cp = make_checkpoint(timestamp=stamp(1))
    await asyncio.wait_for(storage.save_checkpoint(cp), GUARD)
    listed, problems = await summaries(folder)
    assert listed == [cp.checkpoint_id]
    assert "a FIFO" in problems[INDEX_NAME]


async def test_a_file_over_the_size_limit_is_reported_by_size_unread(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    ids = await history(storage, 1)
    huge = folder / "huge.json"
    with huge.open("wb") as handle:  # sparse: 300 MiB that take no disk and are never read
        handle.truncate(300 << 20)
    listed, problems = await summaries(folder)
    assert listed == ids
    assert problems["huge.json"] == (
        f"cannot read: {300 << 20} bytes, over the {256 << 20}-byte limit; not read"
    )
    small = folder / "small.json"
    small.write_bytes(b" " * 2000)
    _, problems = await summaries(folder, max_file_size=1000)
    assert "2000 bytes, over the 1000-byte limit" in problems["small.json"]


async def test_a_file_changed_behind_the_cache_with_its_mtime_restored_is_read_again(
    folder: Path,
) -> None:
    storage = FileCheckpointStorage(folder)
    ids = await history(storage, 2)
    assert (await summaries(folder))[0] == ids[::-1]
    path = folder / f"{ids[1]}.json"
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[5:15] = b"#" * 10  # same size, garbage inside
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    listed, problems = await summaries(folder)
    assert listed == [ids[0]]
    assert problems[path.name].startswith("not a")


def list_as_unprivileged(folder: Path) -> tuple[list[str], dict[str, str]]:
    """List ``folder`` in a forked child that first drops to uid/gid 65534 (nobody)."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            result = asyncio.run(summaries(folder))
            os.write(write_end, json.dumps(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    listed, problems = json.loads(output)
    return listed, problems


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder an unprivileged user can list (pytest's own tmp folders are private to root)."""
    top = Path(tempfile.mkdtemp(prefix="wftui-shared-"))
    top.chmod(0o755)
    try:
        yield top / "checkpoints"
    finally:
        shutil.rmtree(top)


async def test_a_checkpoint_made_unreadable_is_reported_though_cached(shared_folder: Path) -> None:
    """Mode 000 is unreadable to everyone but root, so when the tests run as root the listing
    runs in a child process that dropped to an unprivileged user."""
    storage = FileCheckpointStorage(shared_folder)
    shared_folder.chmod(0o755)
    ids = await history(storage, 2)
    for path in shared_folder.iterdir():
        path.chmod(0o644)
    assert (await summaries(shared_folder))[0] == ids[::-1]  # cached: size and ctime known
    (shared_folder / f"{ids[1]}.json").chmod(0)
    if os.geteuid() == 0:
        listed, problems = list_as_unprivileged(shared_folder)
    else:
        listed, problems = await summaries(shared_folder)
    assert listed == [ids[0]]
    assert problems[f"{ids[1]}.json"] == "cannot read: Permission denied"


def leave_temp(folder: Path, name: str, age_seconds: float) -> Path:
    path = folder / name
    path.write_bytes(b'{"format_version": 1')
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


async def test_stale_temp_files_are_removed_on_the_next_save_and_said_once(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = FileCheckpointStorage(folder)
    oldest = leave_temp(folder, ".a.json.0000000a.tmp", 600)
    old = leave_temp(folder, ".b.json.0000000b.tmp", 120)
    fresh = leave_temp(folder, ".c.json.0000000c.tmp", 5)
    caplog.set_level(logging.WARNING, logger="wftui.checkpoint")
    await history(storage, 2)
    assert (oldest.exists(), old.exists(), fresh.exists()) == (False, False, True)
    assert [r.getMessage() for r in caplog.records] == [
        f"removed 2 temporary files left by interrupted saves in {folder}"
    ]
    _, problems = await summaries(folder)
    assert list(problems) == [fresh.name]


async def test_the_newest_temp_file_is_kept_however_old(folder: Path) -> None:
    storage = FileCheckpointStorage(folder)
    older = leave_temp(folder, ".a.json.0000000a.tmp", 600)
    newest = leave_temp(folder, ".b.json.0000000b.tmp", 120)
    await history(storage, 1)
    assert (older.exists(), newest.exists()) == (False, True)


async def test_the_folder_is_created_when_the_storage_is_made(folder: Path) -> None:
    assert not folder.exists()
    FileCheckpointStorage(folder)
    assert folder.is_dir()


def test_a_file_where_the_folder_should_be_is_one_clear_line(tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.write_text("not a folder")
    with pytest.raises(CheckpointError, match=f"^{stray} is a file, not a checkpoint folder$"):
        FileCheckpointStorage(stray)
    with pytest.raises(CheckpointError, match=f"^cannot create checkpoint folder {stray}/sub: "):
        FileCheckpointStorage(stray / "sub")


def test_a_checkpoint_is_constructible_with_defaults() -> None:
    cp = WorkflowCheckpoint()
    assert cp.workflow_id == ""
    assert cp.version == "1.0"
    assert cp.format_version == 1
