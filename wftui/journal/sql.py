"""The journal in SQL stores: ``executions``, ``events`` and ``answers`` tables beside the
checkpoint tables, in the same SQLite file or PostgreSQL schema, created by the first writer.

The storages' own schema is left alone: the journal opens its own connection from the
storage's public ``path`` (SQLite) or ``dsn``/``schema`` (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.sql.common import WaitForChange
from wftui.checkpoint.sql.sqlite import use_wal
from wftui.journal.model import Entry, Execution
from wftui.journal.sql_changes import CHANGE_TABLES, SqlChanges, Step, change_steps

_EXECUTION_COLUMNS = (
    "id, run, kind, pipeline, host, pid, started, heartbeat, beat_every, ended, outcome, input"
)
_TABLES = (
    "CREATE TABLE IF NOT EXISTS {executions} (id TEXT PRIMARY KEY, run TEXT, kind TEXT NOT NULL,"
    " pipeline TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL, started DOUBLE PRECISION NOT NULL,"
    " heartbeat DOUBLE PRECISION NOT NULL, beat_every DOUBLE PRECISION NOT NULL,"
    " ended DOUBLE PRECISION, outcome TEXT, input TEXT)",
    "CREATE TABLE IF NOT EXISTS {events} (execution TEXT NOT NULL, seq INTEGER NOT NULL,"
    " time DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, executor TEXT NOT NULL,"
    " json TEXT NOT NULL, PRIMARY KEY (execution, seq))",
    "CREATE TABLE IF NOT EXISTS {answers} (run TEXT NOT NULL, request_id TEXT NOT NULL,"
    " value TEXT NOT NULL, PRIMARY KEY (run, request_id))",
    "CREATE INDEX IF NOT EXISTS {executions_run} ON {executions} (run)",
)


_INSERT_EXECUTION = (
    f"INSERT INTO {{executions}} ({_EXECUTION_COLUMNS})"
    f" VALUES ({', '.join(['%s'] * len(_EXECUTION_COLUMNS.split(', ')))})"
)
_INSERT_EVENTS = (
    "INSERT INTO {events} (execution, seq, time, kind, executor, json)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)


# A pruned run's changes go with it (the newest change of all stays, so ``last_seq`` never
# goes back); a watcher misses nothing by it: what they named is gone.
_DELETE_CHANGES = (
    "DELETE FROM {journal_changes} WHERE (execution IN (SELECT id FROM {executions} WHERE run = %s)"
    " OR (execution IS NULL AND run = %s)) AND seq < (SELECT MAX(seq) FROM {journal_changes})"
)


def _row(execution: Execution) -> list[Any]:
    return [getattr(execution, name) for name in _EXECUTION_COLUMNS.split(", ")]


def _execution(row: Sequence[Any]) -> Execution:
    return Execution.from_json(dict(zip(_EXECUTION_COLUMNS.split(", "), row, strict=True)))


def _event_rows(execution_id: str, entries: Sequence[Entry]) -> list[list[Any]]:
    return [
        [
            execution_id,
            e.seq,
            e.time,
            e.kind,
            e.executor,
            json.dumps({"text": e.text, "tone": e.tone, "event": e.event}, ensure_ascii=False),
        ]
        for e in entries
    ]


def _entry(seq: int, time: float, kind: str, executor: str, text: str) -> Entry:
    fields = json.loads(text)
    return Entry(seq, time, kind, executor, fields["text"], fields["tone"], fields["event"])


class SqlJournal(SqlChanges):
    """The queries, written once; subclasses run them (``%s`` parameters, ``{name}`` tables)."""

    missing_table: type[Exception]

    @abstractmethod
    async def _run(self, query: str, params: Sequence[Any] = (), *, many: bool = False) -> None: ...

    @abstractmethod
    async def _fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    async def _create(self) -> None: ...

    async def begin(self, execution: Execution, *, inline: bool = False) -> None:
        await self._create()
        steps = [(_INSERT_EXECUTION, _row(execution), False), *change_steps(execution.id, "begun")]
        await self._write(steps)

    async def set_run(self, execution_id: str, run: str) -> None:
        await self._run("UPDATE {executions} SET run = %s WHERE id = %s", [run, execution_id])

    async def append(self, execution_id: str, entries: Sequence[Entry]) -> None:
        rows = _event_rows(execution_id, entries)
        await self._write([(_INSERT_EVENTS, rows, True), *change_steps(execution_id, "entries")])

    async def beat(self, execution_id: str, at: float) -> None:
        update = "UPDATE {executions} SET heartbeat = %s WHERE id = %s"
        await self._write(
            [(update, [at, execution_id], False), *change_steps(execution_id, "beat")]
        )

    async def end(
        self, execution_id: str, outcome: str, at: float, entries: Sequence[Entry] = ()
    ) -> None:
        update = "UPDATE {executions} SET outcome = %s, ended = %s WHERE id = %s"
        steps: list[Step] = [(update, [outcome, at, execution_id], False)]
        if entries:
            steps.insert(0, (_INSERT_EVENTS, _event_rows(execution_id, entries), True))
        await self._write([*steps, *change_steps(execution_id, "ended")])

    async def _read(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows, or none when no writer has created the journal yet (read-only use)."""
        try:
            return await self._fetch(query, params)
        except self.missing_table:
            return []

    async def executions(self, run: str | None = None) -> list[Execution]:
        where = "" if run is None else " WHERE run = %s"
        rows = await self._read(
            f"SELECT {_EXECUTION_COLUMNS} FROM {{executions}}{where} ORDER BY started",
            [] if run is None else [run],
        )
        return [_execution(row) for row in rows]

    async def execution(self, execution_id: str) -> Execution | None:
        rows = await self._read(
            f"SELECT {_EXECUTION_COLUMNS} FROM {{executions}} WHERE id = %s", [execution_id]
        )
        return _execution(rows[0]) if rows else None

    async def entries(self, execution_id: str, after_seq: int = 0) -> list[Entry]:
        rows = await self._read(
            "SELECT seq, time, kind, executor, json FROM {events}"
            " WHERE execution = %s AND seq > %s ORDER BY seq",
            [execution_id, after_seq],
        )
        return [_entry(*row) for row in rows]

    async def post_answer(self, run: str, request_id: str, value: str) -> None:
        await self._create()
        upsert = (
            "INSERT INTO {answers} (run, request_id, value) VALUES (%s, %s, %s)"
            " ON CONFLICT (run, request_id) DO UPDATE SET value = excluded.value"
        )
        change = "INSERT INTO {journal_changes} (execution, run, kind) VALUES (NULL, %s, 'answer')"
        await self._write([(upsert, [run, request_id, value], False), (change, [run], False)])

    async def answers(self, run: str) -> dict[str, str]:
        rows = await self._read("SELECT request_id, value FROM {answers} WHERE run = %s", [run])
        return {request_id: value for request_id, value in rows}

    async def put_execution(self, execution: Execution, entries: Sequence[Entry]) -> None:
        await self._create()
        await self._write(
            [
                ("DELETE FROM {events} WHERE execution = %s", [execution.id], False),
                ("DELETE FROM {executions} WHERE id = %s", [execution.id], False),
                (_INSERT_EXECUTION, _row(execution), False),
                (_INSERT_EVENTS, _event_rows(execution.id, entries), True),
                *change_steps(execution.id, "begun"),  # watchers see the copy
            ]
        )

    async def delete_runs(self, runs: Sequence[str]) -> int:
        each = [[run] for run in dict.fromkeys(runs)]
        await self._create()  # a journal older than its change table gets one (and its index)
        try:
            *_, executions = await self._write(
                [
                    (
                        "DELETE FROM {events} WHERE execution IN"
                        " (SELECT id FROM {executions} WHERE run = %s)",
                        each,
                        True,
                    ),
                    ("DELETE FROM {answers} WHERE run = %s", each, True),
                    (_DELETE_CHANGES, [[run, run] for [run] in each], True),
                    ("DELETE FROM {executions} WHERE run = %s", each, True),
                ]
            )
        except self.missing_table:  # nothing was ever journaled here
            return 0
        return executions


class SqliteJournal(SqlJournal):
    """In the store's SQLite file, over a connection of its own (WAL lets both write)."""

    missing_table = sqlite3.OperationalError

    def __init__(self, storage: SqliteCheckpointStorage) -> None:
        self._path = storage.path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._created = False

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
            use_wal(connection)
            self._connection = connection
        return self._connection

    @staticmethod
    def _text(query: str) -> str:
        names = {
            "executions": "executions",
            "events": "events",
            "answers": "answers",
            "executions_run": "executions_run",
            "journal_changes": "journal_changes",
            "journal_changes_execution": "journal_changes_execution",
            "journal_changes_run": "journal_changes_run",
            "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        }
        return query.format(**names).replace("%s", "?")

    def _do(self, query: str, params: Sequence[Any], many: bool) -> list[tuple[Any, ...]]:
        with self._lock:
            connection = self._connect()
            if many:
                with connection:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.executemany(self._text(query), params)
                return []
            return connection.execute(self._text(query), params).fetchall()

    async def _run(self, query: str, params: Sequence[Any] = (), *, many: bool = False) -> None:
        await asyncio.to_thread(self._do, query, params, many)

    async def _fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self._do, query, params, False)

    async def _create(self) -> None:
        if not self._created:
            for statement in (*_TABLES, *CHANGE_TABLES):
                await self._run(statement)
            self._created = True

    def _do_steps(self, steps: Sequence[Step]) -> list[int]:
        changed = []
        with self._lock:
            connection = self._connect()
            with connection:
                # Writers queue here, so the change sequence's order is commit order.
                connection.execute("BEGIN IMMEDIATE")
                for query, params, many in steps:
                    if many:
                        cursor = connection.executemany(self._text(query), params)
                    else:
                        cursor = connection.execute(self._text(query), params)
                    changed.append(max(cursor.rowcount, 0))
        return changed

    async def _write(self, steps: Sequence[Step]) -> list[int]:
        return await asyncio.to_thread(self._do_steps, steps)

    @asynccontextmanager
    async def _wake(self) -> AsyncIterator[WaitForChange]:
        """Polling: a look at the change table's key costs microseconds."""
        yield asyncio.sleep

    async def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class PostgresJournal(SqlJournal):
    """In the store's PostgreSQL schema, over a connection of its own."""

    poll_interval = 1.0  # NOTIFY wakes watchers; polling only covers a lost listener

    def __init__(self, storage: PostgresCheckpointStorage) -> None:
        import psycopg
        from psycopg import sql

        self.missing_table = psycopg.errors.UndefinedTable
        self._storage = storage
        self._sql = sql
        self._names = {
            name: sql.Identifier(storage.schema, name)
            for name in ("executions", "events", "answers")
        } | {
            "executions_run": sql.Identifier("executions_run"),
            "journal_changes": sql.Identifier(storage.schema, "journal_changes"),
            "journal_changes_execution": sql.Identifier("journal_changes_execution"),
            "journal_changes_run": sql.Identifier("journal_changes_run"),
            "serial": sql.SQL("BIGSERIAL PRIMARY KEY"),
        }
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._created = False

    async def _connection_open(self) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(
                self._storage.dsn, autocommit=True, application_name="wftui:journal"
            )
        return self._connection

    def _query(self, query: str) -> Any:
        return self._sql.SQL(query).format(**self._names)

    async def _run(self, query: str, params: Sequence[Any] = (), *, many: bool = False) -> None:
        async with self._lock:
            connection = await self._connection_open()
            if many:
                async with connection.transaction(), connection.cursor() as cursor:
                    await cursor.executemany(self._query(query), params)
            else:
                await connection.execute(self._query(query), params)

    async def _fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._lock:
            connection = await self._connection_open()
            cursor = await connection.execute(self._query(query), params)
            rows: list[tuple[Any, ...]] = await cursor.fetchall()
            return rows

    async def _create(self) -> None:
        if self._created:
            return
        # The store makes its schema under its own lock first; the journal's tables follow.
        await self._storage.list_summaries(limit=1)
        async with self._lock:
            connection = await self._connection_open()
            async with connection.transaction():
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    [f"wftui-journal:{self._storage.schema}"],
                )
                for statement in (*_TABLES, *CHANGE_TABLES):
                    await connection.execute(self._query(statement))
        self._created = True

    async def _write(self, steps: Sequence[Step]) -> list[int]:
        from wftui.checkpoint.sql.postgres import CHANNEL

        changed = []
        async with self._lock:
            connection = await self._connection_open()
            async with connection.transaction():
                # Changes take their seq one transaction at a time, so seq order is commit
                # order: a watcher reading on from the last seq it saw skips none.
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    [f"wftui-journal-changes:{self._storage.schema}"],
                )
                for query, params, many in steps:
                    async with connection.cursor() as cursor:
                        if many:
                            await cursor.executemany(self._query(query), params)
                        else:
                            await cursor.execute(self._query(query), params)
                        changed.append(max(cursor.rowcount, 0))
                # The store's own channel: its LISTEN connections wake journal watchers too.
                await connection.execute(
                    "SELECT pg_notify(%s, %s)", [CHANNEL, self._storage.schema]
                )
        return changed

    def _wake(self) -> AbstractAsyncContextManager[WaitForChange]:
        """The store's LISTEN connection (NOTIFY wakes it), polling only if that is lost."""
        return self._storage._change_signal()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
