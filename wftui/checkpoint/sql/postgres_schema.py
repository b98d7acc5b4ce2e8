"""Creating and migrating a PostgreSQL store's tables, under an advisory lock.

The first writer creates the schema and its tables; any command brings an older store forward
(the upgrades only add); a store newer than this code is refused untouched. The lock makes
concurrent first writers, on any machine, agree on one outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.serializer import CheckpointSerializer
from wftui.checkpoint.sql.common import one_line
from wftui.checkpoint.sql.schema import (
    EXECUTION_KIND_COLUMN,
    SCHEMA_VERSION,
    cassette_statements,
    execution_kind_of,
    newer_schema_message,
    upgrade_failed_message,
    version_1,
)

Connection = psycopg.AsyncConnection[Any]
_TEXT = 'text COLLATE "C"'
_TYPES = (_TEXT, "bytea", "BIGSERIAL PRIMARY KEY")
_MIGRATIONS = [  # _MIGRATIONS[v] takes a store from schema version v to v + 1
    version_1(*_TYPES),
    [
        # A new column goes after ``document`` here; that costs nothing, since a large
        # document lives out of line (TOAST) and a column read after it does not fetch it.
        f"ALTER TABLE {{checkpoints}} ADD COLUMN {EXECUTION_KIND_COLUMN.format(text=_TEXT)}",
        *cassette_statements(*_TYPES),
        # The existing rows' kinds are filled after the upgrade commits, batch by batch
        # (``fill_kinds``): this row says where the fill has got to, until it is done.
        f"CREATE TABLE {{kinds_pending}} (after {_TEXT} NOT NULL)",
        "INSERT INTO {kinds_pending} (after) VALUES ('')",
    ],
]
_FILL_BATCH = 1000


def lock_key(purpose: str, schema: str) -> int:
    """A stable 64-bit advisory lock key for one purpose in one schema."""
    digest = hashlib.blake2b(f"wftui:{purpose}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresSchema:
    """One store's tables: ``compose`` turns a ``{table}`` template into SQL for its schema."""

    def __init__(
        self,
        schema: str,
        compose: Callable[[str], sql.Composed],
        serializer: CheckpointSerializer,
        *,
        create: bool,
    ) -> None:
        self.schema = schema
        self._sql = compose
        self._serializer = serializer
        self._create = create

    async def stored_version(self, connection: Connection) -> int | None:
        cursor = await connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f'"{self.schema}".schema_version']
        )
        row = await cursor.fetchone()
        if row is None or not row[0]:
            return None
        cursor = await connection.execute(self._sql("SELECT max(version) FROM {version}"))
        row = await cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    async def prepare(self, connection: Connection) -> None:
        """Create the tables (a writer only) or bring older ones forward (any command: an
        old store should not need a write before it can be read)."""
        if self._create:
            await self._migrate(connection)
            await self.fill_kinds(connection)
            return
        version = await self.stored_version(connection)
        if version is None:
            raise CheckpointError(
                f"no wftui store in schema {self.schema!r}: a command that writes "
                "checkpoints creates it (is the ?schema= right?)"
            )
        if version > SCHEMA_VERSION:
            raise CheckpointError(newer_schema_message(version))
        if version < SCHEMA_VERSION:
            try:
                await self._migrate(connection)
            except psycopg.Error as error:
                raise CheckpointError(upgrade_failed_message(version, one_line(error))) from error
        await self.fill_kinds(connection)

    async def _migrate(self, connection: Connection) -> None:
        async with connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock(%s)", [lock_key("schema", self.schema)]
            )
            await connection.execute(self._sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
            version = await self.stored_version(connection)
            if version is not None and version > SCHEMA_VERSION:
                raise CheckpointError(newer_schema_message(version))
            if version == SCHEMA_VERSION:
                return
            if version is None:
                await connection.execute(
                    self._sql("CREATE TABLE {version} (version integer NOT NULL)")
                )
            start = version or 0
            for statements in _MIGRATIONS[start:]:
                for statement in statements:
                    await connection.execute(self._sql(statement))
            await connection.execute(self._sql("DELETE FROM {version}"))
            await connection.execute(
                self._sql("INSERT INTO {version} (version) VALUES (%s)"), [SCHEMA_VERSION]
            )

    async def fill_kinds(self, connection: Connection) -> None:
        """Fill the execution kind of rows an upgrade found, one batch per transaction, after the
        upgrade committed: other processes never wait for it (until it is done, those rows
        show no kind), and one that opens the store while another fills goes on at once.

        A fill cut short (the process killed) goes on from where it got at the next open. Documents written before executions were recorded are
        skipped without being parsed. A user who may not write leaves it to one who may."""
        more = await self._fill_from(connection) is not None
        try:
            while more:
                async with connection.transaction():
                    cursor = await connection.execute(
                        "SELECT pg_try_advisory_xact_lock(%s)", [lock_key("kinds", self.schema)]
                    )
                    locked = await cursor.fetchone()
                    if locked is None or not locked[0]:
                        return  # another process is filling: this one goes on without waiting
                    after = await self._fill_from(connection)  # another may have gone on
                    more = after is not None and await self._fill(connection, after)
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
            return

    async def _fill_from(self, connection: Connection) -> str | None:
        """The checkpoint id the fill goes on after; None when no fill is pending (the table
        stays once made, empty: dropping it would race other processes' catalog lookups)."""
        cursor = await connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f'"{self.schema}".kinds_pending']
        )
        made = await cursor.fetchone()
        if made is None or not made[0]:
            return None
        cursor = await connection.execute(self._sql("SELECT after FROM {kinds_pending}"))
        row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def _fill(self, connection: Connection, after: str) -> bool:
        """One batch, under the fill's lock; whether more remain."""
        cursor = await connection.execute(
            self._sql(
                "SELECT checkpoint_id, document FROM {checkpoints} WHERE checkpoint_id > %s "
                "AND position(%s::bytea in document) > 0 ORDER BY checkpoint_id LIMIT %s"
            ),
            [after, b'"execution"', _FILL_BATCH],
        )
        rows = await cursor.fetchall()
        kinds = [(cid, execution_kind_of(self._serializer, doc)) for cid, doc in rows]
        filled = [(cid, kind) for cid, kind in kinds if kind]
        if filled:  # one statement per batch
            await connection.execute(
                self._sql(
                    "UPDATE {checkpoints} AS stored SET execution_kind = given.kind "
                    "FROM unnest(%s::text[], %s::text[]) AS given(id, kind) "
                    "WHERE stored.checkpoint_id = given.id AND stored.execution_kind = ''"
                ),
                [[cid for cid, _ in filled], [kind for _, kind in filled]],
            )
        if len(rows) < _FILL_BATCH:
            await connection.execute(self._sql("DELETE FROM {kinds_pending}"))
            return False
        await connection.execute(self._sql("UPDATE {kinds_pending} SET after = %s"), [rows[-1][0]])
        return True
