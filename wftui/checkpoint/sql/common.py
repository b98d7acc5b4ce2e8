"""What the SQL stores share: the row layout and the storage logic.

A checkpoint is one row: the document exactly as the serializer wrote it (so it moves between
stores unchanged), plus columns copied from it when it is saved. Listings, summaries, newest-N
and per-run queries read only the columns and their indexes; documents are parsed only to load
checkpoints. A backend supplies a few primitive queries; everything else lives here once.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Self

import orjson
from pydantic import ValidationError

from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.changefeed import read_on
from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER, CheckpointSerializer
from wftui.checkpoint.sql.cassettes import SqlCassettes

# The summary columns, in the order rows carry them; ``document`` follows them in the table.
SUMMARY_COLUMNS = (
    "checkpoint_id",
    "workflow_id",
    "workflow_name",
    "parent_checkpoint_id",
    "timestamp",
    "iteration_count",
    "status",
    "pending_message_count",
    "next_executor_ids",
    "pending_request_ids",
    "graph_signature",
    "size_bytes",
    "execution_kind",
)
SummaryRow = Sequence[Any]
DocumentRow = tuple[str, bytes]  # checkpoint id, document
WaitForChange = Callable[[float], Awaitable[None]]

_WATCH_BATCH = 500
_LATEST_BATCH = 8


def summary_values(checkpoint: WorkflowCheckpoint, size: int) -> tuple[Any, ...]:
    """The summary columns of a checkpoint about to be saved, in ``SUMMARY_COLUMNS`` order."""
    summary = checkpoint.summary(size)
    return (
        summary.checkpoint_id,
        summary.workflow_id,
        summary.workflow_name,
        summary.parent_checkpoint_id,
        summary.timestamp,
        summary.iteration_count,
        summary.status.value,
        summary.pending_message_count,
        orjson.dumps(summary.next_executor_ids).decode(),
        orjson.dumps(summary.pending_request_ids).decode(),
        summary.graph_signature,
        summary.size_bytes,
        summary.execution_kind,
    )


def summary_from_row(row: SummaryRow) -> CheckpointSummary:
    """A summary built from the columns; ``CheckpointDecodingError`` if they were tampered with."""
    values = dict(zip(SUMMARY_COLUMNS, row, strict=True))
    try:
        values["next_executor_ids"] = orjson.loads(values["next_executor_ids"])
        values["pending_request_ids"] = orjson.loads(values["pending_request_ids"])
        return CheckpointSummary.model_validate(values)
    except (orjson.JSONDecodeError, TypeError, ValidationError) as error:
        raise CheckpointDecodingError(f"unreadable summary columns: {one_line(error)}") from None


def deleting(checkpoint_ids: Sequence[str]) -> str:
    """What a failed delete was doing, for its error message."""
    if len(checkpoint_ids) == 1:
        return f"delete checkpoint {checkpoint_ids[0]}"
    return f"delete {len(checkpoint_ids)} checkpoints"


def one_line(error: BaseException) -> str:
    """An error's message on one line (libpq and pydantic messages span several)."""
    return re.sub(r"\s+", " ", str(error)).strip() or type(error).__name__


# Shared SQL, for both dialects: ``{checkpoints}``/``{changes}`` are the (qualified) table names
# and ``%s`` the parameter marker (SQLite's module turns it into ``?``).
_COLUMNS = ", ".join(SUMMARY_COLUMNS)
_NEWEST = "ORDER BY timestamp DESC, checkpoint_id DESC"
_OLDEST = "ORDER BY timestamp, checkpoint_id"
UPSERT_SQL = (
    f"INSERT INTO {{checkpoints}} ({_COLUMNS}, document) VALUES "
    f"({', '.join(['%s'] * (len(SUMMARY_COLUMNS) + 1))}) ON CONFLICT (checkpoint_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in (*SUMMARY_COLUMNS[1:], "document"))
)
DOCUMENT_SQL = "SELECT document FROM {checkpoints} WHERE checkpoint_id = %s"
CHANGES_SQL = "SELECT seq, checkpoint_id, workflow_id, kind FROM {changes} WHERE seq > %s ORDER BY seq LIMIT %s"


def _where_run(workflow_id: str | None) -> tuple[str, list[Any]]:
    return ("WHERE workflow_id = %s", [workflow_id]) if workflow_id is not None else ("", [])


def ids_query(workflow_id: str | None) -> tuple[str, list[Any]]:
    where, params = _where_run(workflow_id)
    return f"SELECT checkpoint_id FROM {{checkpoints}} {where} {_OLDEST}", params


def summaries_query(workflow_id: str | None, limit: int | None) -> tuple[str, list[Any]]:
    """Newest first: a backward range scan of the (run,) time index, stopping after ``limit``."""
    where, params = _where_run(workflow_id)
    text = f"SELECT {_COLUMNS} FROM {{checkpoints}} {where} {_NEWEST}"
    if limit is not None:
        text += " LIMIT %s"
        params.append(limit)
    return text, params


def documents_query(workflow_id: str | None) -> tuple[str, list[Any]]:
    where, params = _where_run(workflow_id)
    return f"SELECT checkpoint_id, document FROM {{checkpoints}} {where} {_OLDEST}", params


def newest_documents_query(
    workflow_id: str | None, before: tuple[str, str] | None, limit: int
) -> tuple[str, list[Any]]:
    """The newest documents older than ``before`` (timestamp, id): keyset paging for get_latest."""
    conditions, params = [], []
    if workflow_id is not None:
        conditions.append("workflow_id = %s")
        params.append(workflow_id)
    if before is not None:
        conditions.append("(timestamp < %s OR (timestamp = %s AND checkpoint_id < %s))")
        params += [before[0], before[0], before[1]]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    text = (
        f"SELECT checkpoint_id, timestamp, document FROM {{checkpoints}} {where} {_NEWEST} LIMIT %s"
    )
    return text, [*params, limit]


class SqlCheckpointStorage(SqlCassettes, ABC):
    """The ``CheckpointStorage`` logic (and the run cassettes) over a backend's primitive queries."""

    poll_interval = 0.05  # seconds between change polls when nothing wakes a watcher sooner

    def __init__(self, serializer: CheckpointSerializer | None) -> None:
        self.serializer: CheckpointSerializer = serializer or DEFAULT_SERIALIZER
        self._problems: list[ListingProblem] = []

    # ----- what a backend provides -----

    @abstractmethod
    async def _save(self, values: tuple[Any, ...], document: bytes) -> None:
        """Upsert the row and append a ``saved`` change, in one transaction."""

    @abstractmethod
    async def _delete(self, checkpoint_ids: Sequence[str]) -> int:
        """Delete the rows and append a ``deleted`` change for each, in one transaction."""

    # ``_fetch`` (a read query) and ``_write`` (statements in one transaction) come from
    # ``SqlCassettes``, which shares them.

    @abstractmethod
    def _change_signal(self) -> AbstractAsyncContextManager[WaitForChange]:
        """While entered: a function that returns once a change may have happened (or time passed)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the storage must not be used afterwards."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ----- the protocol -----

    @property
    def problems(self) -> list[ListingProblem]:
        """Rows the last listing skipped, with the reason."""
        return list(self._problems)

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        checkpoint_id = validate_checkpoint_id(checkpoint.checkpoint_id)
        document = self.serializer.dumps(checkpoint, encoded)
        await self._save(summary_values(checkpoint, len(document)), document)
        return checkpoint_id

    async def save_document(self, data: bytes) -> str:
        """Store a document verbatim under the id it holds, once it parses."""
        parsed = self.serializer.parse(data)
        checkpoint_id = validate_checkpoint_id(parsed.checkpoint_id)
        await self._save(summary_values(parsed, len(data)), data)
        return checkpoint_id

    async def load_document(self, checkpoint_id: str) -> bytes | None:
        rows = await self._fetch((DOCUMENT_SQL, [validate_checkpoint_id(checkpoint_id)]))
        return bytes(rows[0][0]) if rows else None

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        document = await self.load_document(checkpoint_id)
        return None if document is None else self._decode(checkpoint_id, document)

    async def load_with_fragments(self, checkpoint_id: str) -> LoadedCheckpoint | None:
        document = await self.load_document(checkpoint_id)
        if document is None:
            return None
        parsed = self._parse(checkpoint_id, document)
        try:
            return self.serializer.decode_with_fragments(parsed)
        except CheckpointDecodingError as error:
            raise CheckpointDecodingError(f"checkpoint {checkpoint_id}: {error}") from None

    async def delete_checkpoint(self, checkpoint_id: str) -> bool:
        return await self._delete([validate_checkpoint_id(checkpoint_id)]) == 1

    async def delete_checkpoints(self, checkpoint_ids: Sequence[str]) -> int:
        """Many in one transaction (pruning thousands stays one round trip)."""
        valid = list(dict.fromkeys(validate_checkpoint_id(each) for each in checkpoint_ids))
        return await self._delete(valid) if valid else 0

    async def list_checkpoint_ids(self, workflow_id: str | None = None) -> list[str]:
        """Oldest first."""
        return [row[0] for row in await self._fetch(ids_query(workflow_id))]

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        """Newest first, from the columns alone; rows with tampered columns are reported."""
        if limit is not None and limit <= 0:
            return []
        summaries, problems = [], []
        for row in await self._fetch(summaries_query(workflow_id, limit)):
            try:
                summaries.append(summary_from_row(row))
            except CheckpointDecodingError as error:
                problems.append(ListingProblem(path=str(row[0]), reason=str(error)))
        self._problems = problems
        return summaries

    async def list_checkpoints(self, workflow_id: str | None = None) -> list[WorkflowCheckpoint]:
        """Oldest first; corrupt documents and ones naming unregistered types are reported."""
        rows = await self._fetch(documents_query(workflow_id))
        checkpoints, self._problems = await asyncio.to_thread(self._decode_all, rows)
        return checkpoints

    async def get_latest(self, workflow_id: str | None = None) -> WorkflowCheckpoint | None:
        """The newest checkpoint that decodes; newer corrupt ones are skipped and reported."""
        problems: list[ListingProblem] = []
        before: tuple[str, str] | None = None
        try:
            while True:
                query = newest_documents_query(workflow_id, before, _LATEST_BATCH)
                rows = await self._fetch(query)
                for checkpoint_id, timestamp, document in rows:
                    try:
                        return self._decode(checkpoint_id, bytes(document))
                    except CheckpointDecodingError as error:
                        problems.append(ListingProblem(path=checkpoint_id, reason=str(error)))
                    before = (timestamp, checkpoint_id)
                if len(rows) < _LATEST_BATCH:
                    return None
        finally:
            self._problems = problems

    async def watch(self, after_seq: int = 0) -> AsyncGenerator[Change, None]:
        """Every change after ``after_seq``, in commit order, then each new one as it commits.

        Resume after a reconnect (or a restart) from the last ``seq`` seen: nothing is missed,
        since the sequence, not a clock, orders changes.
        """
        async with self._change_signal() as wait:
            changes = read_on(
                self._changes_after, wait, self.poll_interval, after_seq, _WATCH_BATCH
            )
            async for change in changes:
                yield change

    async def last_seq(self) -> int:
        """The newest change's seq: a watcher that has listed the store starts after it."""
        rows = await self._fetch(("SELECT MAX(seq) FROM {changes}", []))
        return int(rows[0][0] or 0) if rows else 0

    async def _changes_after(self, seq: int) -> list[Change]:
        return [Change(*row) for row in await self._fetch((CHANGES_SQL, [seq, _WATCH_BATCH]))]

    # ----- documents -----

    def _parse(self, checkpoint_id: str, document: bytes) -> WorkflowCheckpoint:
        try:
            raw = self.serializer.parse(document)
        except CheckpointDecodingError as error:
            raise CheckpointDecodingError(f"checkpoint {checkpoint_id}: {error}") from None
        if raw.checkpoint_id != checkpoint_id:
            raise CheckpointDecodingError(
                f"checkpoint {checkpoint_id}: the row holds checkpoint {raw.checkpoint_id!r}, "
                f"not {checkpoint_id!r}"
            )
        return raw

    def _decode(self, checkpoint_id: str, document: bytes) -> WorkflowCheckpoint:
        raw = self._parse(checkpoint_id, document)
        try:
            return self.serializer.decode(raw)
        except CheckpointDecodingError as error:
            raise CheckpointDecodingError(f"checkpoint {checkpoint_id}: {error}") from None

    def _decode_all(
        self, rows: list[tuple[Any, ...]]
    ) -> tuple[list[WorkflowCheckpoint], list[ListingProblem]]:
        checkpoints, problems = [], []
        for checkpoint_id, document in rows:
            try:
                checkpoints.append(self._decode(checkpoint_id, bytes(document)))
            except CheckpointDecodingError as error:
                problems.append(ListingProblem(path=checkpoint_id, reason=str(error)))
        return checkpoints, problems
