"""The save worker process (``wftui/checkpoint/file/worker.py``): saves it writes read back
whole, a failure in it is the same clear error, and its death loses no save. Saves here are
submitted (as ``durability="async"`` does): one awaited at once is written by the thread."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointError, FileCheckpointStorage
from wftui.checkpoint.file.worker import ENV_SWITCH, START_AFTER_GROUPS, WORKER

WAIT_SECONDS = 30.0


async def worker_pid(folder: Path) -> int:
    """Save until the worker has said it is ready (it starts after a few saves and imports
    wftui meanwhile, while the save thread writes); its process id."""
    storage = FileCheckpointStorage(folder)
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while (pid := WORKER.ready_pid) is None:
        assert asyncio.get_running_loop().time() < deadline, "the save worker never got ready"
        await storage.submit_checkpoint(make_checkpoint("warm-up"))
        await asyncio.sleep(0.01)  # lets the worker import; the loop waits on its state
    return pid


@pytest.fixture(autouse=True)
def worker_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SWITCH, raising=False)


async def test_a_short_run_starts_no_worker(tmp_path: Path) -> None:
    WORKER.close()  # as after an idle second: the count of saves without a worker starts over
    storage = FileCheckpointStorage(tmp_path)
    for _ in range(START_AFTER_GROUPS - 1):
        await storage.submit_checkpoint(make_checkpoint())
    assert WORKER.ready_pid is None and not WORKER.started


async def test_saves_the_worker_writes_load_and_list_whole(tmp_path: Path) -> None:
    pid = await worker_pid(tmp_path / "warm")
    assert pid != os.getpid()
    storage = FileCheckpointStorage(tmp_path / "store")
    saved = [make_checkpoint("run", iteration=i) for i in range(20)]
    ids = await asyncio.gather(*(storage.submit_checkpoint(cp) for cp in saved))
    assert WORKER.ready_pid == pid  # the same worker wrote them all
    fresh = FileCheckpointStorage(tmp_path / "store")
    assert sorted(cp.checkpoint_id for cp in await fresh.list_checkpoints()) == sorted(ids)
    for cp in saved:
        loaded = await fresh.load_checkpoint(cp.checkpoint_id)
        assert loaded is not None and loaded.iteration_count == cp.iteration_count
    assert fresh.problems == []


async def test_a_relative_folder_is_the_one_under_the_callers_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker started while this process was elsewhere: its own working folder is there.
    monkeypatch.chdir(tmp_path)
    await worker_pid(Path("started-here"))
    (tmp_path / "then").mkdir()
    monkeypatch.chdir(tmp_path / "then")
    storage = FileCheckpointStorage("relative")
    saved = [await storage.submit_checkpoint(make_checkpoint("run")) for _ in range(3)]
    assert WORKER.ready_pid is not None  # the worker wrote them
    assert sorted(path.stem for path in (tmp_path / "then" / "relative").glob("*.json")) == sorted(
        saved
    )
    assert not (tmp_path / "relative").exists()


async def test_a_relative_folder_whose_working_folder_is_gone_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await worker_pid(tmp_path / "warm")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    storage = FileCheckpointStorage("relative")
    shutil.rmtree(tmp_path / "here")  # the working folder goes, with the checkpoint folder
    with pytest.raises(CheckpointError, match=r"cannot save checkpoint .* to relative: "):
        await storage.submit_checkpoint(make_checkpoint())
    assert WORKER.ready_pid == pid  # the thread answered; the worker was not taken for dead


async def test_a_save_the_worker_cannot_write_fails_with_the_folder_named(
    tmp_path: Path,
) -> None:
    await worker_pid(tmp_path / "warm")
    folder = tmp_path / "gone"
    storage = FileCheckpointStorage(folder)
    shutil.rmtree(folder)
    with pytest.raises(CheckpointError, match=f"cannot save checkpoint .* to {folder}"):
        await storage.submit_checkpoint(make_checkpoint())
    assert WORKER.ready_pid is not None  # a refused save is an answer, not a death


async def test_a_killed_worker_loses_no_save_and_another_takes_over(tmp_path: Path) -> None:
    pid = await worker_pid(tmp_path / "warm")
    os.kill(pid, signal.SIGKILL)
    storage = FileCheckpointStorage(tmp_path / "store")
    ids = [await storage.submit_checkpoint(make_checkpoint("run")) for _ in range(5)]
    fresh = FileCheckpointStorage(tmp_path / "store")
    assert sorted(cp.checkpoint_id for cp in await fresh.list_checkpoints()) == sorted(ids)
    assert await worker_pid(tmp_path / "again") != pid


async def test_switched_off_the_save_thread_writes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await worker_pid(tmp_path / "warm")
    monkeypatch.setenv(ENV_SWITCH, "0")
    storage = FileCheckpointStorage(tmp_path / "store")
    first = await storage.submit_checkpoint(make_checkpoint())
    os.kill(pid, signal.SIGKILL)  # unused now: its death is noticed only when asked again
    second = await storage.submit_checkpoint(make_checkpoint())
    listed = await FileCheckpointStorage(tmp_path / "store").list_checkpoints()
    assert sorted(cp.checkpoint_id for cp in listed) == sorted([first, second])


async def test_a_forked_child_saves_with_its_own_worker_and_lets_the_parents_end(
    tmp_path: Path,
) -> None:
    parent_worker = await worker_pid(tmp_path / "warm")
    child = os.fork()
    if child == 0:  # the child: its saves land, written by itself or by a worker of its own
        code = 1
        try:
            code = asyncio.run(_save_in_child(tmp_path / "child", parent_worker))
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(await FileCheckpointStorage(tmp_path / "child").list_checkpoints()) == 3
    WORKER.close()  # the parent's worker ends: the child kept no copy of its pipe open
    with pytest.raises(ProcessLookupError):
        for _ in range(1000):  # it has been reaped by close(); a signal finds nobody
            os.kill(parent_worker, 0)
            await asyncio.sleep(0.01)


async def _save_in_child(folder: Path, parent_worker: int) -> int:
    storage = FileCheckpointStorage(folder)
    for _ in range(3):
        await storage.submit_checkpoint(make_checkpoint("child"))
    return 0 if WORKER.ready_pid != parent_worker else 1
