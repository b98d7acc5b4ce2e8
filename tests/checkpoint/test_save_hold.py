"""Holding async saves (``writer.HOLD_SECONDS``): a save no one waits for yet waits for the
saves after it to share its sync, and is written as soon as someone waits for it: a run at its
end, at its in-flight limit, or a caller waiting for a save at once. The hold is made a minute
here, so a missing hurry shows as a run that never ends, not as a slower one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from tests.engine.talker import talker_workflow
from wftui import CheckpointSavedEvent, FileCheckpointStorage
from wftui.checkpoint.file import commitlog, writer
from wftui.checkpoint.file.worker import ENV_SWITCH
from wftui.engine.saves import MAX_IN_FLIGHT

WAIT_SECONDS = 30.0


@pytest.fixture(autouse=True)
def held_a_minute(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Saves held a minute unless hurried, written by the save thread (the sync spy is in
    this process); the syncs of the folder's commit log, as they happen."""
    monkeypatch.setattr(writer, "HOLD_SECONDS", 60.0)
    monkeypatch.setenv(ENV_SWITCH, "0")
    syncs: list[int] = []
    real_sync = commitlog.os.fdatasync

    def sync(fd: int) -> None:
        syncs.append(fd)
        real_sync(fd)

    monkeypatch.setattr(commitlog.os, "fdatasync", sync)
    return syncs


async def taken_by_the_save_thread() -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while not writer.SAVES._waiting.empty():
            await asyncio.sleep(0.001)


async def test_a_held_save_shares_its_sync_with_the_next(
    tmp_path: Path, held_a_minute: list[int]
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    await storage.save_checkpoint(make_checkpoint("warm-up"))  # the folder and its log made
    synced_before = len(held_a_minute)
    first = storage.submit_checkpoint(make_checkpoint("run", iteration=1))
    await taken_by_the_save_thread()  # sent at once, it would be written alone from here
    assert not first.done()

    second = storage.submit_checkpoint(make_checkpoint("run", iteration=2))
    storage.hurry()
    async with asyncio.timeout(WAIT_SECONDS):
        await asyncio.gather(first, second)

    assert len(held_a_minute) - synced_before == 1
    fresh = FileCheckpointStorage(tmp_path)
    assert {await fresh.load_checkpoint(cp.result()) is not None for cp in (first, second)} == {
        True
    }


async def test_a_save_waited_for_at_once_is_never_held(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    held = storage.submit_checkpoint(make_checkpoint("run", iteration=1))
    await taken_by_the_save_thread()
    async with asyncio.timeout(WAIT_SECONDS):
        waited = await storage.save_checkpoint(make_checkpoint("run", iteration=2))
        assert held.done()  # it went with the waited one, ahead of it
    assert held.result() != waited


@pytest.mark.parametrize("turns", [3, MAX_IN_FLIGHT * 3])  # a short run; one at its limit
async def test_an_async_run_hurries_its_saves_when_it_waits_for_them(
    tmp_path: Path, turns: int
) -> None:
    workflow = talker_workflow(FileCheckpointStorage(tmp_path), turns, "async")
    async with asyncio.timeout(WAIT_SECONDS):
        events = [event async for event in workflow.run_stream(0)]
    saved = [event for event in events if isinstance(event, CheckpointSavedEvent)]
    assert len(saved) == turns + 1
    ids = await FileCheckpointStorage(tmp_path).list_checkpoint_ids()
    assert sorted(ids) == sorted(event.checkpoint_id for event in saved)
