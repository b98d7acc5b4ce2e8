"""What only the SQLite store has to get right: its file, its indexes, its schema version."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointError
from wftui.checkpoint.sql import SqliteCheckpointStorage
from wftui.checkpoint.sql.common import newest_documents_query, summaries_query
from wftui.checkpoint.sql.schema import SCHEMA_VERSION
from wftui.journal import journal_for


async def test_the_file_and_its_folder_are_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.db"
    async with SqliteCheckpointStorage(path) as storage:
        saved = await storage.save_checkpoint(make_checkpoint())
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT checkpoint_id FROM checkpoints").fetchall() == [(saved,)]


@pytest.mark.parametrize("opener", ["store", "journal"])
async def test_a_new_file_written_by_another_connection_is_waited_for_then_opened(
    tmp_path: Path, opener: str
) -> None:
    """A store and its journal open a new file at once as a run starts (and so may the app):
    SQLite refused the switch to WAL at once while the other held its write lock, and the run
    failed with "database is locked" (9 first opens in 100). It now waits for the lock."""
    path = tmp_path / "store.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the other connection's first write, still going
    done = threading.Timer(0.2, other.execute, ("COMMIT",))
    done.start()
    storage = SqliteCheckpointStorage(path)
    try:
        if opener == "store":
            assert await storage.list_checkpoint_ids() == []
        else:
            assert await journal_for(storage).executions() == []
    finally:
        done.join()
        other.close()
        await storage.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (summaries_query(None, 50), "checkpoints_by_time"),
        (summaries_query("run-1", 50), "checkpoints_by_run"),
        (newest_documents_query(None, ("2024", "x"), 8), "checkpoints_by_time"),
        (newest_documents_query("run-1", None, 8), "checkpoints_by_run"),
    ],
)
async def test_newest_first_queries_are_index_range_scans(
    tmp_path: Path, query: tuple[str, list[object]], index: str
) -> None:
    """No table scan and no sort: the cost of newest-N does not grow with the store."""
    path = tmp_path / "store.db"
    async with SqliteCheckpointStorage(path) as storage:
        await storage.save_checkpoint(make_checkpoint())
    template, params = query
    text = template.format(checkpoints="checkpoints").replace("%s", "?")
    with sqlite3.connect(path) as connection:
        plan = " | ".join(
            row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {text}", params)
        )
    assert f"USING INDEX {index}" in plan
    assert "TEMP B-TREE" not in plan


async def test_a_newer_schema_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with SqliteCheckpointStorage(path) as storage:
        saved = await storage.save_checkpoint(make_checkpoint())
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 9")
    async with SqliteCheckpointStorage(path) as newer:
        with pytest.raises(CheckpointError) as refused:
            await newer.save_checkpoint(make_checkpoint())
    assert str(refused.value) == (
        f"SQLite store {path}: cannot open the store: its schema version 9 is newer than this "
        f"wftui knows ({SCHEMA_VERSION}): upgrade wftui to use it (nothing was changed)"
    )
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    async with SqliteCheckpointStorage(path) as storage:
        assert await storage.list_checkpoint_ids() == [saved]


async def test_a_file_that_is_not_a_store_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, but someone's notes\n" * 100)
    async with SqliteCheckpointStorage(path) as storage:
        with pytest.raises(CheckpointError) as failed:
            await storage.list_summaries()
    assert str(failed.value) == (
        f"SQLite store {path}: cannot open the store: file is not a database"
    )
    assert path.read_text().startswith("not a database")
