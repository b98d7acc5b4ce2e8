"""What the SQLite and PostgreSQL stores promise, on a real file and a real server.

Each test gets a fresh store (a new SQLite file, a new Postgres schema) and may open several
storage objects on it, as several processes would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from tests.checkpoint.support import make_checkpoint
from tests.postgres_support import admin, scratch_schema, store_url
from wftui.checkpoint import (
    CheckpointDecodingError,
)
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.sql.common import SqlCheckpointStorage

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


async def test_summaries_come_from_the_columns_alone(store: Store) -> None:
    """Summaries never parse documents: a corrupt document still lists from its columns."""
    storage = store.open()
    done = make_checkpoint(messages={}, next_executor_ids=[])
    await storage.save_checkpoint(done)
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
