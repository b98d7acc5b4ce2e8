"""Spare files (``wftui/checkpoint/file/spares.py``): made ahead with no name, they change
nothing on disk until a save links one, whole, under its checkpoint's name; the save worker
makes them for the folder it saves to while it idles."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint, nameless_files
from wftui.checkpoint import FileCheckpointStorage
from wftui.checkpoint.file.spares import Spares
from wftui.checkpoint.file.worker import ENV_SWITCH, WORKER

WAIT_SECONDS = 30.0


def ready_spares(folder: Path, saves: int) -> Spares:
    spares = Spares()
    spares.expect(str(folder), saves)
    while spares.wanted():
        spares.make_one()
    return spares


def test_a_spare_shows_only_once_it_is_linked_whole(tmp_path: Path) -> None:
    before = os.stat(tmp_path).st_mtime_ns
    spares = ready_spares(tmp_path, 2)
    assert len(nameless_files(os.getpid(), tmp_path)) == 4  # twice the group
    assert os.listdir(tmp_path) == []
    assert os.stat(tmp_path).st_mtime_ns == before  # the folder's witness sees nothing

    spares.place(str(tmp_path), str(tmp_path / "a.json"), b'{"a": 1}')

    assert (tmp_path / "a.json").read_bytes() == b'{"a": 1}'
    assert os.listdir(tmp_path) == ["a.json"]
    assert len(nameless_files(os.getpid(), tmp_path)) == 3
    spares.close()


def test_a_taken_name_is_written_the_plain_way(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"old")
    spares = ready_spares(tmp_path, 1)

    spares.place(str(tmp_path), str(tmp_path / "a.json"), b"new")

    assert (tmp_path / "a.json").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["a.json"]  # no temp file left either
    spares.close()


def test_spares_never_used_leave_nothing(tmp_path: Path) -> None:
    spares = ready_spares(tmp_path, 8)
    spares.close()
    assert nameless_files(os.getpid(), tmp_path) == []
    assert os.listdir(tmp_path) == []


def test_a_removed_folder_is_the_usual_error(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    spares = ready_spares(folder, 1)
    shutil.rmtree(folder)  # a folder with spares is removed as any other

    with pytest.raises(FileNotFoundError):
        spares.place(str(folder), str(folder / "a.json"), b"{}")
    spares.close()


async def test_the_worker_makes_spares_for_the_folder_it_saves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_SWITCH, raising=False)
    storage = FileCheckpointStorage(tmp_path)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    saved = []
    # Saves until the worker is ready and holds spares for this folder (it makes them idle).
    while (pid := WORKER.ready_pid) is None or not nameless_files(pid, tmp_path):
        assert loop.time() < deadline, "the worker made no spare for the folder"
        checkpoint = make_checkpoint(f"step {len(saved)}")
        saved.append(await storage.submit_checkpoint(checkpoint))
        await asyncio.sleep(0.01)  # the worker idles, and makes spares, while the loop waits

    more = [await storage.submit_checkpoint(make_checkpoint("after")) for _ in range(3)]

    fresh = FileCheckpointStorage(tmp_path)
    for checkpoint_id in saved + more:
        assert (await fresh.load_checkpoint(checkpoint_id)) is not None
    names = sorted(os.listdir(tmp_path))
    assert [name for name in names if name.endswith(".json")] == sorted(
        f"{checkpoint_id}.json" for checkpoint_id in saved + more
    )
    assert not [name for name in names if name.endswith(".tmp")]
