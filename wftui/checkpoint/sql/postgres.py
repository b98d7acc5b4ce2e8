"""Checkpoints in PostgreSQL: one database that processes on many machines write and watch.

psycopg 3 (async) with a ``psycopg_pool`` pool. The first writer creates the tables under an
advisory lock, recording the schema version (``postgres_schema``); a read-only store
(``create=False``) creates nothing, but brings an older store forward. The document is kept verbatim as ``bytea``: JSONB would reject ``\\u0000`` and
lone surrogates, reorder keys, and turn ``-0.0`` into ``0.0`` and ``1e20`` into an integer.

Each save or delete is one transaction that also appends to the ``changes`` sequence and sends a
NOTIFY. Appending takes a per-schema advisory lock, so sequence order is commit order: a watcher
that resumes after the last ``seq`` it saw can never skip a change that committed late.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.serializer import CheckpointSerializer
from wftui.checkpoint.sql.cassettes import WriteStep
from wftui.checkpoint.sql.common import (
    UPSERT_SQL,
    SqlCheckpointStorage,
    WaitForChange,
    deleting,
    one_line,
)
from wftui.checkpoint.sql.postgres_schema import Connection, PostgresSchema, lock_key
from wftui.checkpoint.sql.schema import INDEX_NAMES

CHANNEL = "wftui_changes"  # one channel; the payload names the schema that changed
_CONNECT_TIMEOUT_S = 5
_POOL_WAIT_S = 10.0
_VALID_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def split_store_url(url: str) -> tuple[str, str | None]:
    """``postgresql://...?schema=NAME`` -> the DSN without ``schema``, and the schema if given."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    rest = [(key, value) for key, value in query if key != "schema"]
    return urlunsplit(parts._replace(query=urlencode(rest))), schemas[-1] if schemas else None


class PostgresCheckpointStorage(SqlCheckpointStorage):
    """A ``CheckpointStorage`` in one schema of a PostgreSQL database.

    Connects on first use. ``create=False`` is for read-only commands: a missing store is
    reported, not created.
    """

    poll_interval = 1.0  # NOTIFY wakes watchers; polling only covers a lost listener

    def __init__(
        self,
        dsn: str,
        schema: str = "wftui",
        *,
        serializer: CheckpointSerializer | None = None,
        create: bool = True,
        pool_size: int = 8,
    ) -> None:
        super().__init__(serializer)
        if not _VALID_SCHEMA.fullmatch(schema):
            raise CheckpointError(
                f"invalid PostgreSQL schema name {schema!r}: use up to 63 letters, digits or '_', "
                "not starting with a digit"
            )
        self.dsn = dsn
        self.schema = schema
        self.create = create
        self._pool_size = pool_size
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._opening = asyncio.Lock()
        self._names = {
            "checkpoints": sql.Identifier(schema, "checkpoints"),
            "changes": sql.Identifier(schema, "changes"),
            "cassettes": sql.Identifier(schema, "cassettes"),
            "cassettes_by_run": sql.Identifier("cassettes_by_run"),
            "version": sql.Identifier(schema, "schema_version"),
            "kinds_pending": sql.Identifier(schema, "kinds_pending"),
            "schema": sql.Identifier(schema),
        } | {name: sql.Identifier(f"checkpoints_{name}") for name in INDEX_NAMES}
        self._queries: dict[str, sql.Composed] = {}
        self._schema = PostgresSchema(schema, self._sql, self.serializer, create=create)

    @classmethod
    def from_url(
        cls, url: str, *, serializer: CheckpointSerializer | None = None, create: bool = True
    ) -> PostgresCheckpointStorage:
        """A store from ``postgresql://user@host:port/db?schema=NAME`` (default schema ``wftui``)."""
        dsn, schema = split_store_url(url)
        return cls(dsn, schema or "wftui", serializer=serializer, create=create)

    @property
    def display(self) -> str:
        """The store as a URL, password left out: safe for headers and error messages."""
        try:
            params = conninfo_to_dict(self.dsn)
        except psycopg.ProgrammingError:
            return f"postgresql://?schema={self.schema}"
        user = f"{params['user']}@" if params.get("user") else ""
        host = str(params.get("host") or "")
        port = f":{params['port']}" if params.get("port") else ""
        return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}?schema={self.schema}"

    def __repr__(self) -> str:
        return f"PostgresCheckpointStorage({self.display!r})"

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # ----- connections and schema -----

    def _sql(self, template: str) -> sql.Composed:
        composed = self._queries.get(template)
        if composed is None:
            composed = self._queries[template] = sql.SQL(template).format(**self._names)
        return composed

    def _failure(self, doing: str, reason: str) -> CheckpointError:
        return CheckpointError(f"PostgreSQL store {self.display}: cannot {doing}: {reason}")

    @property
    def application_name(self) -> str:
        """What its connections call themselves in ``pg_stat_activity``: wftui and the schema."""
        return f"wftui:{self.schema}"

    async def _connect(self) -> Connection:
        return await psycopg.AsyncConnection.connect(
            self.dsn,
            autocommit=True,
            connect_timeout=_CONNECT_TIMEOUT_S,
            application_name=self.application_name,
        )

    async def _open(self) -> AsyncConnectionPool[Connection]:
        async with self._opening:
            if self._pool is None:
                try:
                    async with await self._connect() as connection:
                        await self._schema.prepare(connection)
                except psycopg.Error as error:
                    raise self._failure("open the store", one_line(error)) from error
                except CheckpointError as error:
                    raise self._failure("open the store", str(error)) from None
                pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
                    self.dsn,
                    min_size=1,
                    max_size=self._pool_size,
                    open=False,
                    kwargs={
                        "autocommit": True,
                        "connect_timeout": _CONNECT_TIMEOUT_S,
                        "application_name": self.application_name,
                    },
                    # A connection that died while idle (a restarted server, a terminated
                    # backend) is replaced before use instead of failing the next save.
                    check=AsyncConnectionPool.check_connection,
                    timeout=_POOL_WAIT_S,
                    name=f"wftui-{self.schema}",
                )
                await pool.open(wait=False)
                self._pool = pool
            return self._pool

    @asynccontextmanager
    async def _connection(self, doing: str) -> AsyncIterator[Connection]:
        """A pooled connection; any database failure becomes one clear ``CheckpointError``."""
        pool = await self._open()
        try:
            async with pool.connection() as connection:
                yield connection
        except PoolTimeout as error:
            raise self._failure(doing, await self._why_no_connection()) from error
        except psycopg.Error as error:
            raise self._failure(doing, one_line(error)) from error

    async def _why_no_connection(self) -> str:
        """The pool only says it waited; a direct attempt says why (refused, no such role...)."""
        try:
            connection = await self._connect()
        except psycopg.Error as error:
            return one_line(error)
        await connection.close()
        return f"no free connection within {_POOL_WAIT_S:g} s (all {self._pool_size} busy)"

    async def _append_change(
        self, connection: Connection, checkpoint_id: str, workflow_id: str, kind: str
    ) -> None:
        await connection.execute(
            self._sql(
                "INSERT INTO {changes} (checkpoint_id, workflow_id, kind) VALUES (%s, %s, %s)"
            ),
            [checkpoint_id, workflow_id, kind],
        )
        await connection.execute("SELECT pg_notify(%s, %s)", [CHANNEL, self.schema])

    async def _lock_changes(self, connection: Connection) -> None:
        await connection.execute(
            "SELECT pg_advisory_xact_lock(%s)", [lock_key("changes", self.schema)]
        )

    # ----- primitives -----

    async def _save(self, values: tuple[Any, ...], document: bytes) -> None:
        async with (
            self._connection(f"save checkpoint {values[0]}") as connection,
            connection.pipeline(),
            connection.transaction(),
        ):
            await self._lock_changes(connection)
            await connection.execute(self._sql(UPSERT_SQL), [*values, document])
            await self._append_change(connection, values[0], values[1], "saved")

    async def _delete(self, checkpoint_ids: Sequence[str]) -> int:
        async with (
            self._connection(deleting(checkpoint_ids)) as connection,
            connection.transaction(),
        ):
            await self._lock_changes(connection)
            cursor = await connection.execute(
                self._sql(
                    "DELETE FROM {checkpoints} WHERE checkpoint_id = ANY(%s) "
                    "RETURNING checkpoint_id, workflow_id"
                ),
                [list(checkpoint_ids)],
            )
            gone = await cursor.fetchall()
            if gone:
                async with connection.cursor() as changes:
                    await changes.executemany(
                        self._sql(
                            "INSERT INTO {changes} (checkpoint_id, workflow_id, kind) "
                            "VALUES (%s, %s, 'deleted')"
                        ),
                        gone,
                    )
                await connection.execute("SELECT pg_notify(%s, %s)", [CHANNEL, self.schema])
        return len(gone)

    async def _fetch(self, query: tuple[str, list[Any]]) -> list[tuple[Any, ...]]:
        template, params = query
        async with self._connection("read") as connection:
            cursor = await connection.execute(self._sql(template), params)
            return await cursor.fetchall()

    async def _write(self, doing: str, steps: Sequence[WriteStep]) -> int:
        changed = 0
        async with (
            self._connection(doing) as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            for template, rows in steps:
                if rows:
                    await cursor.executemany(self._sql(template), rows)
                    changed += max(cursor.rowcount, 0)
        return changed

    @asynccontextmanager
    async def _change_signal(self) -> AsyncIterator[WaitForChange]:
        listener = _Listener(self)
        await listener.listen()
        try:
            yield listener.wait
        finally:
            await listener.close()


class _Listener:
    """A LISTEN connection of its own (not pooled: it stays subscribed); polls when it is lost."""

    def __init__(self, storage: PostgresCheckpointStorage) -> None:
        self._storage = storage
        self._connection: Connection | None = None

    async def listen(self) -> bool:
        try:
            self._connection = await self._storage._connect()
            await self._connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            await self.close()
            return False
        return True

    async def wait(self, timeout: float) -> None:
        """Until a NOTIFY for this schema or ``timeout``; after a reconnect at once (re-read)."""
        if self._connection is None:
            if not await self.listen():
                await asyncio.sleep(timeout)
            return
        try:
            async for notify in self._connection.notifies(timeout=timeout):
                if notify.payload == self._storage.schema:
                    return
        except psycopg.Error:
            await self.close()

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()
