"""SQL checkpoint stores: SQLite for one machine, PostgreSQL for many."""

from wftui.checkpoint.sql.common import Change, DocumentSerializer
from wftui.checkpoint.sql.postgres import PostgresCheckpointStorage
from wftui.checkpoint.sql.sqlite import SqliteCheckpointStorage

__all__ = ["Change", "DocumentSerializer", "PostgresCheckpointStorage", "SqliteCheckpointStorage"]
