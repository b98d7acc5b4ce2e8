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
    ],
]
_KINDS_VERSION = 2  # the migration to this version fills execution_kind from the documents
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
            for reached, statements in enumerate(_MIGRATIONS[start:], start + 1):
                for statement in statements:
                    await connection.execute(self._sql(statement))
                if reached == _KINDS_VERSION:
                    await self._fill_execution_kinds(connection)
            await connection.execute(self._sql("DELETE FROM {version}"))
            await connection.execute(
                self._sql("INSERT INTO {version} (version) VALUES (%s)"), [SCHEMA_VERSION]
            )

    async def _fill_execution_kinds(self, connection: Connection) -> None:
        """Each existing row's execution kind, read from its document in batches (documents
        written before executions were recorded are skipped without being parsed)."""
        after = ""
        while True:
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
                        "WHERE stored.checkpoint_id = given.id"
                    ),
                    [[cid for cid, _ in filled], [kind for _, kind in filled]],
                )
            if len(rows) < _FILL_BATCH:
                return
            after = rows[-1][0]
