"""What the SQLite and PostgreSQL stores promise, on a real file and a real server.

Each test gets a fresh store (a new SQLite file, a new Postgres schema) and may open several
storage objects on it, as several processes would.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from tests.checkpoint.support import Point, make_checkpoint
from tests.engine.support import Append, chain_workflow, collect, invoked, outputs, saved
from tests.postgres_support import admin, scratch_schema, store_url
from tests.store_writers import written_ids
from wftui import CheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointStatus,
    InvalidCheckpointIdError,
)
from wftui.checkpoint.sql import Change, PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.sql.common import CurrentCodec, SqlCheckpointStorage

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Store:
    """One backing store, opened as many times as a test likes (all closed afterwards)."""

    kind: str
    target: str  # a file path or a store URL: what another process is given
    opened: list[SqlCheckpointStorage] = field(default_factory=list)

    def open(self) -> SqlCheckpointStorage:
        storage: SqlCheckpointStorage
        if self.kind == "sqlite":
            storage = SqliteCheckpointStorage(self.target)
        else:
            storage = PostgresCheckpointStorage.from_url(self.target)
        self.opened.append(storage)
        return storage

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read or change the table behind the storage's back (``%s`` params, ``{table}``)."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.target) as connection:
                text = statement.format(table="checkpoints").replace("%s", "?")
                return connection.execute(text, params).fetchall()
        url, _, schema = self.target.rpartition("?schema=")
        with admin(url) as connection:
            table = sql.Identifier(schema, "checkpoints")
            cursor = connection.execute(sql.SQL(statement).format(table=table), params)
            return cursor.fetchall() if cursor.description else []

    def document(self, checkpoint_id: str) -> bytes:
        """The stored bytes, read without the storage."""
        [(document,)] = self.execute(
            "SELECT document FROM {table} WHERE checkpoint_id = %s", (checkpoint_id,)
        )
        return bytes(document)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        made = Store("sqlite", str(tmp_path / "store.db"))
        yield made
        for storage in made.opened:
            await storage.close()
        return
    async with scratch_schema() as (url, schema):
        made = Store("postgresql", store_url(url, schema))
        yield made
        for storage in made.opened:
            await storage.close()


def stamp(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000Z"


async def save_history(
    storage: SqlCheckpointStorage, count: int, workflow_id: str = "run-1"
) -> list[str]:
    ids = []
    for second in range(count):
        cp = make_checkpoint(workflow_id, iteration=second, timestamp=stamp(second))
        ids.append(await storage.save_checkpoint(cp))
    return ids


async def test_a_real_run_resumes_from_the_store_in_a_fresh_workflow(store: Store) -> None:
    storage = store.open()
    assert isinstance(storage, CheckpointStorage)
    workflow = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)
    first = await collect(workflow.run_stream("x"))
    assert outputs(first) == ["x>a>b>c"]
    ids = [event.checkpoint_id for event in saved(first)]
    assert await store.open().list_checkpoint_ids() == ids

    # Another storage object (another process, as far as the store knows) and a new workflow.
    fresh = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], store.open())
    resumed = await collect(fresh.run_stream_from_checkpoint(ids[1]))
    assert invoked(resumed) == ["b", "c", "out"]
    assert outputs(resumed) == ["x>a>b>c"]
    latest = await store.open().get_latest()
    assert latest is not None
    assert latest.parent_checkpoint_id is not None
    assert latest.executor_states == {"a": {"calls": 1}, "b": {"calls": 1}, "c": {"calls": 1}}


async def test_save_and_load_give_back_equal_values(store: Store) -> None:
    storage = store.open()
    cp = make_checkpoint(executor_states={"upper": {"where": Point(1, 2)}})
    assert await storage.save_checkpoint(cp) == cp.checkpoint_id
    loaded = await store.open().load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.executor_states == {"upper": {"where": Point(1, 2)}}
    assert loaded.model_dump() == cp.model_dump()
    assert await storage.load_checkpoint("missing") is None


async def test_listings_are_ordered_filtered_and_limited(store: Store) -> None:
    storage = store.open()
    ids = await save_history(storage, 5)
    other = await save_history(storage, 2, workflow_id="run-2")
    assert await storage.list_checkpoint_ids("run-1") == ids
    assert await storage.list_checkpoint_ids() == [ids[0], other[0], ids[1], other[1], *ids[2:]]
    assert [cp.checkpoint_id for cp in await storage.list_checkpoints("run-1")] == ids
    assert [s.checkpoint_id for s in await storage.list_summaries("run-1")] == ids[::-1]
    newest = await storage.list_summaries(limit=3)
    assert [s.checkpoint_id for s in newest] == [ids[4], ids[3], ids[2]]
    assert [s.checkpoint_id for s in await storage.list_summaries("run-2", limit=1)] == [other[1]]
    assert await storage.list_summaries(limit=0) == []
    assert await storage.list_summaries("nobody") == []
    latest = await storage.get_latest("run-2")
    assert latest is not None
    assert latest.checkpoint_id == other[1]
    assert await storage.get_latest("nobody") is None
    assert storage.problems == []


async def test_same_timestamp_orders_by_id_bytewise(store: Store) -> None:
    """Ids hold '-' and '_': a locale collation would sort them differently from Python."""
    storage = store.open()
    ids = ["a-b", "a_b", "aB", "ab", "a0"]
    for checkpoint_id in ids:
        await storage.save_checkpoint(
            make_checkpoint(checkpoint_id=checkpoint_id, timestamp=stamp(1))
        )
    assert await storage.list_checkpoint_ids() == sorted(ids)
    assert [s.checkpoint_id for s in await storage.list_summaries()] == sorted(ids, reverse=True)


async def test_summaries_come_from_columns_and_say_what_a_checkpoint_holds(store: Store) -> None:
    storage = store.open()
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
    assert by_id[waiting.checkpoint_id] == waiting.summary(by_id[waiting.checkpoint_id].size_bytes)
    assert by_id[waiting.checkpoint_id].status is CheckpointStatus.AWAITING_HUMAN_INPUT
    assert by_id[waiting.checkpoint_id].pending_request_ids == ["req-1"]
    assert by_id[done.checkpoint_id].status is CheckpointStatus.COMPLETED
    assert by_id[running.checkpoint_id].next_executor_ids == ["reverse"]
    assert by_id[running.checkpoint_id].size_bytes == len(CurrentCodec().encode(running))
    # Summaries never parse documents: a corrupt document still lists from its columns.
    store.execute(
        "UPDATE {table} SET document = %s WHERE checkpoint_id = %s", (b"{", done.checkpoint_id)
    )
    assert done.checkpoint_id in {s.checkpoint_id for s in await storage.list_summaries()}


async def test_a_corrupt_row_is_reported_and_skipped_never_fatal(store: Store) -> None:
    storage = store.open()
    ids = await save_history(storage, 3)
    store.execute("UPDATE {table} SET document = %s WHERE checkpoint_id = %s", (b'{"trunc', ids[2]))
    store.execute("UPDATE {table} SET document = %s WHERE checkpoint_id = %s", (b"", ids[0]))

    assert [cp.checkpoint_id for cp in await storage.list_checkpoints()] == [ids[1]]
    assert [problem.path for problem in storage.problems] == [ids[0], ids[2]]
    assert "not valid JSON" in storage.problems[1].reason

    latest = await storage.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == ids[1]  # the newer row is corrupt: skipped, and said so
    assert [problem.path for problem in storage.problems] == [ids[2]]

    with pytest.raises(CheckpointDecodingError, match=f"checkpoint {ids[2]}: not valid JSON"):
        await storage.load_checkpoint(ids[2])

    # A row whose document is another checkpoint's is refused, not served under the wrong id.
    good = await storage.load_checkpoint(ids[1])
    assert good is not None
    store.execute(
        "UPDATE {table} SET document = (SELECT document FROM {table} WHERE checkpoint_id = %s) "
        "WHERE checkpoint_id = %s",
        (ids[1], ids[0]),
    )
    with pytest.raises(CheckpointDecodingError, match="holds checkpoint"):
        await storage.load_checkpoint(ids[0])

    # Tampered summary columns: that row is left out of summaries and reported.
    store.execute("UPDATE {table} SET status = 'bogus' WHERE checkpoint_id = %s", (ids[1],))
    summaries = await storage.list_summaries()
    assert [s.checkpoint_id for s in summaries] == [ids[2], ids[0]]
    assert [problem.path for problem in storage.problems] == [ids[1]]
    assert "\n" not in storage.problems[0].reason


async def test_delete_leaves_a_tombstone_in_the_change_sequence(store: Store) -> None:
    storage = store.open()
    ids = await save_history(storage, 3)
    assert await storage.delete_checkpoint(ids[1]) is True
    assert await storage.delete_checkpoint(ids[1]) is False
    assert await storage.load_checkpoint(ids[1]) is None
    assert await storage.list_checkpoint_ids() == [ids[0], ids[2]]
    assert [s.checkpoint_id for s in await storage.list_summaries()] == [ids[2], ids[0]]

    watcher = store.open().watch()
    changes = [await anext(watcher) for _ in range(4)]
    await watcher.aclose()
    assert [(c.seq, c.checkpoint_id, c.kind) for c in changes] == [
        (1, ids[0], "saved"),
        (2, ids[1], "saved"),
        (3, ids[2], "saved"),
        (4, ids[1], "deleted"),
    ]
    assert {c.workflow_id for c in changes} == {"run-1"}


async def test_saving_again_replaces(store: Store) -> None:
    storage = store.open()
    cp = make_checkpoint(iteration=1)
    await storage.save_checkpoint(cp)
    await storage.save_checkpoint(cp.model_copy(update={"iteration_count": 2}))
    [summary] = await storage.list_summaries()
    assert summary.iteration_count == 2
    again = await storage.load_checkpoint(cp.checkpoint_id)
    assert again is not None
    assert again.iteration_count == 2


async def test_a_save_that_cannot_encode_fails_and_stores_nothing(store: Store) -> None:
    storage = store.open()
    with socket.socket() as handle:
        cp = make_checkpoint(shared_state={"handle": handle})
        with pytest.raises(CheckpointEncodingError, match=r"shared_state\.handle"):
            await storage.save_checkpoint(cp)
    assert await storage.list_checkpoint_ids() == []


BAD_IDS = [
    "../../x",
    "a/b",
    "",
    "..",
    "/etc/passwd",
    "a\\b",
    "x.json",
    "a b",
    "é",
    "a" * 129,
    "a'b",
]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_ids_are_validated_before_any_query(store: Store, bad: str) -> None:
    storage = store.open()
    calls: list[Callable[[], Any]] = [
        lambda: storage.load_checkpoint(bad),
        lambda: storage.delete_checkpoint(bad),
        lambda: storage.save_checkpoint(
            WorkflowCheckpoint.model_construct(checkpoint_id=bad, workflow_id="w")
        ),
    ]
    for call in calls:
        with pytest.raises(InvalidCheckpointIdError) as caught:
            await call()
        assert str(caught.value).startswith(f"invalid checkpoint id {bad!r}:")
    assert await storage.list_checkpoint_ids() == []


async def test_a_watcher_sees_changes_from_another_storage_as_they_commit(store: Store) -> None:
    first = await store.open().save_checkpoint(make_checkpoint())
    watcher = store.open().watch(after_seq=1)
    pending = asyncio.ensure_future(anext(watcher))
    writer = store.open()
    cp = make_checkpoint("run-9")
    await writer.save_checkpoint(cp)
    change = await asyncio.wait_for(pending, timeout=10)
    assert change == Change(
        seq=2, checkpoint_id=cp.checkpoint_id, workflow_id="run-9", kind="saved"
    )
    await writer.delete_checkpoint(first)
    assert await asyncio.wait_for(anext(watcher), timeout=10) == Change(
        seq=3, checkpoint_id=first, workflow_id="run-1", kind="deleted"
    )
    await watcher.aclose()


async def test_documents_are_stored_verbatim(store: Store) -> None:
    """What a JSONB column would change: NUL, -0.0, 1e20 and key order all come back as saved."""
    storage = store.open()
    cp = make_checkpoint(metadata={"z": 1, "a": -0.0, "big": 1e20, "nul": "a\x00b", "tiny": 5e-324})
    await storage.save_checkpoint(cp)
    assert store.document(cp.checkpoint_id) == CurrentCodec().encode(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert list(loaded.metadata) == ["z", "a", "big", "nul", "tiny"]
    assert math.copysign(1.0, loaded.metadata["a"]) == -1.0
    assert type(loaded.metadata["big"]) is float
    assert loaded.metadata["nul"] == "a\x00b"
    assert loaded.metadata["tiny"] == 5e-324


async def test_writers_in_several_processes_lose_nothing_while_a_lister_runs(
    store: Store,
) -> None:
    workers, count = 4, 40
    await store.open().list_checkpoint_ids()  # create the schema, as the first writer would
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.store_writers",
            store.kind,
            store.target,
            str(w),
            str(count),
            cwd=REPO,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        for w in range(workers)
    ]
    finished = asyncio.gather(*(process.communicate() for process in processes))
    lister = store.open()
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
        await asyncio.sleep(0.01)
    errors = [stderr.decode() for _, stderr in await finished]
    assert [process.returncode for process in processes] == [0] * workers, errors

    expected = {cp_id for w in range(workers) for cp_id in written_ids(w, count)}
    assert set(await lister.list_checkpoint_ids()) == expected
    assert len(await lister.list_checkpoint_ids()) == len(expected)
    summaries = await lister.list_summaries()
    assert sorted(s.checkpoint_id for s in summaries) == sorted(expected)
    for worker in range(workers):
        assert await lister.list_checkpoint_ids(f"writer-{worker}") == written_ids(worker, count)
    watcher = lister.watch()
    changes = [await anext(watcher) for _ in range(len(expected))]
    await watcher.aclose()
    assert [c.seq for c in changes] == list(range(1, len(expected) + 1))
    assert {c.checkpoint_id for c in changes} == expected


class SurrogateSerializer(CurrentCodec):
    """A serializer whose documents hold a lone surrogate escape (orjson would refuse it)."""

    def encode(self, checkpoint: WorkflowCheckpoint) -> bytes:
        return (
            super()
            .encode(checkpoint)
            .replace(b'"workflow_name": "tests"', b'"workflow_name": "\\ud800 lone"')
        )

    def parse(self, data: bytes) -> WorkflowCheckpoint:
        return WorkflowCheckpoint.model_validate(json.loads(data))


async def test_the_serializer_is_a_constructor_argument_and_its_bytes_are_kept(
    store: Store,
) -> None:
    serializer = SurrogateSerializer()
    storage: SqlCheckpointStorage
    if store.kind == "sqlite":
        storage = SqliteCheckpointStorage(store.target, serializer=serializer)
    else:
        storage = PostgresCheckpointStorage.from_url(store.target, serializer=serializer)
    store.opened.append(storage)
    cp = make_checkpoint()
    await storage.save_checkpoint(cp)
    assert store.document(cp.checkpoint_id) == serializer.encode(cp)
    assert b"\\ud800 lone" in store.document(cp.checkpoint_id)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert loaded.workflow_name == "\ud800 lone"
