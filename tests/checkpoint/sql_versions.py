"""Stores as an older wftui left them, for the migration tests and the upgrade benchmark.

Version 1 is built from ``schema.version_1``, which stays exactly as version 1 was released.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable
from typing import Any

from psycopg import sql

from tests.postgres_support import admin
from wftui.checkpoint import JsonCheckpointSerializer, WorkflowCheckpoint
from wftui.checkpoint.sql.common import summary_values
from wftui.checkpoint.sql.schema import INDEX_NAMES, version_1

Row = tuple[Any, ...]


def version_1_row(checkpoint: WorkflowCheckpoint) -> Row:
    """A row as version 1 wrote it: its summary columns (no execution kind), then the document."""
    document = JsonCheckpointSerializer().dumps(checkpoint)
    return (*summary_values(checkpoint, len(document))[:-1], document)


def make_version_1(kind: str, target: str, rows: Iterable[Row]) -> None:
    """The tables, indexes and version mark of a version-1 store (``kind`` sqlite or postgresql,
    ``target`` its file or URL), holding ``rows``."""
    remaining = iter(rows)
    first = next(remaining)
    every = itertools.chain([first], remaining)
    inserts = "INSERT INTO {checkpoints} VALUES (" + ", ".join(["%s"] * len(first)) + ")"
    if kind == "sqlite":
        names = {"checkpoints": "checkpoints", "changes": "changes"} | {
            name: f"checkpoints_{name}" for name in INDEX_NAMES
        }
        with sqlite3.connect(target) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in version_1("TEXT", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"):
                connection.execute(statement.format(**names))
            connection.executemany(inserts.format(**names).replace("%s", "?"), every)
            connection.execute("PRAGMA user_version = 1")
        return
    url, _, schema = target.rpartition("?schema=")
    identifiers = {
        "checkpoints": sql.Identifier(schema, "checkpoints"),
        "changes": sql.Identifier(schema, "changes"),
    } | {name: sql.Identifier(f"checkpoints_{name}") for name in INDEX_NAMES}
    with admin(url) as connection, connection.transaction():
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for statement in version_1('text COLLATE "C"', "bytea", "BIGSERIAL PRIMARY KEY"):
            connection.execute(sql.SQL(statement).format(**identifiers))
        version = sql.Identifier(schema, "schema_version")
        connection.execute(sql.SQL("CREATE TABLE {} (version integer NOT NULL)").format(version))
        connection.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(version))
        with connection.cursor() as cursor:
            cursor.executemany(sql.SQL(inserts).format(**identifiers), every)
