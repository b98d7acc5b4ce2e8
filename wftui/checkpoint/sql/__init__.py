"""SQL checkpoint stores: SQLite for one machine, PostgreSQL for many.

``PostgresCheckpointStorage`` is imported on first use, so psycopg loads only for a Postgres store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wftui.checkpoint.sql.sqlite import SqliteCheckpointStorage

if TYPE_CHECKING:
    from wftui.checkpoint.sql.postgres import PostgresCheckpointStorage

__all__ = ["PostgresCheckpointStorage", "SqliteCheckpointStorage"]


def __getattr__(name: str) -> Any:
    if name == "PostgresCheckpointStorage":
        from wftui.checkpoint.sql.postgres import PostgresCheckpointStorage

        return PostgresCheckpointStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
