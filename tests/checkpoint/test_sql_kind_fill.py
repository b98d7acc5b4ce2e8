"""PostgreSQL's upgrade to version 2 commits its schema change at once and fills the existing
rows' execution kinds afterwards, a batch per transaction: other processes use the store
meanwhile without waiting, and a fill cut short goes on at the next open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg import sql

from tests.checkpoint.sql_versions import make_version_1, version_1_row
from tests.checkpoint.support import make_checkpoint
from tests.checkpoint.test_sql_migrations import executed, read_only, stored_version
from tests.checkpoint.test_sql_storages import Store
from tests.postgres_support import admin, scratch_schema, store_url
from wftui.checkpoint.sql.postgres_schema import lock_key
from wftui.checkpoint.sql.schema import SCHEMA_VERSION

ROWS = 2_500  # three batches


@pytest.fixture
async def postgres() -> AsyncIterator[Store]:
    async with scratch_schema() as (url, schema):
        made = Store("postgresql", store_url(url, schema))
        yield made
        for storage in made.opened:
            await storage.close()


def _stamp(n: int) -> str:
    return f"2024-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"


def _kinds(store: Store) -> dict[str, int]:
    url, _, schema = store.target.rpartition("?schema=")
    with admin(url) as connection:
        table = sql.Identifier(schema, "checkpoints")
        rows = connection.execute(
            sql.SQL("SELECT execution_kind, count(*) FROM {} GROUP BY 1").format(table)
        )
        return {kind: count for kind, count in rows}


async def test_an_upgrade_fills_every_kind_in_batches(postgres: Store) -> None:
    kinds = ("fork", "step", "resume")
    checkpoints = [
        make_checkpoint(timestamp=_stamp(n), metadata=executed(kinds[n % 3])) for n in range(ROWS)
    ]
    make_version_1(postgres.kind, postgres.target, (version_1_row(cp) for cp in checkpoints))
    summaries = await read_only(postgres).list_summaries()
    assert stored_version(postgres) == SCHEMA_VERSION
    assert _kinds(postgres) == {"fork": 834, "step": 833, "resume": 833}
    assert len(summaries) == ROWS and all(s.execution_kind for s in summaries)


async def test_a_store_being_filled_is_used_at_once_and_a_cut_fill_goes_on(
    postgres: Store,
) -> None:
    checkpoints = [
        make_checkpoint(timestamp=_stamp(n), metadata=executed("fork")) for n in range(ROWS)
    ]
    make_version_1(postgres.kind, postgres.target, (version_1_row(cp) for cp in checkpoints))
    url, _, schema = postgres.target.rpartition("?schema=")
    with admin(url) as filler:
        # Another process fills (it holds the fill's lock) and has done none of it yet.
        filler.execute("SELECT pg_advisory_lock(%s)", [lock_key("kinds", schema)])
        filler.execute(
            sql.SQL("CREATE TABLE {} (after text NOT NULL)").format(
                sql.Identifier(schema, "kinds_pending")
            )
        )
        filler.execute(
            sql.SQL("INSERT INTO {} VALUES ('')").format(sql.Identifier(schema, "kinds_pending"))
        )
        filler.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN execution_kind text NOT NULL DEFAULT ''").format(
                sql.Identifier(schema, "checkpoints")
            )
        )
        filler.execute(
            sql.SQL("UPDATE {} SET version = 2").format(sql.Identifier(schema, "schema_version"))
        )
        filler.execute(
            sql.SQL("CREATE TABLE {} (seq BIGSERIAL PRIMARY KEY, run_id text, line bytea)").format(
                sql.Identifier(schema, "cassettes")
            )
        )
        writer = postgres.open()
        late = make_checkpoint(timestamp=_stamp(ROWS), metadata=executed("step"))
        await writer.save_checkpoint(late)  # no wait on the fill
        [newest] = await writer.list_summaries(limit=1)
        assert (newest.checkpoint_id, newest.execution_kind) == (late.checkpoint_id, "step")
        assert _kinds(postgres) == {"": ROWS, "step": 1}  # not filled: another process's job
        filler.execute("SELECT pg_advisory_unlock(%s)", [lock_key("kinds", schema)])
    # That process died before it filled: the next one to open the store does it.
    summaries = await read_only(postgres).list_summaries()
    assert _kinds(postgres) == {"fork": ROWS, "step": 1}
    assert all(s.execution_kind for s in summaries)
