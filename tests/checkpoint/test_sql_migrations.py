"""A store an older wftui made moves forward: a version-1 store (built here exactly as version 1
laid it out) becomes version 2 on its first open, even by a read-only command; its rows gain the
execution kind their documents record, its documents stay byte for byte, and it keeps cassettes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from psycopg import sql

from tests.checkpoint.sql_versions import make_version_1, version_1_row
from tests.checkpoint.support import make_checkpoint
from tests.checkpoint.test_sql_storages import Store, stamp, store
from tests.postgres_support import admin
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.sql.common import SqlCheckpointStorage
from wftui.checkpoint.sql.schema import INDEX_NAMES, SCHEMA_VERSION

__all__ = ["store"]  # the fixture, shared with test_sql_storages


def stored_version(store: Store) -> int:
    if store.kind == "sqlite":
        with sqlite3.connect(store.target) as connection:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])
    url, _, schema = store.target.rpartition("?schema=")
    with admin(url) as connection:
        table = sql.Identifier(schema, "schema_version")
        [(version,)] = connection.execute(sql.SQL("SELECT version FROM {}").format(table))
    return int(version)


def read_only(store: Store) -> SqlCheckpointStorage:
    storage: SqlCheckpointStorage
    if store.kind == "sqlite":
        storage = SqliteCheckpointStorage(store.target, create=False)
    else:
        storage = PostgresCheckpointStorage.from_url(store.target, create=False)
    store.opened.append(storage)
    return storage


def executed(kind: str) -> dict[str, Any]:
    return {"execution": {"id": f"e-{kind}", "kind": kind, "pipeline": "pipelines.loop"}}


async def test_a_version_1_store_moves_forward_on_its_first_read(store: Store) -> None:
    fork = make_checkpoint(timestamp=stamp(1), metadata=executed("fork"))
    step = make_checkpoint(timestamp=stamp(2), metadata=executed("step"))
    older = make_checkpoint(timestamp=stamp(3))  # from before executions were recorded
    broken = make_checkpoint(timestamp=stamp(4), metadata=executed("resume"))
    rows = [version_1_row(cp) for cp in (fork, step, older, broken)]
    rows[3] = (*rows[3][:-1], rows[3][-1][:60] + b'"execution": {"kind": "resume"')  # torn
    make_version_1(store.kind, store.target, rows)

    reader = read_only(store)
    summaries = {s.checkpoint_id: s for s in await reader.list_summaries()}

    assert stored_version(store) == SCHEMA_VERSION == 2
    for checkpoint, row in zip((fork, step, older), rows, strict=False):
        assert summaries[checkpoint.checkpoint_id] == checkpoint.summary(len(row[-1]))
    assert [summaries[cp.checkpoint_id].execution_kind for cp in (fork, step, older, broken)] == [
        "fork",
        "step",
        "",
        "",  # a document that does not parse fills nothing, and fails nothing
    ]
    for checkpoint, row in zip((fork, step, older, broken), rows, strict=True):
        assert await reader.load_document(checkpoint.checkpoint_id) == row[-1]
    await reader.append_cassette_line("run-1", b'{"line": 1}\n')
    assert await read_only(store).read_cassette("run-1") == b'{"line": 1}\n'
    # A newer writer adds to the store it upgraded, and the kind comes along.
    resumed = make_checkpoint(timestamp=stamp(5), metadata=executed("resume"))
    await store.open().save_checkpoint(resumed)
    [newest] = await reader.list_summaries(limit=1)
    assert newest.execution_kind == "resume"


async def test_the_upgraded_sqlite_table_keeps_the_document_last(tmp_path: Path) -> None:
    """Reading summaries must not walk each large document's overflow pages. (PostgreSQL keeps
    large documents out of line, so column order does not matter there.)"""
    store = Store("sqlite", str(tmp_path / "store.db"))
    make_version_1(
        store.kind, store.target, [version_1_row(make_checkpoint(metadata=executed("fork")))]
    )
    await read_only(store).list_summaries()
    with sqlite3.connect(store.target) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(checkpoints)")]
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(checkpoints)")}
    assert columns[-2:] == ["execution_kind", "document"]
    assert {f"checkpoints_{name}" for name in INDEX_NAMES} <= indexes
    for storage in store.opened:
        await storage.close()


async def test_racing_first_readers_upgrade_a_version_1_store_once(store: Store) -> None:
    fork = make_checkpoint(metadata=executed("fork"))
    make_version_1(store.kind, store.target, [version_1_row(fork)])
    readers = [read_only(store) for _ in range(4)] + [store.open() for _ in range(2)]
    listed = await asyncio.gather(*(reader.list_summaries() for reader in readers))
    assert all([s.execution_kind for s in summaries] == ["fork"] for summaries in listed)
    assert stored_version(store) == SCHEMA_VERSION
