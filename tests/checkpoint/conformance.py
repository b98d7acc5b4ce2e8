"""What every CheckpointStorage promises: one suite, run on every backend.

A backend joins by adding a ``Backend`` class to ``BACKENDS`` (how to make a fresh store and open
it, its URL for another process, how to put raw bytes in it as if written by someone else);
``test_conformance.py`` runs every test here on each. SQL-only promises (tampered rows and
columns) live in ``test_sql_storages.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.checkpoint.support import Point, make_checkpoint
from tests.engine.support import Append, chain_workflow, collect, invoked, outputs, saved
from tests.postgres_support import drop_schema, postgres_url, store_url
from tests.store_writers import written_ids
from wftui.checkpoint import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointSerializer,
    CheckpointStatus,
    CheckpointStorage,
    InvalidCheckpointIdError,
    JsonCheckpointSerializer,
    WorkflowCheckpoint,
    open_store,
)
from wftui.checkpoint.capabilities import (
    BulkDeletingStorage,
    Change,
    DocumentStorage,
    WatchableStorage,
)

Storage = CheckpointStorage
REPO = Path(__file__).resolve().parents[2]


class Backend:
    """One fresh store of a kind; every storage object opened on it is closed afterwards."""

    # Whether other writers can put bytes in the store behind its back (a folder). A memory
    # store holds only what it serialized itself, and a SQL row carries columns no foreign writer
    # fakes (tampered rows are test_sql_storages' business), so the foreign-bytes promises skip them.
    foreign_bytes: ClassVar[bool] = False
    # Whether another process can open the store (by ``url``).
    shared: ClassVar[bool] = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[CheckpointStorage] = []

    @classmethod
    @contextmanager
    def made(cls, tmp_path: Path) -> Iterator[Backend]:
        raise NotImplementedError

    def open(self, serializer: CheckpointSerializer | None = None) -> CheckpointStorage:
        """A new storage object on the store, as another process would open it."""
        storage = open_store(
            self.url, create=True, serializer=serializer or JsonCheckpointSerializer()
        )
        self.opened.append(storage)
        return storage

    def put_raw(self, checkpoint_id: str, data: bytes) -> None:
        """Store ``data`` as the document of ``checkpoint_id``, bypassing every check."""
        raise NotImplementedError(f"{type(self).__name__} takes no foreign bytes")

    async def close(self) -> None:
        for storage in self.opened:
            close = getattr(storage, "close", None)
            if close is not None:
                await close()


class FileBackend(Backend):
    foreign_bytes = True

    @classmethod
    @contextmanager
    def made(cls, tmp_path: Path) -> Iterator[Backend]:
        yield cls(f"file:{tmp_path / 'checkpoints'}")

    def put_raw(self, checkpoint_id: str, data: bytes) -> None:
        folder = Path(self.url.removeprefix("file:"))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{checkpoint_id}.json").write_bytes(data)


class MemoryBackend(Backend):
    shared = False

    @classmethod
    @contextmanager
    def made(cls, tmp_path: Path) -> Iterator[Backend]:
        yield cls("memory:")

    def open(self, serializer: CheckpointSerializer | None = None) -> CheckpointStorage:
        """The one storage object (a memory store cannot be opened twice)."""
        if not self.opened or serializer is not None:
            return super().open(serializer)
        return self.opened[0]


class SqliteBackend(Backend):
    @classmethod
    @contextmanager
    def made(cls, tmp_path: Path) -> Iterator[Backend]:
        yield cls(f"sqlite:{tmp_path / 'store.db'}")


class PostgresBackend(Backend):
    """A schema of its own on the test server, dropped afterwards."""

    @classmethod
    @contextmanager
    def made(cls, tmp_path: Path) -> Iterator[Backend]:
        server = postgres_url()
        schema = f"wftui_test_{secrets.token_hex(6)}"
        try:
            yield cls(store_url(server, schema))
        finally:
            drop_schema(server, schema)


BACKENDS: dict[str, type[Backend]] = {
    "file": FileBackend,
    "memory": MemoryBackend,
    "sqlite": SqliteBackend,
    "postgresql": PostgresBackend,
}


@pytest.fixture(params=list(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    with BACKENDS[request.param].made(tmp_path) as made:
        try:
            yield made
        finally:
            await made.close()


@pytest.fixture
def storage(backend: Backend) -> CheckpointStorage:
    return backend.open()


@pytest.fixture(params=[name for name, kind in BACKENDS.items() if kind.foreign_bytes])
async def foreign_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The backends other writers can put bytes into, for the promises about foreign bytes."""
    with BACKENDS[request.param].made(tmp_path) as made:
        try:
            yield made
        finally:
            await made.close()


@pytest.fixture(params=[name for name, kind in BACKENDS.items() if kind.shared])
async def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The backends another process can open."""
    with BACKENDS[request.param].made(tmp_path) as made:
        try:
            yield made
        finally:
            await made.close()


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
    assert [s.checkpoint_id for s in await storage.list_summaries("run-2", limit=1)] == [other[1]]
    assert await storage.list_summaries(limit=0) == []
    assert await storage.list_summaries("nobody") == []
    latest = await storage.get_latest("run-2")
    assert latest is not None
    assert latest.checkpoint_id == other[1]
    assert storage.problems == []


async def test_same_timestamp_orders_by_id_bytewise(storage: Storage) -> None:
    """Ids hold '-' and '_': a locale collation would sort them differently from Python."""
    ids = ["a-b", "a_b", "aB", "ab", "a0"]
    for checkpoint_id in ids:
        await storage.save_checkpoint(
            make_checkpoint(checkpoint_id=checkpoint_id, timestamp=stamp(1))
        )
    assert await storage.list_checkpoint_ids() == sorted(ids)
    assert [s.checkpoint_id for s in await storage.list_summaries()] == sorted(ids, reverse=True)


async def test_summaries_say_what_a_checkpoint_holds(storage: Storage) -> None:
    waiting = make_checkpoint(
        parent_checkpoint_id="p",
        pending_requests={"req-1": {"request_id": "req-1", "data": "approve?"}},
        messages={},
        metadata={"execution": {"id": "e1", "kind": "fork", "pipeline": "pipelines.approval"}},
    )
    done = make_checkpoint(messages={}, next_executor_ids=[])
    running = make_checkpoint()
    for cp in (waiting, done, running):
        await storage.save_checkpoint(cp)
    by_id = {s.checkpoint_id: s for s in await storage.list_summaries()}
    summary = by_id[waiting.checkpoint_id]
    assert summary == waiting.summary(summary.size_bytes)
    assert by_id[running.checkpoint_id].size_bytes == len(JsonCheckpointSerializer().dumps(running))
    assert summary.status is CheckpointStatus.AWAITING_HUMAN_INPUT
    assert summary.pending_request_ids == ["req-1"]
    assert summary.parent_checkpoint_id == "p"
    assert summary.execution_kind == "fork"  # the browser marks the branch with it
    assert by_id[running.checkpoint_id].execution_kind == ""  # the checkpoint names none
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
    again = await storage.load_checkpoint(cp.checkpoint_id)
    assert again is not None
    assert again.iteration_count == 2


async def test_concurrent_saves_all_land(storage: Storage) -> None:
    checkpoints = [make_checkpoint(f"run-{i % 3}") for i in range(20)]
    await asyncio.gather(*(storage.save_checkpoint(cp) for cp in checkpoints))
    assert sorted(await storage.list_checkpoint_ids()) == sorted(
        cp.checkpoint_id for cp in checkpoints
    )


BAD_IDS = [
    "../../x",
    "a/b",
    "",
    "..",
    ".",
    "/etc/passwd",
    "a\\b",
    "x.json",
    "a b",
    "é",
    "a" * 129,
    "a'b",
]
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
    assert await storage.list_checkpoint_ids() == []


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


async def test_a_corrupt_document_is_reported_not_fatal(foreign_backend: Backend) -> None:
    backend, storage = foreign_backend, foreign_backend.open()
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
    foreign_backend: Backend, fields: dict[str, object], reason: str
) -> None:
    backend, storage = foreign_backend, foreign_backend.open()
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


# --- moved from the SQL stores' suite: promises every store keeps ----------------------------


async def test_a_real_run_resumes_from_the_store_in_a_fresh_workflow(backend: Backend) -> None:
    storage = backend.open()
    workflow = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)
    first = await collect(workflow.run_stream("x"))
    assert outputs(first) == ["x>a>b>c"]
    ids = [event.checkpoint_id for event in saved(first)]
    assert await backend.open().list_checkpoint_ids() == ids

    # Another storage object (another process, as far as the store knows) and a new workflow.
    fresh = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], backend.open())
    resumed = await collect(fresh.run_stream_from_checkpoint(ids[1]))
    assert invoked(resumed) == ["b", "c", "out"]
    assert outputs(resumed) == ["x>a>b>c"]
    latest = await backend.open().get_latest()
    assert latest is not None
    assert latest.parent_checkpoint_id is not None
    assert latest.executor_states == {"a": {"calls": 1}, "b": {"calls": 1}, "c": {"calls": 1}}


async def test_what_a_jsonb_column_would_change_comes_back_as_saved(storage: Storage) -> None:
    """NUL, -0.0, 1e20, the smallest float and key order are all kept."""
    cp = make_checkpoint(metadata={"z": 1, "a": -0.0, "big": 1e20, "nul": "a\x00b", "tiny": 5e-324})
    await storage.save_checkpoint(cp)
    assert await storage.load_document(cp.checkpoint_id) == JsonCheckpointSerializer().dumps(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert list(loaded.metadata) == ["z", "a", "big", "nul", "tiny"]
    assert math.copysign(1.0, loaded.metadata["a"]) == -1.0
    assert type(loaded.metadata["big"]) is float
    assert loaded.metadata["nul"] == "a\x00b"
    assert loaded.metadata["tiny"] == 5e-324


class SurrogateSerializer(JsonCheckpointSerializer):
    """A serializer whose documents hold a lone surrogate escape (orjson would refuse it)."""

    def dumps(self, checkpoint: WorkflowCheckpoint, encoded: Any = None) -> bytes:
        return (
            super()
            .dumps(checkpoint, encoded)
            .replace(b'"workflow_name": "tests"', b'"workflow_name": "\\ud800 lone"')
        )

    def parse(self, data: bytes) -> WorkflowCheckpoint:
        return WorkflowCheckpoint.model_validate(json.loads(data))

    def loads(self, data: bytes, documents: Any = None) -> WorkflowCheckpoint:
        return self.decode(self.parse(data), documents)


async def test_the_serializer_is_handed_to_the_store_and_its_bytes_are_kept(
    backend: Backend,
) -> None:
    serializer = SurrogateSerializer()
    storage = backend.open(serializer)
    cp = make_checkpoint()
    await storage.save_checkpoint(cp)
    document = await storage.load_document(cp.checkpoint_id)
    assert document == serializer.dumps(cp)
    assert b"\\ud800 lone" in document
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.workflow_name == "\ud800 lone"


async def test_a_document_saved_verbatim_lists_and_loads(backend: Backend) -> None:
    """The copy path: another store's bytes go in unchanged, or not at all if they do not parse."""
    source, storage = backend.open(), backend.open()
    assert isinstance(storage, DocumentStorage)
    cp = make_checkpoint("run-7", shared_state={"where": Point(3, 4)}, timestamp=stamp(7))
    data = JsonCheckpointSerializer().dumps(cp)
    assert await storage.save_document(data) == cp.checkpoint_id
    assert await source.load_document(cp.checkpoint_id) == data
    [summary] = await source.list_summaries("run-7")
    assert summary == cp.summary(len(data))
    loaded = await source.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.shared_state == {"where": Point(3, 4)}
    with pytest.raises(CheckpointDecodingError, match="not valid JSON"):
        await storage.save_document(b'{"checkpoint_id": "trunc')
    bad = json.loads(data)
    bad["checkpoint_id"] = "../x"
    with pytest.raises(CheckpointDecodingError, match=r"invalid checkpoint id '\.\./x'"):
        await storage.save_document(json.dumps(bad).encode())
    assert await source.list_checkpoint_ids() == [cp.checkpoint_id]


async def test_many_deletes_at_once(storage: Storage) -> None:
    assert isinstance(storage, BulkDeletingStorage)
    ids = await save_history(storage, 5)
    assert await storage.delete_checkpoints([ids[0], ids[2], ids[0], "missing"]) == 2
    assert await storage.list_checkpoint_ids() == [ids[1], ids[3], ids[4]]
    assert await storage.delete_checkpoints([]) == 0
    with pytest.raises(InvalidCheckpointIdError):
        await storage.delete_checkpoints([ids[1], "../x"])
    assert await storage.list_checkpoint_ids() == [ids[1], ids[3], ids[4]]


# --- watch -----------------------------------------------------------------------------------

WAIT_S = 10.0  # an upper bound on waiting for a change that has committed, never a nap


async def next_changes(watcher: AsyncIterator[Change], count: int) -> list[Change]:
    return [await asyncio.wait_for(anext(watcher), WAIT_S) for _ in range(count)]


def watching(storage: Storage, after_seq: int = 0) -> AsyncIterator[Change]:
    assert isinstance(storage, WatchableStorage)
    return storage.watch(after_seq)


async def test_a_watcher_sees_saves_and_deletes_as_tombstones(backend: Backend) -> None:
    writer = backend.open()
    ids = await save_history(writer, 2)
    watcher = watching(backend.open())
    first = await next_changes(watcher, 2)
    assert [(c.checkpoint_id, c.workflow_id, c.kind) for c in first] == [
        (ids[0], "run-1", "saved"),
        (ids[1], "run-1", "saved"),
    ]
    other = make_checkpoint("run-9")
    await writer.save_checkpoint(other)
    assert await writer.delete_checkpoint(ids[0]) is True
    later = await next_changes(watcher, 2)
    await watcher.aclose()  # type: ignore[attr-defined]
    # A store that polls may see both in one look, so their relative order is not promised.
    assert {(c.checkpoint_id, c.workflow_id, c.kind) for c in later} == {
        (other.checkpoint_id, "run-9", "saved"),
        (ids[0], "run-1", "deleted"),
    }
    seqs = [c.seq for c in first + later]
    assert seqs == sorted(set(seqs))


async def test_catching_up_from_a_sequence_misses_nothing(backend: Backend) -> None:
    writer = backend.open()
    ids = await save_history(writer, 3)
    watcher = watching(backend.open())
    seen = await next_changes(watcher, 3)
    await watcher.aclose()  # type: ignore[attr-defined]
    # While nobody watches: one more save, one delete.
    extra = make_checkpoint("run-2")
    await writer.save_checkpoint(extra)
    await writer.delete_checkpoint(ids[1])
    again = watching(backend.open(), after_seq=seen[-1].seq)
    missed = await next_changes(again, 2)
    await again.aclose()  # type: ignore[attr-defined]
    assert {(c.checkpoint_id, c.kind) for c in missed} == {
        (extra.checkpoint_id, "saved"),
        (ids[1], "deleted"),
    }
    assert min(c.seq for c in missed) > seen[-1].seq
    # From the start again: the whole sequence, in order, with nothing twice.
    replay = watching(backend.open())
    everything = await next_changes(replay, 5)
    await replay.aclose()  # type: ignore[attr-defined]
    assert everything == [*seen, *sorted(missed, key=lambda c: c.seq)]


async def test_another_process_save_is_seen(shared_backend: Backend) -> None:
    watcher = watching(shared_backend.open())
    pending = asyncio.ensure_future(anext(watcher))
    await run_writers(shared_backend, workers=1, count=1)
    change = await asyncio.wait_for(pending, WAIT_S)
    await watcher.aclose()  # type: ignore[attr-defined]
    assert (change.checkpoint_id, change.workflow_id, change.kind) == (
        written_ids(0, 1)[0],
        "writer-0",
        "saved",
    )


async def run_writers(
    backend: Backend, workers: int, count: int, module: str = "tests.store_writers"
) -> None:
    """``workers`` processes of ``module`` (by default each saving ``count`` checkpoints of its
    own run), all given the store's URL."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            backend.url,
            str(w),
            str(count),
            cwd=REPO,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        for w in range(workers)
    ]
    errors = [
        stderr.decode() for _, stderr in await asyncio.gather(*(p.communicate() for p in processes))
    ]
    assert [process.returncode for process in processes] == [0] * workers, errors


async def test_writers_in_several_processes_lose_nothing_while_a_lister_runs(
    shared_backend: Backend,
) -> None:
    workers, count = 4, 40
    await shared_backend.open().list_checkpoint_ids()  # create the store, as a first writer would
    finished = asyncio.ensure_future(run_writers(shared_backend, workers, count))
    lister = shared_backend.open()
    seen: set[str] = set()
    listings = 0
    while not finished.done() or listings == 0:
        ids = await lister.list_checkpoint_ids()
        assert len(ids) == len(set(ids)), "a checkpoint listed twice"
        assert seen <= set(ids), f"listed before, gone now: {sorted(seen - set(ids))}"
        seen = set(ids)
        newest = await lister.list_summaries(limit=50)
        keys = [(s.timestamp, s.checkpoint_id) for s in newest]
        assert keys == sorted(set(keys), reverse=True)
        assert len(newest) >= min(50, len(seen))
        listings += 1
        await asyncio.sleep(0.01)  # let the writers in; the loop ends on their exit, not a time
    await finished

    expected = {cp_id for w in range(workers) for cp_id in written_ids(w, count)}
    assert set(await lister.list_checkpoint_ids()) == expected
    assert len(await lister.list_checkpoint_ids()) == len(expected)
    summaries = await lister.list_summaries()
    assert sorted(s.checkpoint_id for s in summaries) == sorted(expected)
    for worker in range(workers):
        assert await lister.list_checkpoint_ids(f"writer-{worker}") == written_ids(worker, count)
    watcher = watching(lister)
    changes = await next_changes(watcher, len(expected))
    await watcher.aclose()  # type: ignore[attr-defined]
    assert [c.seq for c in changes] == sorted({c.seq for c in changes})
    assert {c.checkpoint_id for c in changes} == expected
