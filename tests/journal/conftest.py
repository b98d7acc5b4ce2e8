"""Journal tests run against every store: memory, a folder, a SQLite file, a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.postgres_support import scratch_schema, store_url
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.storage import CheckpointStorage

KINDS = ["memory", "file", "sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[CheckpointStorage]:
    kind = request.param
    if kind == "memory":
        yield InMemoryCheckpointStorage()
    elif kind == "file":
        yield FileCheckpointStorage(tmp_path / "checkpoints")
    elif kind == "sqlite":
        sqlite = SqliteCheckpointStorage(tmp_path / "store.db")
        yield sqlite
        await sqlite.close()
    else:
        async with scratch_schema() as (url, schema):
            postgres = PostgresCheckpointStorage.from_url(store_url(url, schema))
            yield postgres
            await postgres.close()
