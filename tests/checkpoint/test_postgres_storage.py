"""What only the PostgreSQL store has to get right: URLs, schema versions, a server that fails.

Every test uses a schema of its own on the shared test server and drops it afterwards; the
server itself is never stopped (a dropped connection is a terminated backend).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.checkpoint.support import make_checkpoint
from tests.postgres_support import admin, postgres_url, scratch_schema, store_url
from wftui.checkpoint import CheckpointError
from wftui.checkpoint.sql import PostgresCheckpointStorage
from wftui.checkpoint.sql.common import newest_documents_query, summaries_query
from wftui.checkpoint.sql.postgres import split_store_url
from wftui.checkpoint.sql.schema import SCHEMA_VERSION


@pytest.fixture
async def where() -> AsyncIterator[tuple[str, str]]:
    async with scratch_schema() as found:
        yield found


def backends(url: str, application_name: str, waiting: str | None = None) -> list[int]:
    """Server process ids of a storage's connections (optionally only those in a wait)."""
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    params: list[Any] = [application_name]
    if waiting is not None:
        query += " AND wait_event_type = %s"
        params.append(waiting)
    with admin(url) as connection:
        return [row[0] for row in connection.execute(query, params).fetchall()]


def terminate(url: str, pids: list[int]) -> None:
    with admin(url) as connection:
        for pid in pids:
            connection.execute("SELECT pg_terminate_backend(%s)", [pid])


async def until(condition: Any, what: str) -> Any:
    """Wait for server-side state another task is about to create (bounded, never a fixed nap)."""
    for _ in range(1000):
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def one_clear_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message
    assert message.startswith("PostgreSQL store postgresql://"), message
    return message


def test_a_store_url_selects_the_schema_and_hides_the_password() -> None:
    dsn, schema = split_store_url("postgresql://me:s3cret@db:5433/runs?schema=team&sslmode=disable")
    assert schema == "team"
    assert conninfo_to_dict(dsn) == {
        "user": "me",
        "password": "s3cret",
        "host": "db",
        "port": "5433",
        "dbname": "runs",
        "sslmode": "disable",
    }
    storage = PostgresCheckpointStorage.from_url("postgresql://me:s3cret@db:5433/runs?schema=team")
    assert storage.schema == "team"
    assert storage.display == "postgresql://me@db:5433/runs?schema=team"
    assert "s3cret" not in repr(storage)
    assert PostgresCheckpointStorage.from_url("postgresql://db/runs").schema == "wftui"
    with pytest.raises(CheckpointError, match="invalid PostgreSQL schema name 'a;b'"):
        PostgresCheckpointStorage.from_url("postgresql://db/runs?schema=a;b")


async def test_first_writers_racing_create_the_store_once(where: tuple[str, str]) -> None:
    url, schema = where
    storages = [PostgresCheckpointStorage(url, schema) for _ in range(4)]
    checkpoints = [make_checkpoint(f"run-{i}") for i in range(4)]
    await asyncio.gather(
        *(s.save_checkpoint(cp) for s, cp in zip(storages, checkpoints, strict=True))
    )
    assert sorted(await storages[0].list_checkpoint_ids()) == sorted(
        cp.checkpoint_id for cp in checkpoints
    )
    with admin(url) as connection:
        rows = connection.execute(
            sql.SQL("SELECT version FROM {}").format(sql.Identifier(schema, "schema_version"))
        ).fetchall()
    assert rows == [(SCHEMA_VERSION,)]
    for storage in storages:
        await storage.close()


async def test_a_newer_schema_version_is_refused_and_left_alone(where: tuple[str, str]) -> None:
    url, schema = where
    async with PostgresCheckpointStorage(url, schema) as storage:
        saved = await storage.save_checkpoint(make_checkpoint())
    version_table = sql.Identifier(schema, "schema_version")
    with admin(url) as connection:
        connection.execute(sql.SQL("UPDATE {} SET version = 7").format(version_table))
    for create in (True, False):
        async with PostgresCheckpointStorage(url, schema, create=create) as newer:
            with pytest.raises(CheckpointError) as refused:
                await newer.list_checkpoint_ids()
        message = one_clear_line(refused.value)
        assert f"?schema={schema}: cannot open the store:" in message
        assert (
            f"schema version 7 is newer than this wftui knows ({SCHEMA_VERSION}): upgrade wftui"
            in message
        )
    with admin(url) as connection:
        connection.execute(
            sql.SQL("UPDATE {} SET version = %s").format(version_table), [SCHEMA_VERSION]
        )
    async with PostgresCheckpointStorage(url, schema, create=False) as storage:
        assert await storage.list_checkpoint_ids() == [saved]


async def test_a_read_only_store_reports_a_missing_schema_instead_of_creating_it(
    where: tuple[str, str],
) -> None:
    url, schema = where
    async with PostgresCheckpointStorage(url, schema, create=False) as reader:
        with pytest.raises(CheckpointError) as missing:
            await reader.list_summaries()
        message = one_clear_line(missing.value)
        assert f"no wftui store in schema '{schema}'" in message
        with admin(url) as connection:
            found = connection.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema]
            ).fetchone()
        assert found == (0,)
        # Once a writer has created it, the same read-only storage works.
        async with PostgresCheckpointStorage(url, schema) as writer:
            saved = await writer.save_checkpoint(make_checkpoint())
        assert [s.checkpoint_id for s in await reader.list_summaries()] == [saved]


async def test_an_unreachable_server_is_one_clear_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = PostgresCheckpointStorage.from_url(f"postgresql://postgres@127.0.0.1:{port}/test")
    with pytest.raises(CheckpointError) as failed:
        await storage.save_checkpoint(make_checkpoint())
    message = one_clear_line(failed.value)
    assert f"127.0.0.1:{port}" in message
    assert "cannot open the store" in message
    assert "Connection refused" in message


async def test_a_role_that_does_not_exist_is_one_clear_error(where: tuple[str, str]) -> None:
    url, schema = where
    dsn = make_conninfo(url, user="no_such_wftui_role", password="anything")
    storage = PostgresCheckpointStorage(dsn, schema)
    with pytest.raises(CheckpointError) as failed:
        await storage.list_checkpoint_ids()
    message = one_clear_line(failed.value)
    assert 'role "no_such_wftui_role" does not exist' in message
    assert "anything" not in message


async def test_a_connection_dropped_mid_save_fails_that_save_clearly_then_works_again(
    where: tuple[str, str],
) -> None:
    url, schema = where
    storage = PostgresCheckpointStorage(url, schema)
    first = await storage.save_checkpoint(make_checkpoint())
    blocker = psycopg.connect(url)  # holds the table so the next save waits in the server
    blocker.execute(
        sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
            sql.Identifier(schema, "checkpoints")
        )
    )
    lost = make_checkpoint()
    saving = asyncio.ensure_future(storage.save_checkpoint(lost))
    [pid] = await until(
        lambda: backends(url, storage.application_name, waiting="Lock"), "the save waits"
    )
    terminate(url, [pid])
    blocker.rollback()
    blocker.close()
    with pytest.raises(CheckpointError) as failed:
        await saving
    message = one_clear_line(failed.value)
    assert f"cannot save checkpoint {lost.checkpoint_id}" in message
    assert "terminat" in message

    again = await storage.save_checkpoint(make_checkpoint())
    assert await storage.list_checkpoint_ids() == [first, again]
    await storage.close()


async def test_connections_killed_while_idle_are_replaced_unnoticed(where: tuple[str, str]) -> None:
    url, schema = where
    async with PostgresCheckpointStorage(url, schema) as storage:
        first = await storage.save_checkpoint(make_checkpoint())
        idle = backends(url, storage.application_name)
        assert idle
        terminate(url, idle)
        await until(lambda: not set(idle) & set(backends(url, storage.application_name)), "gone")
        second = await storage.save_checkpoint(make_checkpoint())
        assert await storage.list_checkpoint_ids() == [first, second]


async def test_a_watcher_whose_listener_is_killed_catches_up_after_reconnecting(
    where: tuple[str, str],
) -> None:
    url, schema = where
    target = store_url(url, schema)
    async with (
        PostgresCheckpointStorage.from_url(target) as watched,
        PostgresCheckpointStorage.from_url(target) as writer,
    ):
        await writer.list_checkpoint_ids()  # the store exists before anyone listens
        watcher = watched.watch()
        pending = asyncio.ensure_future(anext(watcher))

        def listener() -> list[int]:
            with admin(url) as connection:
                rows = connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                    "AND query LIKE 'LISTEN%%'",
                    [watched.application_name],
                ).fetchall()
            return [row[0] for row in rows]

        terminate(url, await until(listener, "the watcher listens"))
        cp = make_checkpoint()
        await writer.save_checkpoint(cp)
        change = await asyncio.wait_for(pending, timeout=10)
        assert (change.seq, change.checkpoint_id, change.kind) == (1, cp.checkpoint_id, "saved")
        later = make_checkpoint()
        await writer.save_checkpoint(later)
        change = await asyncio.wait_for(anext(watcher), timeout=10)
        assert change.checkpoint_id == later.checkpoint_id
        await watcher.aclose()


def test_the_test_server_is_the_one_configured() -> None:
    """Guards the fixtures: a per-test schema on the server named by WFTUI_TEST_POSTGRES_URL."""
    url = postgres_url()
    with admin(url) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (summaries_query(None, 50), "checkpoints_by_time"),
        (summaries_query("run-1", 50), "checkpoints_by_run"),
        (newest_documents_query(None, ("2024", "x"), 8), "checkpoints_by_time"),
        (newest_documents_query("run-1", None, 8), "checkpoints_by_run"),
    ],
)
async def test_newest_first_queries_have_an_index_in_that_order(
    where: tuple[str, str], query: tuple[str, list[object]], index: str
) -> None:
    """With sorting priced out, the plan is a backward index scan: newest-N never sorts the table."""
    url, schema = where
    async with PostgresCheckpointStorage(url, schema) as storage:
        await storage.save_checkpoint(make_checkpoint())
    template, params = query
    names = {"checkpoints": sql.Identifier(schema, "checkpoints")}
    with admin(url) as connection:
        connection.execute("SET enable_seqscan = off")
        connection.execute("SET enable_sort = off")
        explain = sql.SQL("EXPLAIN ") + sql.SQL(template).format(**names)
        plan = " | ".join(row[0] for row in connection.execute(explain, params).fetchall())
    assert f"Index Scan Backward using {index} " in plan, plan
    assert "Sort" not in plan, plan
