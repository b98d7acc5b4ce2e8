"""Checkpoints in one SQLite file: embedded, nothing to start, many processes on one machine.

The standard library's ``sqlite3`` is all this needs: WAL mode lets readers run beside one
writer, ``BEGIN IMMEDIATE`` plus a busy timeout queues writers from other processes instead of
failing them, and ``synchronous=FULL`` makes each commit durable (one WAL fsync). Calls run in a
worker thread on one connection per storage object, serialized by a lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

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
from wftui.checkpoint.sql.schema import (
    INDEX_NAMES,
    SCHEMA_VERSION,
    VERSION_1_NAMES,
    cassette_statements,
    checkpoints_table,
    execution_kind_of,
    index_statements,
    newer_schema_message,
    upgrade_failed_message,
    version_1,
)

_T = TypeVar("_T")
_BUSY_TIMEOUT_S = 30.0
_LOCKED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_NAMES = {
    "checkpoints": "checkpoints",
    "changes": "changes",
    "cassettes": "cassettes",
    "cassettes_by_run": "cassettes_by_run",
    "rebuilt": "checkpoints_rebuilt",
} | {name: f"checkpoints_{name}" for name in INDEX_NAMES}
_TYPES = ("TEXT", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT")
_KIND_FUNCTION = "wftui_execution_kind"
_COPY_BATCH = 5000  # rows copied per transaction while a version-1 table is rebuilt
_BATCH_PAUSE_S = 0.02  # between batches (a waiting writer's busy handler sleeps up to 0.1 s)
# Version 2's table goes up beside version 1's (SQLite adds a column after ``document``, where
# reading it would walk each large document's overflow pages, so the table is rebuilt with the
# new column before it), copied a batch per transaction; a crash leaves it to go on from.
_REBUILT_TABLE = checkpoints_table("TEXT", "BLOB", name="{{rebuilt}}", execution_kind=True).replace(
    "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1
)
_COPIED = f"{VERSION_1_NAMES}, execution_kind, document"
_SOURCE = ", ".join(f"c.{name}" for name in VERSION_1_NAMES.split(", "))
_COPY = (
    f"INSERT INTO {{rebuilt}} ({_COPIED}) SELECT {_SOURCE}, {_KIND_FUNCTION}(c.document),"
    " c.document FROM {checkpoints} AS c"
    " WHERE c.checkpoint_id > COALESCE((SELECT MAX(checkpoint_id) FROM {rebuilt}), '')"
    f" ORDER BY c.checkpoint_id LIMIT {_COPY_BATCH}"
)
# The last step, in one transaction: what older writers changed meanwhile, then the swap.
_FINISH = [
    "DELETE FROM {rebuilt} WHERE checkpoint_id NOT IN (SELECT checkpoint_id FROM {checkpoints})",
    f"INSERT OR REPLACE INTO {{rebuilt}} ({_COPIED}) SELECT {_SOURCE},"
    f" {_KIND_FUNCTION}(c.document), c.document FROM {{checkpoints}} AS c"
    " LEFT JOIN {rebuilt} AS r ON r.checkpoint_id = c.checkpoint_id WHERE r.checkpoint_id IS NULL"
    " OR r.size_bytes != c.size_bytes OR r.timestamp != c.timestamp",
    "DROP TABLE {checkpoints}",
    "ALTER TABLE {rebuilt} RENAME TO {checkpoints}",
    *index_statements(),
    *cassette_statements(*_TYPES),
]


def _sql(template: str) -> str:
    return template.format(**_NAMES).replace("%s", "?")


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the write lock first, so it never fails half-way as busy."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def use_wal(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode (nothing to do once it is). SQLite refuses a change of journal
    mode at once with "database is locked", instead of waiting out the busy timeout as it does
    for other statements, while another connection opens the same new file (a run's store and
    its journal, or the app reading a store as its first run starts): 9 first opens in 100 failed
    so. Tried again, a little later each time, for as long as the busy timeout."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    pause = 0.001
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode not in _LOCKED or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.05)


class SqliteCheckpointStorage(SqlCheckpointStorage):
    """A ``CheckpointStorage`` in one SQLite file (created, with its folder, on first use).

    ``create=False`` is for read-only commands: a missing file or one without the tables is
    reported, never created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        serializer: CheckpointSerializer | None = None,
        create: bool = True,
    ) -> None:
        super().__init__(serializer)
        self.path = Path(path)
        self.create = create
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._statements: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"SqliteCheckpointStorage({str(self.path)!r})"

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # ----- connection and schema -----

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            if self.create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.is_file():
                raise CheckpointError(f"no SQLite store at {self.path}")
            connection = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            try:
                if self.create:  # WAL is a property of the file, set by whoever made it
                    use_wal(connection)
                connection.execute("PRAGMA synchronous=FULL")
                self._migrate(connection)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Create the store (a writer only) or bring an older one forward (any command: the
        upgrade only adds, and an old store should not need a write to be read)."""
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise CheckpointError(newer_schema_message(version))
        if version == 0 and not self.create:
            raise CheckpointError(
                "the file holds no wftui store: a command that writes checkpoints creates it"
            )
        connection.create_function(
            _KIND_FUNCTION,
            1,
            lambda document: execution_kind_of(self.serializer, document),
            deterministic=True,
        )
        finish = [*version_1(*_TYPES), _REBUILT_TABLE, *_FINISH] if version == 0 else _FINISH
        try:
            if version == 1:
                self._copy_version_1(connection)
            self._step(connection, version, [*finish, f"PRAGMA user_version = {SCHEMA_VERSION}"])
        except sqlite3.Error as error:
            if version == 0:
                raise
            raise CheckpointError(upgrade_failed_message(version, one_line(error))) from error

    def _step(
        self, connection: sqlite3.Connection, found: int, statements: list[str]
    ) -> int | None:
        """``statements`` in one write transaction if the store is still at version ``found``:
        the rows the last one changed; None when another process took the store further."""
        with _transaction(connection):
            (version,) = connection.execute("PRAGMA user_version").fetchone()  # under lock
            if version > SCHEMA_VERSION:
                raise CheckpointError(newer_schema_message(version))
            if version != found:
                return None
            changed = 0
            for statement in statements:
                changed = connection.execute(_sql(statement)).rowcount
        return changed

    def _copy_version_1(self, connection: sqlite3.Connection) -> None:
        """Copy a version-1 table into version 2's, a batch per transaction, so other
        processes wait for one batch at a time, never for the whole table."""
        copied = self._step(connection, 1, [_REBUILT_TABLE])
        while copied is not None:
            time.sleep(_BATCH_PAUSE_S)  # SQLite's lock is not fair: a waiting writer gets in
            copied = self._step(connection, 1, [_COPY])
            if copied is not None and copied < _COPY_BATCH:
                return

    def _failure(self, doing: str, reason: str) -> CheckpointError:
        return CheckpointError(f"SQLite store {self.path}: cannot {doing}: {reason}")

    def _call(self, doing: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            try:
                connection = self._connect()
            except (sqlite3.Error, OSError) as error:
                raise self._failure("open the store", one_line(error)) from error
            except CheckpointError as error:
                raise self._failure("open the store", str(error)) from None
            try:
                return work(connection)
            except sqlite3.Error as error:
                raise self._failure(doing, one_line(error)) from error

    async def _run(self, doing: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        return await asyncio.to_thread(self._call, doing, work)

    # ----- primitives -----

    async def _save(self, values: tuple[Any, ...], document: bytes) -> None:
        def save(connection: sqlite3.Connection) -> None:
            with _transaction(connection):
                connection.execute(_sql(UPSERT_SQL), (*values, document))
                connection.execute(
                    _sql(
                        "INSERT INTO {changes} (checkpoint_id, workflow_id, kind) VALUES (?, ?, ?)"
                    ),
                    (values[0], values[1], "saved"),
                )

        await self._run(f"save checkpoint {values[0]}", save)

    async def _delete(self, checkpoint_ids: Sequence[str]) -> int:
        def delete(connection: sqlite3.Connection) -> int:
            deleted = 0
            with _transaction(connection):
                for checkpoint_id in checkpoint_ids:
                    gone = connection.execute(
                        _sql(
                            "DELETE FROM {checkpoints} WHERE checkpoint_id = ? RETURNING workflow_id"
                        ),
                        (checkpoint_id,),
                    ).fetchone()
                    if gone is not None:
                        connection.execute(
                            _sql(
                                "INSERT INTO {changes} (checkpoint_id, workflow_id, kind) "
                                "VALUES (?, ?, ?)"
                            ),
                            (checkpoint_id, gone[0], "deleted"),
                        )
                        deleted += 1
            return deleted

        return await self._run(deleting(checkpoint_ids), delete)

    def _statement(self, template: str) -> str:
        statement = self._statements.get(template)
        if statement is None:
            statement = self._statements[template] = _sql(template)
        return statement

    async def _fetch(self, query: tuple[str, list[Any]]) -> list[tuple[Any, ...]]:
        template, params = query
        statement = self._statement(template)

        def fetch(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return connection.execute(statement, params).fetchall()

        return await self._run("read", fetch)

    async def _write(self, doing: str, steps: Sequence[WriteStep]) -> int:
        statements = [(self._statement(template), rows) for template, rows in steps]

        def write(connection: sqlite3.Connection) -> int:
            changed = 0
            with _transaction(connection):
                for statement, rows in statements:
                    if rows:
                        changed += connection.executemany(statement, rows).rowcount
            return changed

        return await self._run(doing, write)

    @asynccontextmanager
    async def _change_signal(self) -> AsyncIterator[WaitForChange]:
        """Polling: a query on the change sequence's key costs microseconds."""
        yield asyncio.sleep
