"""The SQL stores' schema, version by version, in words both dialects share.

A store records its schema version (SQLite: ``PRAGMA user_version``; PostgreSQL: a
``schema_version`` table). A writer migrates an older store forward, one version at a time, under
a lock; a store newer than this code is refused untouched. Version 1 stays exactly as it was
released, so a version-1 store always meets the migrations written for it.

- 1: ``checkpoints`` (summary columns, then the document verbatim) and ``changes`` (the watch
  sequence, with tombstones).
- 2: ``checkpoints.execution_kind`` (run, resume, fork, step...: what a browser marks a branch
  with, filled in from each existing document), and ``cassettes`` (a run's recorded model
  answers, one row per line, in the order recorded). Neither dialect holds its lock for the
  whole table: SQLite copies it in batches before a short swap, PostgreSQL fills the kinds in
  batches after its schema change committed.
"""

from __future__ import annotations

import orjson

from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.model import execution_kind_in
from wftui.checkpoint.serializer import CheckpointSerializer

SCHEMA_VERSION = 2
INDEX_NAMES = ("by_time", "by_run", "by_superstep", "by_parent", "by_status")

# The summary columns of version 1, in table order.
_VERSION_1_COLUMNS = (
    "checkpoint_id {text} PRIMARY KEY",
    "workflow_id {text} NOT NULL",
    "workflow_name {text} NOT NULL",
    "parent_checkpoint_id {text}",
    "timestamp {text} NOT NULL",
    "iteration_count INTEGER NOT NULL",
    "status {text} NOT NULL",
    "pending_message_count INTEGER NOT NULL",
    "next_executor_ids {text} NOT NULL",
    "pending_request_ids {text} NOT NULL",
    "graph_signature {text} NOT NULL",
    "size_bytes BIGINT NOT NULL",
)
EXECUTION_KIND_COLUMN = "execution_kind {text} NOT NULL DEFAULT ''"
VERSION_1_NAMES = ", ".join(column.split()[0] for column in _VERSION_1_COLUMNS)


def checkpoints_table(text: str, blob: str, *, name: str, execution_kind: bool) -> str:
    """``CREATE TABLE`` for the checkpoints, ``document`` last, so that reading the summary
    columns never touches the (overflow or TOAST) pages that hold large documents."""
    columns = [*_VERSION_1_COLUMNS, *([EXECUTION_KIND_COLUMN] if execution_kind else [])]
    body = ",\n    ".join([*columns, "document {blob} NOT NULL"])
    return f"CREATE TABLE {name} (\n    {body}\n)".format(text=text, blob=blob)


def index_statements() -> list[str]:
    """The checkpoint indexes (``{by_time}``... and ``{checkpoints}`` filled in by the dialect)."""
    return [
        "CREATE INDEX {by_time} ON {checkpoints} (timestamp, checkpoint_id)",
        "CREATE INDEX {by_run} ON {checkpoints} (workflow_id, timestamp, checkpoint_id)",
        "CREATE INDEX {by_superstep} ON {checkpoints} (workflow_id, iteration_count)",
        "CREATE INDEX {by_parent} ON {checkpoints} (parent_checkpoint_id)",
        "CREATE INDEX {by_status} ON {checkpoints} (status, timestamp)",
    ]


def version_1(text: str, blob: str, serial_key: str) -> list[str]:
    """Schema version 1, from nothing."""
    return [
        checkpoints_table(text, blob, name="{{checkpoints}}", execution_kind=False),
        *index_statements(),
        f"""CREATE TABLE {{changes}} (
            seq {serial_key},
            checkpoint_id {text} NOT NULL,
            workflow_id {text} NOT NULL,
            kind {text} NOT NULL CHECK (kind IN ('saved', 'deleted'))
        )""",
    ]


def cassette_statements(text: str, blob: str, serial_key: str) -> list[str]:
    """Version 2's ``cassettes``: lines of a run's cassette; ``seq`` keeps the recorded order."""
    return [
        f"""CREATE TABLE {{cassettes}} (
            seq {serial_key},
            run_id {text} NOT NULL,
            line {blob} NOT NULL
        )""",
        "CREATE INDEX {cassettes_by_run} ON {cassettes} (run_id, seq)",
    ]


def execution_kind_of(serializer: CheckpointSerializer, document: bytes) -> str:
    """The execution kind a stored document records ("" when it records none, or is unreadable:
    a migration fills a column, it never fails on one bad row).

    Only the metadata is read when the document is plain JSON (ten times faster than a full
    parse, which matters to a migration of a million rows); otherwise the serializer parses it.
    The checkpoint model decides what the metadata says, as it does for every summary.
    """
    try:
        fields = orjson.loads(document)
    except orjson.JSONDecodeError:
        try:
            return serializer.parse(bytes(document)).summary().execution_kind
        except CheckpointDecodingError:
            return ""
    return execution_kind_in(fields.get("metadata") if isinstance(fields, dict) else None)


def newer_schema_message(found: int) -> str:
    return (
        f"its schema version {found} is newer than this wftui knows ({SCHEMA_VERSION}): "
        "upgrade wftui to use it (nothing was changed)"
    )


def upgrade_failed_message(found: int, reason: str) -> str:
    return (
        f"its schema version {found} is older than this wftui's ({SCHEMA_VERSION}) and "
        f"upgrading it failed: {reason} (nothing was changed)"
    )
