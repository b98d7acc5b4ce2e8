"""What every CheckpointStorage promises, run against the file and the in-memory backends."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.checkpoint.support import Point, make_checkpoint
from wftui.checkpoint import (
    CheckpointEncodingError,
    CheckpointStatus,
    CheckpointStorage,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    InvalidCheckpointIdError,
    WorkflowCheckpoint,
)

Storage = FileCheckpointStorage | InMemoryCheckpointStorage


@pytest.fixture(params=["file", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "file":
        return FileCheckpointStorage(tmp_path / "checkpoints")
    return InMemoryCheckpointStorage()


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


async def save_history(storage: Storage, count: int, workflow_id: str = "run-1") -> list[str]:
    ids = []
    for second in range(count):
        cp = make_checkpoint(workflow_id, iteration=second, timestamp=stamp(second))
        ids.append(await storage.save_checkpoint(cp))
    return ids


def test_both_backends_satisfy_the_protocol(storage: Storage) -> None:
    assert isinstance(storage, CheckpointStorage)


async def test_save_and_load(storage: Storage) -> None:
    cp = make_checkpoint(executor_states={"upper": {"where": Point(1, 2)}})
    assert await storage.save_checkpoint(cp) == cp.checkpoint_id
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.executor_states == {"upper": {"where": Point(1, 2)}}
    assert loaded.model_dump() == cp.model_dump()
    assert await storage.load_checkpoint("missing") is None


async def test_saved_checkpoints_are_isolated_from_live_objects(storage: Storage) -> None:
    cp = make_checkpoint(shared_state={"items": [1, 2]})
    await storage.save_checkpoint(cp)
    cp.shared_state["items"].append(3)
    first = await storage.load_checkpoint(cp.checkpoint_id)
    assert first is not None
    assert first.shared_state["items"] == [1, 2]
    first.shared_state["items"].append(4)
    again = await storage.load_checkpoint(cp.checkpoint_id)
    assert again is not None
    assert again.shared_state["items"] == [1, 2]


async def test_a_save_that_cannot_encode_fails_and_stores_nothing(storage: Storage) -> None:
    with socket.socket() as handle:
        cp = make_checkpoint(shared_state={"handle": handle})
        with pytest.raises(CheckpointEncodingError, match=r"shared_state\.handle"):
            await storage.save_checkpoint(cp)
    assert await storage.list_checkpoint_ids() == []


async def test_listings_are_ordered_and_filtered(storage: Storage) -> None:
    ids = await save_history(storage, 5)
    other = await save_history(storage, 2, workflow_id="run-2")
    assert await storage.list_checkpoint_ids("run-1") == ids
    assert await storage.list_checkpoint_ids() == [ids[0], other[0], ids[1], other[1], *ids[2:]]
    checkpoints = await storage.list_checkpoints("run-1")
    assert [cp.checkpoint_id for cp in checkpoints] == ids
    summaries = await storage.list_summaries("run-1")
    assert [s.checkpoint_id for s in summaries] == ids[::-1]
    newest = await storage.list_summaries(limit=3)
    assert [s.checkpoint_id for s in newest] == [ids[4], ids[3], ids[2]]
    assert await storage.list_summaries(limit=0) == []
    assert await storage.list_summaries("nobody") == []
    assert storage.problems == []


async def test_summaries_say_what_a_checkpoint_holds(storage: Storage) -> None:
    waiting = make_checkpoint(
        parent_checkpoint_id="p",
        pending_requests={"req-1": {"request_id": "req-1", "data": "approve?"}},
        messages={},
    )
    done = make_checkpoint(messages={}, next_executor_ids=[])
    running = make_checkpoint()
    for cp in (waiting, done, running):
        await storage.save_checkpoint(cp)
    by_id = {s.checkpoint_id: s for s in await storage.list_summaries()}
    summary = by_id[waiting.checkpoint_id]
    assert summary.status is CheckpointStatus.AWAITING_HUMAN_INPUT
    assert summary.pending_request_ids == ["req-1"]
    assert summary.parent_checkpoint_id == "p"
    assert summary.workflow_name == "tests"
    assert summary.size_bytes > 0
    assert by_id[done.checkpoint_id].status is CheckpointStatus.COMPLETED
    assert by_id[running.checkpoint_id].status is CheckpointStatus.IN_PROGRESS
    assert by_id[running.checkpoint_id].pending_message_count == 1
    assert by_id[running.checkpoint_id].next_executor_ids == ["reverse"]


async def test_get_latest(storage: Storage) -> None:
    assert await storage.get_latest() is None
    ids = await save_history(storage, 3)
    await save_history(storage, 1, workflow_id="run-2")
    latest = await storage.get_latest("run-1")
    assert latest is not None
    assert latest.checkpoint_id == ids[-1]
    assert await storage.get_latest("nobody") is None


async def test_delete(storage: Storage) -> None:
    ids = await save_history(storage, 3)
    assert await storage.delete_checkpoint(ids[1]) is True
    assert await storage.delete_checkpoint(ids[1]) is False
    assert await storage.load_checkpoint(ids[1]) is None
    assert await storage.list_checkpoint_ids() == [ids[0], ids[2]]
    assert [s.checkpoint_id for s in await storage.list_summaries()] == [ids[2], ids[0]]


async def test_saving_again_replaces(storage: Storage) -> None:
    cp = make_checkpoint(iteration=1)
    await storage.save_checkpoint(cp)
    await storage.save_checkpoint(cp.model_copy(update={"iteration_count": 2}))
    [summary] = await storage.list_summaries()
    assert summary.iteration_count == 2


async def test_concurrent_saves_all_land(storage: Storage) -> None:
    checkpoints = [make_checkpoint(f"run-{i % 3}") for i in range(20)]
    await asyncio.gather(*(storage.save_checkpoint(cp) for cp in checkpoints))
    assert sorted(await storage.list_checkpoint_ids()) == sorted(
        cp.checkpoint_id for cp in checkpoints
    )


BAD_IDS = ["../../x", "a/b", "", "..", ".", "/etc/passwd", "a\\b", "x.json", "a b", "é", "a" * 129]
CALLS: dict[str, Callable[[Storage, str], object]] = {
    "load": lambda storage, bad: storage.load_checkpoint(bad),
    "delete": lambda storage, bad: storage.delete_checkpoint(bad),
    "save": lambda storage, bad: storage.save_checkpoint(
        WorkflowCheckpoint.model_construct(checkpoint_id=bad, workflow_id="w")
    ),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("bad", BAD_IDS)
async def test_ids_that_could_escape_are_refused(
    storage: Storage, call: str, bad: str, tmp_path: Path
) -> None:
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InvalidCheckpointIdError) as caught:
        await CALLS[call](storage, bad)  # type: ignore[misc]
    assert str(caught.value).startswith(f"invalid checkpoint id {bad!r}:")
    assert "\n" not in str(caught.value)
    assert sorted(tmp_path.rglob("*")) == before
