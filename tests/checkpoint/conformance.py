"""What every CheckpointStorage promises: one suite, run on every backend.

A backend joins by adding a ``Backend`` to ``BACKENDS`` (how to open the store, and how to put raw
bytes in it as if written by someone else); ``test_conformance.py`` runs every test here on each.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from tests.checkpoint.support import Point, make_checkpoint
from wftui.checkpoint import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointStatus,
    CheckpointStorage,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    InvalidCheckpointIdError,
    JsonCheckpointSerializer,
    WorkflowCheckpoint,
)

Storage = CheckpointStorage


class Backend(Protocol):
    # Whether other writers can put bytes in the store (a folder, a database); a memory store
    # holds only what it serialized itself, so the promises about foreign bytes skip it.
    shared: bool

    def open(self) -> CheckpointStorage:
        """A storage object on the store (a fresh object where the backend can have several)."""
        ...

    def put_raw(self, checkpoint_id: str, data: bytes) -> None:
        """Store ``data`` as the document of ``checkpoint_id``, bypassing every check."""
        ...


class FileBackend:
    shared = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self) -> CheckpointStorage:
        return FileCheckpointStorage(self.folder)

    def put_raw(self, checkpoint_id: str, data: bytes) -> None:
        (self.folder / f"{checkpoint_id}.json").write_bytes(data)


class MemoryBackend:
    shared = False

    def __init__(self) -> None:
        self.storage = InMemoryCheckpointStorage()

    def open(self) -> CheckpointStorage:
        return self.storage

    def put_raw(self, checkpoint_id: str, data: bytes) -> None:
        raise NotImplementedError("nothing but the store itself writes to a memory store")


BACKENDS: dict[str, Callable[[Path], Backend]] = {
    "file": lambda tmp_path: FileBackend(tmp_path / "checkpoints"),
    "memory": lambda tmp_path: MemoryBackend(),
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def storage(backend: Backend) -> CheckpointStorage:
    return backend.open()


@pytest.fixture(params=[name for name, make in BACKENDS.items() if make(Path()).shared])
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The backends other writers can put bytes into, for the promises about foreign bytes."""
    return BACKENDS[request.param](tmp_path)


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


async def save_history(storage: Storage, count: int, workflow_id: str = "run-1") -> list[str]:
    ids = []
    for second in range(count):
        cp = make_checkpoint(workflow_id, iteration=second, timestamp=stamp(second))
        ids.append(await storage.save_checkpoint(cp))
    return ids


def test_the_backend_satisfies_the_protocol(storage: Storage) -> None:
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
    "load_document": lambda storage, bad: storage.load_document(bad),
    "load_with_fragments": lambda storage, bad: storage.load_with_fragments(bad),
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


# --- what a caller sets is what gets saved ---------------------------------------------------


async def test_a_loaded_checkpoint_changed_with_model_copy_saves_its_new_values(
    storage: Storage,
) -> None:
    cp = make_checkpoint(
        shared_state={"draft": "old", "kept": Point(1, 2)},
        executor_states={"upper": {"count": 1}},
    )
    await storage.save_checkpoint(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    changed = loaded.model_copy(
        update={
            "shared_state": {**loaded.shared_state, "draft": "new"},
            "executor_states": {"upper": {"count": 2}},
        }
    )
    await storage.save_checkpoint(changed)
    again = await storage.load_checkpoint(cp.checkpoint_id)
    assert again is not None
    assert again.shared_state == {"draft": "new", "kept": Point(1, 2)}
    assert again.executor_states == {"upper": {"count": 2}}


async def test_stored_fragments_never_override_a_replaced_field(storage: Storage) -> None:
    """The engine's path: load with fragments, change a field, save with the same fragments."""
    cp = make_checkpoint(shared_state={"draft": "old", "kept": (1, 2)})
    await storage.save_checkpoint(cp)
    loaded = await storage.load_with_fragments(cp.checkpoint_id)
    assert loaded is not None
    checkpoint, fragments = loaded
    changed = checkpoint.model_copy(
        update={"shared_state": {**checkpoint.shared_state, "draft": "new"}}
    )
    await storage.save_checkpoint(changed, encoded=fragments)
    again = await storage.load_checkpoint(cp.checkpoint_id)
    assert again is not None
    assert again.shared_state == {"draft": "new", "kept": (1, 2)}


async def test_fields_the_storage_does_not_interpret_round_trip_unchanged(
    storage: Storage,
) -> None:
    messages = {"upper": [{"data": "HELLO", "target_id": "x", "extra": {"k": [1]}}]}
    requests = {"r": {}}
    cp = make_checkpoint(messages=messages, pending_requests=requests)
    await storage.save_checkpoint(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.messages == messages
    assert loaded.pending_requests == requests


async def test_the_stored_document_is_given_verbatim(storage: Storage) -> None:
    cp = make_checkpoint(shared_state={"where": Point(1, 2)})
    await storage.save_checkpoint(cp)
    assert await storage.load_document(cp.checkpoint_id) == JsonCheckpointSerializer().dumps(cp)
    assert await storage.load_document("missing") is None


async def test_a_checkpoint_built_with_defaults_round_trips(storage: Storage) -> None:
    cp = WorkflowCheckpoint()
    assert (cp.workflow_id, cp.version) == ("", "1.0")
    await storage.save_checkpoint(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.model_dump() == cp.model_dump()


async def test_agent_framework_style_fields_round_trip(storage: Storage) -> None:
    """Its timestamps are ``datetime.isoformat()`` in UTC (``+00:00``); ``version`` is its own."""
    moment = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC).isoformat()
    cp = WorkflowCheckpoint(workflow_id="w", timestamp=moment, version="2.0")
    await storage.save_checkpoint(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert (loaded.timestamp, loaded.version) == (moment, "2.0")
    [summary] = await storage.list_summaries()
    assert summary.timestamp == moment


async def test_a_timestamp_that_is_not_a_time_is_refused_at_save(storage: Storage) -> None:
    with pytest.raises(CheckpointEncodingError, match="timestamp 'zzz' is not an ISO-8601 time"):
        await storage.save_checkpoint(make_checkpoint(timestamp="zzz"))
    assert await storage.list_checkpoint_ids() == []


async def test_newest_n_of_one_run(storage: Storage) -> None:
    ids = await save_history(storage, 6)
    await save_history(storage, 3, workflow_id="run-2")
    newest = await storage.list_summaries("run-1", limit=2)
    assert [s.checkpoint_id for s in newest] == [ids[5], ids[4]]
    assert await storage.list_summaries("run-2", limit=10) == await storage.list_summaries("run-2")


async def test_a_second_storage_object_sees_the_same_store(backend: Backend) -> None:
    ids = await save_history(backend.open(), 3)
    reopened = backend.open()
    assert await reopened.list_checkpoint_ids() == ids
    latest = await reopened.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == ids[-1]


# --- what someone else wrote ----------------------------------------------------------------


def foreign(checkpoint_id: str, **fields: object) -> bytes:
    """A document as another writer (or a hand edit) left it."""
    cp = make_checkpoint(checkpoint_id=checkpoint_id, timestamp=stamp(59))
    document = json.loads(JsonCheckpointSerializer().dumps(cp))
    document.update(fields)
    return json.dumps(document).encode()


async def test_a_corrupt_document_is_reported_not_fatal(shared_backend: Backend) -> None:
    backend, storage = shared_backend, shared_backend.open()
    ids = await save_history(storage, 2)
    backend.put_raw("corrupt", b'{"format_version": 1, "checkpoint_id": "corr')
    assert await storage.list_checkpoint_ids() == ids
    [problem] = storage.problems
    assert "corrupt" in problem.path
    assert "not valid JSON" in problem.reason
    assert [cp.checkpoint_id for cp in await storage.list_checkpoints()] == ids
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == ids[-1]
    with pytest.raises(CheckpointDecodingError):
        await storage.load_checkpoint("corrupt")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timestamp": "zzz"}, "timestamp 'zzz' is not an ISO-8601 time"),
        ({"timestamp": "2999-01-01T00:00:00+05:00"}, "not in UTC"),
        ({"iteration_count": "many"}, "iteration_count"),
        ({"workflow_id": 7}, "workflow_id"),
    ],
)
async def test_a_document_whose_ordering_fields_do_not_check_out_is_never_a_candidate(
    shared_backend: Backend, fields: dict[str, object], reason: str
) -> None:
    backend, storage = shared_backend, shared_backend.open()
    ids = await save_history(storage, 2)
    backend.put_raw("foreign", foreign("foreign", **fields))
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == ids[-1]
    assert [s.checkpoint_id for s in await storage.list_summaries()] == ids[::-1]
    [problem] = storage.problems
    assert "foreign" in problem.path
    assert reason in problem.reason
    assert [s.checkpoint_id for s in await storage.list_summaries(limit=1)] == [ids[-1]]
    assert await storage.list_checkpoint_ids() == ids
    with pytest.raises(CheckpointDecodingError, match=reason):
        await storage.load_checkpoint("foreign")
