"""SQLite's upgrade to version 2 copies a version-1 table a batch per transaction: a writer of
an older wftui gets in between batches instead of waiting for the whole table, and what it
saved or deleted meanwhile is in the upgraded table."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from tests.checkpoint.sql_versions import make_version_1, version_1_row
from tests.checkpoint.support import make_checkpoint
from tests.checkpoint.test_sql_migrations import executed
from wftui.checkpoint.sql import SqliteCheckpointStorage
from wftui.checkpoint.sql.schema import SCHEMA_VERSION, VERSION_1_NAMES

ROWS = 40_000  # eight batches


def _stamp(n: int) -> str:
    return f"2024-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"


def _older_writer(path: Path, late: tuple[object, ...], gone: str, landed: list[int]) -> None:
    """A version-1 writer: once the upgrade has begun, it saves one row and deletes another,
    and notes the schema version its transaction saw."""
    with sqlite3.connect(path, timeout=60, isolation_level=None) as connection:
        while not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'checkpoints_rebuilt'"
        ).fetchone():
            if connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # the upgrade went by unseen: nothing to note
        connection.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" * len(late))
        connection.execute(
            f"INSERT INTO checkpoints ({VERSION_1_NAMES}, document) VALUES ({marks})", late
        )
        connection.execute("DELETE FROM checkpoints WHERE checkpoint_id = ?", [gone])
        landed.append(connection.execute("PRAGMA user_version").fetchone()[0])
        connection.execute("COMMIT")


async def test_an_older_writer_gets_in_between_batches_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    checkpoints = [
        make_checkpoint(timestamp=_stamp(n), metadata=executed("fork")) for n in range(ROWS)
    ]
    make_version_1("sqlite", str(path), (version_1_row(cp) for cp in checkpoints))
    late = make_checkpoint(timestamp=_stamp(ROWS), metadata=executed("step"))
    gone = max(cp.checkpoint_id for cp in checkpoints)  # copied in the last batch, or not yet
    landed: list[int] = []
    writer = threading.Thread(target=_older_writer, args=(path, version_1_row(late), gone, landed))
    writer.start()
    storage = SqliteCheckpointStorage(path, create=False)
    try:
        await storage.list_summaries(limit=1)  # the upgrade
        await asyncio.to_thread(writer.join)
        assert landed == [1]  # while the store was still version 1: between batches
        summaries = {s.checkpoint_id: s for s in await storage.list_summaries()}
    finally:
        await storage.close()
    assert len(summaries) == ROWS and gone not in summaries
    assert summaries[late.checkpoint_id].execution_kind == "step"
    assert {s.execution_kind for s in summaries.values()} == {"fork", "step"}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "checkpoints_rebuilt" not in tables
