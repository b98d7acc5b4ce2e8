"""Checkpoints as one readable JSON file each, written atomically and durably.

Layout of the folder:

- ``<checkpoint_id>.json``: the checkpoints, the only truth.
- ``.<checkpoint_id>.json.<random>.tmp``: a save in progress (or interrupted by a crash).
- ``.wftui-summaries.jsonl``: one summary object per save, appended.
- ``.wftui-index.jsonl``: one short row per save, appended:
  ``[file name, timestamp, workflow id, file size, file mtime_ns, summary offset, summary length]``,
  after a first line holding the rows of the last compaction column by column (columns of
  strings and numbers parse several times faster than as many small rows).

The two ``.wftui-*`` files are a cache that makes listing 10,000 checkpoints cheap: all rows parse
in a couple of milliseconds, and only the summaries shown are read.
Every listing reconciles the cache with the folder: rows whose file is gone are dropped, files
without a row (a crash between rename and append, a lost index, a copied-in file) are parsed and
added, and a file whose size or mtime differ from its row is parsed again before it is shown, so a
corrupt file is never reported as valid. Losing or damaging the cache costs time, never data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import Iterable, KeysView
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any

import aiofiles
import orjson
from pydantic import ValidationError

from wftui.checkpoint.codec import checkpoint_to_json, decode_checkpoint, parse_checkpoint
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.storage import (
    CheckpointDecodingError,
    CheckpointError,
    validate_checkpoint_id,
)

INDEX_NAME = ".wftui-index.jsonl"
SUMMARIES_NAME = ".wftui-summaries.jsonl"
_INTERNAL_PREFIX = ".wftui-"
_SUFFIX = ".json"
_TEMP_SUFFIX = ".tmp"
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}\.json")

# Positions in an index row.
_NAME, _TS, _WF, _SIZE, _MTIME, _OFFSET, _LENGTH = range(7)
_ROW_LENGTH = 7
_ORDER = itemgetter(_TS, _NAME)
_PLACE = itemgetter(_TS, _WF)  # what decides whether a row is listed, and where
_MAX_SUMMARY = 1 << 20

_SNAPSHOT_PREFIX = b'{"snapshot":'
_MIN_APPENDED = 256  # rows appended after the snapshot before a listing compacts them into it

Row = tuple[Any, ...]
Checked = tuple[WorkflowCheckpoint, int, int]  # structure-validated checkpoint, size, mtime_ns
Entry = tuple[str, CheckpointSummary, int, int]  # file name, summary, size, mtime_ns


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _append(path: str, data: bytes) -> int:
    """Append in one write; returns the offset the data starts at (other writers may append)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_all(fd, data)
        return os.lseek(fd, 0, os.SEEK_CUR) - len(data)
    finally:
        os.close(fd)


def _replace(path: str, data: bytes) -> None:
    """Replace a cache file whole (no fsync: the cache is rebuilt from the checkpoints if lost)."""
    temp = f"{path}.{os.urandom(4).hex()}{_TEMP_SUFFIX}"
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


def _strings(values: list[Any]) -> bool:
    return set(map(type, values)) <= {str}


def _well_formed(rows: list[Any]) -> bool:
    """Cheap whole-batch check of what sorting and set operations rely on."""
    return (
        set(map(type, rows)) <= {list}
        and set(map(len, rows)) <= {_ROW_LENGTH}
        and _strings(list(map(itemgetter(_NAME), rows)))
        and _strings(list(map(itemgetter(_TS), rows)))
    )


def _parse_rows(chunk: bytes) -> tuple[list[Row], bool]:
    """Rows of complete index lines, and whether some lines had to be skipped."""
    with contextlib.suppress(orjson.JSONDecodeError):
        rows = orjson.loads(b"[" + chunk[:-1].replace(b"\n", b",") + b"]")
        if _well_formed(rows):
            return list(map(tuple, rows)), False
    good = []
    for line in chunk.splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            row = orjson.loads(line)
            if _well_formed([row]):
                good.append(tuple(row))
    return good, True


def _parse_snapshot(line: bytes) -> list[list[Any]] | None:
    try:
        columns = orjson.loads(line)["snapshot"]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None
    if (
        type(columns) is not list
        or len(columns) != _ROW_LENGTH
        or set(map(type, columns)) != {list}
        or len(set(map(len, columns))) != 1
        or not _strings(columns[_NAME])
        or not _strings(columns[_TS])
    ):
        return None
    return columns


def _complete(row: Row) -> bool:
    """Every field of a row has its type (sizes and offsets are only checked when compacting)."""
    return len(row) == _ROW_LENGTH and all(
        type(value) is kind
        for value, kind in zip(row, (str, str, str, int, int, int, int), strict=True)
    )


def _summary_lines(entries: list[Entry]) -> list[bytes]:
    return [orjson.dumps(summary.model_dump(mode="json")) + b"\n" for _, summary, _, _ in entries]


def _rows_for(entries: list[Entry], lines: list[bytes], offset: int) -> list[Row]:
    """Index rows for ``entries`` whose summary lines start at ``offset``."""
    rows = []
    for (name, summary, size, mtime), line in zip(entries, lines, strict=True):
        rows.append((name, summary.timestamp, summary.workflow_id, size, mtime, offset, len(line)))
        offset += len(line)
    return rows


def _index_lines(rows: list[Row]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def _pread_all(fd: int, start: int, end: int) -> bytes:
    chunks = []
    while start < end:
        chunk = os.pread(fd, end - start, start)
        if not chunk:
            break
        chunks.append(chunk)
        start += len(chunk)
    return b"".join(chunks)


class _Summaries:
    """Reads summary lines by offset: one pread each, or the whole file when reading many."""

    def __init__(self, path: str, whole: bool) -> None:
        self._path = path
        self._whole = whole
        self._data: bytes | None = None
        self._fd: int | None = None

    def __enter__(self) -> _Summaries:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def read(self, offset: Any, length: Any) -> bytes:
        if type(offset) is not int or type(length) is not int:
            return b""
        if offset < 0 or not 0 < length <= _MAX_SUMMARY:
            return b""
        try:
            if self._whole:
                if self._data is None:
                    with open(self._path, "rb") as handle:
                        self._data = handle.read()
                return self._data[offset : offset + length]
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDONLY)
            return os.pread(self._fd, length, offset)
        except OSError:
            return b""


class _Rows:
    """The index in memory: one list per row field, and where each file's latest row is.

    Kept column by column as the snapshot line is written, so loading 10,000 rows makes no
    per-row objects, and ranking needs only the timestamp column; row tuples are built for the
    few rows a listing looks at.
    """

    def __init__(self) -> None:
        self._columns: list[list[Any]] = [[] for _ in range(_ROW_LENGTH)]
        self._at: dict[str, int] = {}
        self.merged = 0  # rows added, live or not

    def __len__(self) -> int:
        return len(self._at)

    def names(self) -> KeysView[str]:
        return self._at.keys()

    def _row(self, position: int) -> Row:
        return tuple(column[position] for column in self._columns)

    def row(self, name: str) -> Row | None:
        position = self._at.get(name)
        return None if position is None else self._row(position)

    def discard(self, name: str) -> None:
        self._at.pop(name, None)

    def add_columns(self, columns: list[list[Any]]) -> None:
        start = len(self._columns[_NAME])
        for column, more in zip(self._columns, columns, strict=True):
            column.extend(more)
        names = columns[_NAME]
        self._at.update(zip(names, range(start, start + len(names)), strict=True))
        self.merged += len(names)

    def add(self, rows: list[Row]) -> None:
        self.add_columns([list(map(itemgetter(field), rows)) for field in range(_ROW_LENGTH)])

    def live(self) -> list[Row]:
        positions = list(self._at.values())
        columns = [list(map(column.__getitem__, positions)) for column in self._columns]
        return list(zip(*columns, strict=True))

    def newest(self, workflow_id: str | None, limit: int) -> list[Row]:
        """The ``limit`` newest rows, newest first (index order is nearly time order: cheap)."""
        if limit <= 0:
            return []
        positions: Iterable[int] = self._at.values()
        if workflow_id is not None:
            workflows = self._columns[_WF]
            positions = [i for i in positions if workflows[i] == workflow_id]
        best = sorted(positions, key=self._columns[_TS].__getitem__)[-limit:]
        return sorted(map(self._row, best), key=_ORDER, reverse=True)


class FileCheckpointStorage:
    """A ``CheckpointStorage`` keeping one JSON file per checkpoint in ``storage_path``.

    A save is one worker-thread hop: temp file, write, fsync, rename, fsync of the folder (so
    the rename itself survives a power cut), then the cache rows. Listings also run in one hop.
    """

    def __init__(self, storage_path: str | Path) -> None:
        self.storage_path = Path(storage_path)
        self.storage_path.mkdir(parents=True, exist_ok=True)
        self._dir = os.fspath(self.storage_path)
        self._index_path = os.path.join(self._dir, INDEX_NAME)
        self._summaries_path = os.path.join(self._dir, SUMMARIES_NAME)
        self._lock = threading.Lock()  # guards the cache below; saves do not need it
        self._rows = _Rows()
        self._index_identity: tuple[int, int] | None = None
        self._index_read = 0  # bytes of the index merged into _rows
        self._appended = 0  # of which after the snapshot line
        self._index_damaged = False
        self._summary_cache: dict[str, tuple[Row, CheckpointSummary]] = {}
        self._bad: dict[str, tuple[int, int, str]] = {}  # name -> size, mtime_ns, reason
        self._problems: list[ListingProblem] = []

    @property
    def problems(self) -> list[ListingProblem]:
        """Files the last listing skipped, with the reason."""
        return list(self._problems)

    def _path(self, checkpoint_id: str) -> str:
        return os.path.join(self._dir, validate_checkpoint_id(checkpoint_id) + _SUFFIX)

    # ----- saving -----

    async def save_checkpoint(self, checkpoint: WorkflowCheckpoint) -> str:
        path = self._path(checkpoint.checkpoint_id)
        data = checkpoint_to_json(checkpoint)
        await asyncio.to_thread(self._write, path, data, checkpoint.summary(len(data)))
        return checkpoint.checkpoint_id

    def _write(self, path: str, data: bytes, summary: CheckpointSummary) -> None:
        name = os.path.basename(path)
        temp = os.path.join(self._dir, f".{name}.{os.urandom(4).hex()}{_TEMP_SUFFIX}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                _write_all(fd, data)
                os.fsync(fd)
                stat = os.fstat(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
            directory = os.open(self._dir, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise CheckpointError(
                f"cannot save checkpoint {summary.checkpoint_id} to {self._dir}: "
                f"{error.strerror or error}"
            ) from error
        self._append_entries([(name, summary, stat.st_size, stat.st_mtime_ns)])

    def _append_entries(self, entries: list[Entry]) -> list[Row]:
        """Add cache rows for files already written; without a writable cache, rows point nowhere."""
        lines = _summary_lines(entries)
        try:
            rows = _rows_for(entries, lines, _append(self._summaries_path, b"".join(lines)))
            _append(self._index_path, _index_lines(rows))
        except OSError:
            rows = _rows_for(entries, lines, -1)
        return rows

    # ----- loading and deleting -----

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        path = self._path(checkpoint_id)
        try:
            async with aiofiles.open(path, "rb") as handle:
                data = await handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CheckpointError(
                f"cannot read checkpoint {checkpoint_id}: {error.strerror}"
            ) from error
        try:
            raw = parse_checkpoint(data)
            _check_identity(raw, checkpoint_id)
            return decode_checkpoint(raw)
        except CheckpointDecodingError as error:
            raise CheckpointDecodingError(f"checkpoint {checkpoint_id} ({path}): {error}") from None

    async def delete_checkpoint(self, checkpoint_id: str) -> bool:
        return await asyncio.to_thread(self._delete, self._path(checkpoint_id))

    def _delete(self, path: str) -> bool:
        name = os.path.basename(path)
        with self._lock:
            self._rows.discard(name)
            self._summary_cache.pop(name, None)
            self._bad.pop(name, None)
            try:
                os.unlink(path)
            except FileNotFoundError:
                return False
            return True

    # ----- listing -----

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        return await asyncio.to_thread(self._list_summaries, workflow_id, limit)

    async def list_checkpoint_ids(self, workflow_id: str | None = None) -> list[str]:
        return await asyncio.to_thread(self._list_ids, workflow_id)

    async def list_checkpoints(self, workflow_id: str | None = None) -> list[WorkflowCheckpoint]:
        """Oldest first; unreadable files and checkpoints naming unregistered types are reported."""
        return await asyncio.to_thread(self._list_checkpoints, workflow_id)

    async def get_latest(self, workflow_id: str | None = None) -> WorkflowCheckpoint | None:
        return await asyncio.to_thread(self._latest, workflow_id)

    def _list_summaries(
        self, workflow_id: str | None, limit: int | None
    ) -> list[CheckpointSummary]:
        with self._lock:
            self._scan()
            with _Summaries(self._summaries_path, whole=limit is None) as reader:
                if limit is None:
                    found = self._all_summaries(workflow_id, reader)
                else:
                    found = self._newest_summaries(workflow_id, limit, reader)
            return [summary.model_copy() for summary in found]

    def _list_ids(self, workflow_id: str | None) -> list[str]:
        with self._lock:
            self._scan()
            return [row[_NAME][: -len(_SUFFIX)] for row in self._current_rows(workflow_id)]

    def _list_checkpoints(self, workflow_id: str | None) -> list[WorkflowCheckpoint]:
        with self._lock:
            self._scan()
            raws = []
            for row in self._current_rows(workflow_id):
                checked = self._check_file(row[_NAME])
                if checked is not None:
                    raws.append(checked[0])
        checkpoints, problems = [], []
        for raw in sorted(raws, key=lambda cp: (cp.timestamp, cp.checkpoint_id)):
            try:
                checkpoints.append(decode_checkpoint(raw))
            except CheckpointDecodingError as error:
                path = os.path.join(self._dir, raw.checkpoint_id + _SUFFIX)
                problems.append(ListingProblem(path=path, reason=str(error)))
        self._problems.extend(problems)
        return checkpoints

    def _latest(self, workflow_id: str | None) -> WorkflowCheckpoint | None:
        """Read the newest candidate whole; skip it only if it is corrupt (and say so)."""
        with self._lock:
            self._scan()
            while True:
                newest = self._rows.newest(workflow_id, 1)
                if not newest:
                    return None
                row = newest[0]
                name = row[_NAME]
                checked = self._check_file(name) if _FILE_NAME.fullmatch(name) else None
                if checked is None:
                    self._rows.discard(name)
                    continue
                raw, size, mtime = checked
                if (raw.timestamp, raw.workflow_id, size, mtime) != row[_TS : _MTIME + 1]:
                    self._adopt([(name, raw.summary(size), size, mtime)])  # changed: choose again
                    continue
                break
        return decode_checkpoint(raw)

    # ----- the cache -----

    def _problem(self, name: str, reason: str) -> None:
        self._problems.append(ListingProblem(path=os.path.join(self._dir, name), reason=reason))

    def _scan(self) -> None:
        """Reconcile the cache with the folder: drop rows of gone files, add unindexed files."""
        self._problems = []
        names = set(os.listdir(self._dir))
        self._read_index()
        for gone in self._rows.names() - names:
            self._rows.discard(gone)
            self._summary_cache.pop(gone, None)
        for gone in self._bad.keys() - names:
            del self._bad[gone]
        unindexed = []
        for name in sorted(names.difference(self._rows.names())):
            if name.startswith(_INTERNAL_PREFIX):
                continue
            if name.startswith(".") and name.endswith(_TEMP_SUFFIX):
                self._problem(name, "temporary file of an unfinished or interrupted save; ignored")
            elif _FILE_NAME.fullmatch(name):
                unindexed.append(name)
            elif name.endswith(_SUFFIX):
                self._problem(name, "not a checkpoint: the file name is not a checkpoint id")
        entries = []
        for name in unindexed:
            checked = self._check_file(name)
            if checked is not None:
                raw, size, mtime = checked
                entries.append((name, raw.summary(size), size, mtime))
        if entries:
            self._adopt(entries)
        live = len(self._rows)
        if (
            self._index_damaged
            or self._appended > max(_MIN_APPENDED, live // 8)
            or self._rows.merged > 2 * live + _MIN_APPENDED
        ):
            self._compact()

    def _read_index(self) -> None:
        """Merge rows appended since the last read; start over if the index was replaced."""
        try:
            fd = os.open(self._index_path, os.O_RDONLY)
        except FileNotFoundError:
            self._reset_index(None)
            return
        try:
            stat = os.fstat(fd)
            identity = (stat.st_dev, stat.st_ino)
            if identity != self._index_identity or stat.st_size < self._index_read:
                self._reset_index(identity)
            chunk = _pread_all(fd, self._index_read, stat.st_size)
        finally:
            os.close(fd)
        end = chunk.rfind(b"\n") + 1  # a line still being appended waits for the next read
        if end == 0:
            return
        chunk = chunk[:end]
        if self._index_read == 0 and chunk.startswith(_SNAPSHOT_PREFIX):
            line, _, chunk = chunk.partition(b"\n")
            snapshot = _parse_snapshot(line)
            if snapshot is None:
                self._index_damaged = True
            else:
                self._rows.add_columns(snapshot)
        self._index_read += end
        if chunk:
            rows, damaged = _parse_rows(chunk)
            self._index_damaged |= damaged
            self._appended += len(rows)
            self._rows.add(rows)

    def _reset_index(self, identity: tuple[int, int] | None) -> None:
        self._rows = _Rows()
        self._index_identity = identity
        self._index_read = 0
        self._appended = 0
        self._index_damaged = False

    def _adopt(self, entries: list[Entry]) -> None:
        rows = self._append_entries(entries)
        self._rows.add(rows)
        for row, (name, summary, _, _) in zip(rows, entries, strict=True):
            self._summary_cache[name] = (row, summary)
            self._bad.pop(name, None)

    def _compact(self) -> None:
        """Rewrite the index as one snapshot line of the live rows, oldest first.

        The summaries file is rewritten too once most of it belongs to deleted or re-saved
        checkpoints. Rows that do not check out are left out; their files are unindexed then,
        and the next listing reads them again.
        """
        rows = sorted(filter(_complete, self._rows.live()), key=_ORDER)
        try:
            size = os.stat(self._summaries_path).st_size
            if size > 2 * sum(map(itemgetter(_LENGTH), rows)) + (1 << 20):
                rows = self._rewrite_summaries(rows)
            columns = [list(column) for column in zip(*rows, strict=True)] if rows else []
            data = orjson.dumps({"snapshot": columns or [[]] * _ROW_LENGTH}) + b"\n"
            _replace(self._index_path, data)
            stat = os.stat(self._index_path)
        except OSError:
            return  # a read-only folder: keep using the cache as it is
        self._reset_index((stat.st_dev, stat.st_ino))
        self._index_read = len(data)
        self._rows.add(rows)

    def _rewrite_summaries(self, rows: list[Row]) -> list[Row]:
        with open(self._summaries_path, "rb") as handle:
            data = handle.read()
        lines, kept = [], []
        offset = 0
        for row in rows:
            line = data[row[_OFFSET] : row[_OFFSET] + row[_LENGTH]]
            if line.startswith(b'{"checkpoint_id":"' + row[_NAME][: -len(_SUFFIX)].encode()):
                lines.append(line)
                kept.append((*row[:_OFFSET], offset, len(line)))
                offset += len(line)
        _replace(self._summaries_path, b"".join(lines))
        return kept

    def _check_file(self, name: str) -> Checked | None:
        """Parse a checkpoint file's structure (not its values); record why if it is unusable."""
        path = os.path.join(self._dir, name)
        try:
            stat = os.stat(path)
            known = self._bad.get(name)
            if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
                self._problem(name, known[2])
                return None
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            self._problem(name, f"cannot read: {error.strerror or error}")
            return None
        try:
            raw = parse_checkpoint(data)
            _check_identity(raw, name[: -len(_SUFFIX)])
        except CheckpointDecodingError as error:
            self._bad[name] = (stat.st_size, stat.st_mtime_ns, str(error))
            self._problem(name, str(error))
            return None
        return raw, len(data), stat.st_mtime_ns

    def _verify(self, row: Row) -> Row | None:
        """The row if its file is unchanged since indexed; re-read (or dropped) if not."""
        name = row[_NAME]
        if _FILE_NAME.fullmatch(name) is None:
            self._rows.discard(name)
            return None
        try:
            stat = os.stat(os.path.join(self._dir, name))
        except OSError:
            self._rows.discard(name)
            return None
        if stat.st_size == row[_SIZE] and stat.st_mtime_ns == row[_MTIME]:
            return row
        return self._reindex(name)

    def _reindex(self, name: str) -> Row | None:
        self._rows.discard(name)
        self._summary_cache.pop(name, None)
        checked = self._check_file(name)
        if checked is None:
            return None
        raw, size, mtime = checked
        self._adopt([(name, raw.summary(size), size, mtime)])
        return self._rows.row(name)

    def _summary(self, row: Row, reader: _Summaries) -> tuple[Row, CheckpointSummary] | None:
        """A verified row and its summary: from memory, the summaries file, or the file itself."""
        current = self._verify(row)
        if current is None:
            return None
        name = current[_NAME]
        cached = self._summary_cache.get(name)
        if cached is not None and cached[0] == current:
            return current, cached[1]
        try:
            summary = CheckpointSummary.model_validate_json(
                reader.read(current[_OFFSET], current[_LENGTH])
            )
        except ValidationError:
            summary = None
        if (
            summary is None
            or summary.checkpoint_id + _SUFFIX != name
            or summary.size_bytes != current[_SIZE]
        ):
            current = self._reindex(name)
            if current is None:
                return None
            return current, self._summary_cache[name][1]
        self._summary_cache[name] = (current, summary)
        return current, summary

    def _current_rows(self, workflow_id: str | None) -> list[Row]:
        """Every row whose file is unchanged (or re-read), oldest first."""
        current = []
        for row in self._rows.live():
            checked = self._verify(row)
            if checked is not None and (workflow_id is None or checked[_WF] == workflow_id):
                current.append(checked)
        current.sort(key=_ORDER)
        return current

    def _all_summaries(
        self, workflow_id: str | None, reader: _Summaries
    ) -> list[CheckpointSummary]:
        found = []
        for row in self._rows.live():
            checked = self._summary(row, reader)
            if checked is not None and (workflow_id is None or checked[0][_WF] == workflow_id):
                found.append(checked)
        found.sort(key=lambda pair: _ORDER(pair[0]), reverse=True)
        return [summary for _, summary in found]

    def _newest_summaries(
        self, workflow_id: str | None, limit: int, reader: _Summaries
    ) -> list[CheckpointSummary]:
        """Rank by the rows, then verify only the winners; re-rank if one changed or vanished."""
        while True:
            found = []
            for row in self._rows.newest(workflow_id, limit):
                checked = self._summary(row, reader)
                if checked is None or _PLACE(checked[0]) != _PLACE(row):
                    break
                found.append(checked[1])
            else:
                return found


def _check_identity(raw: WorkflowCheckpoint, checkpoint_id: str) -> None:
    if raw.checkpoint_id != checkpoint_id:
        raise CheckpointDecodingError(
            f"the file holds checkpoint {raw.checkpoint_id!r}, not {checkpoint_id!r} "
            "(renamed or copied by hand?)"
        )
