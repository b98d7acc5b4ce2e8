"""The folder's listing cache: an index of short rows and a file of summaries, both appended.

- ``.wftui-summaries.jsonl``: one summary object per save.
- ``.wftui-index.jsonl``: one row per save,
  ``[file name, timestamp, workflow id, file size, file ctime_ns, summary offset, summary length]``,
  after a first line holding the rows of the last compaction column by column (columns of
  strings and numbers parse several times faster than as many small rows). A save or delete
  by wftui also appends a link, ``{"folder": [inode, mtime_ns before, mtime_ns after]}`` (with
  ``"deleted": file name`` for a delete): what its own change did to the folder's mtime, so a
  fresh process can tell that the folder changed by these saves alone (``recent.py``).

The cache is never the truth: the storage compares each row's size and ctime with the file before
trusting it (a chmod, a rewrite or a byte flip with a restored mtime all change the ctime), and
losing or damaging the cache costs time, never data. Neither file is followed if it is a link.
"""

from __future__ import annotations

import contextlib
import os
from array import array
from collections.abc import Iterator, KeysView
from itertools import pairwise
from operator import itemgetter
from types import TracebackType
from typing import Any

import orjson

from wftui.checkpoint.file import osio
from wftui.checkpoint.model import CheckpointSummary

INDEX_NAME = ".wftui-index.jsonl"
SUMMARIES_NAME = ".wftui-summaries.jsonl"

# Positions in an index row.
NAME, TS, WF, SIZE, CHANGED, OFFSET, LENGTH = range(7)
_ROW_LENGTH = 7
ROW_TYPES = (str, str, str, int, int, int, int)
_TEXTS = (NAME, TS, WF)
_NUMBERS = (SIZE, CHANGED, OFFSET, LENGTH)
_INT64 = range(-(1 << 63), 1 << 63)
ORDER = itemgetter(TS, NAME)
PLACE = itemgetter(TS, WF)  # what decides whether a row is listed, and where
_MAX_SUMMARY = 1 << 20

_SNAPSHOT_PREFIX = b'{"snapshot":'
_CHECKED_BATCH = 64  # rows added at once that are checked for time order, not re-sorted
_MIN_APPENDED = 256  # rows appended after the snapshot before a listing compacts them into it
_PIECE = 256 << 10  # bytes of index rows parsed at once

Row = tuple[Any, ...]
Entry = tuple[str, CheckpointSummary, int, int]  # file name, summary, size, ctime_ns
Link = tuple[int, int, int, str | None]  # folder inode, mtime_ns before, after; name deleted
Key = tuple[str, str]  # a row's place in time order: (timestamp, file name)


def _strings(values: list[Any]) -> bool:
    return set(map(type, values)) <= {str}


def _well_formed(rows: list[Any]) -> bool:
    """Cheap whole-batch check of what sorting and set operations rely on."""
    return (
        set(map(type, rows)) <= {list}
        and set(map(len, rows)) <= {_ROW_LENGTH}
        and all(_strings(list(map(itemgetter(field), rows))) for field in _TEXTS)
    )


def _link(entry: Any) -> Link | None:
    """A link line's content, if it is one and checks out."""
    if type(entry) is not dict:
        return None
    stamps, deleted = entry.get("folder"), entry.get("deleted")
    if (
        type(stamps) is not list
        or len(stamps) != 3
        or set(map(type, stamps)) != {int}
        or (deleted is not None and type(deleted) is not str)
    ):
        return None
    return stamps[0], stamps[1], stamps[2], deleted


def link_line(link: Link) -> bytes:
    inode, before, after, deleted = link
    entry: dict[str, Any] = {"folder": [inode, before, after]}
    if deleted is not None:
        entry["deleted"] = deleted
    return orjson.dumps(entry) + b"\n"


def _parse_rows(chunk: bytes) -> tuple[list[Row], bool]:
    """Rows of complete index lines (links left out), and whether some lines had to be
    skipped."""
    with contextlib.suppress(orjson.JSONDecodeError):
        rows = orjson.loads(b"[" + chunk[:-1].replace(b"\n", b",") + b"]")
        if _well_formed(rows):
            return list(map(tuple, rows)), False
        if set(map(type, rows)) == {list, dict}:  # the links: read by recent.py alone
            rows = [row for row in rows if type(row) is list]
            if _well_formed(rows):
                return list(map(tuple, rows)), False
    good = []
    damaged = False
    for line in chunk.splitlines():
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            damaged = True
            continue
        if _well_formed([row]):
            good.append(tuple(row))
        elif _link(row) is None:
            damaged = True
    return good, damaged


def _pieces(chunk: bytes) -> Iterator[bytes]:
    """Whole lines of ``chunk``, ``_PIECE`` bytes or so at a time: 50,000 rows parsed at once
    were 20 MB of short-lived objects, and the memory stayed with the process."""
    start = 0
    while start < len(chunk):
        end = chunk.find(b"\n", start + _PIECE) + 1 or len(chunk)
        yield chunk[start:end]
        start = end


def parse_tail(chunk: bytes) -> list[Row | Link] | None:
    """Rows and links of complete index lines in their order (a link as a ``Link``, a row as a
    tuple of 7), or None if any line does not check out."""
    try:
        entries = orjson.loads(b"[" + chunk[:-1].replace(b"\n", b",") + b"]")
    except orjson.JSONDecodeError:
        return None
    found: list[Row | Link] = []
    for entry in entries:
        if type(entry) is list:
            row = tuple(entry)
            if not _complete(row):
                return None
            found.append(row)
        else:
            link = _link(entry)
            if link is None:
                return None
            found.append(link)
    return found


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
        or not all(_strings(columns[field]) for field in _TEXTS)
    ):
        return None
    return columns


def _complete(row: Row) -> bool:
    """Every field of a row has its type, its numbers 64-bit (sizes and offsets are checked
    against the files when used)."""
    return (
        len(row) == _ROW_LENGTH
        and all(type(value) is kind for value, kind in zip(row, ROW_TYPES, strict=True))
        and all(row[field] in _INT64 for field in _NUMBERS)
    )


def _summary_lines(entries: list[Entry]) -> list[bytes]:
    return [orjson.dumps(summary.model_dump(mode="json")) + b"\n" for _, summary, _, _ in entries]


def _rows_for(entries: list[Entry], lines: list[bytes], offset: int) -> list[Row]:
    """Index rows for ``entries`` whose summary lines start at ``offset``."""
    rows = []
    for (name, summary, size, changed), line in zip(entries, lines, strict=True):
        rows.append(
            (name, summary.timestamp, summary.workflow_id, size, changed, offset, len(line))
        )
        offset += len(line)
    return rows


def _index_lines(rows: list[Row]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


class SummaryReader:
    """Reads summary lines by offset: one pread each, or (``read_many``) one pread for a batch
    of lines that lie close together, as a folder's saves append them. (The whole file read at
    once was 20 MB at 50,000 checkpoints, and freeing a block that big raises glibc's threshold
    for mapping blocks, so later big ones stay in the heap and the app's memory with them.)"""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    def __enter__(self) -> SummaryReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def _open(self) -> int:
        if self._fd is None:
            self._fd = osio.open_regular(self._path, os.O_RDONLY)
        return self._fd

    def read(self, offset: Any, length: Any) -> bytes:
        if not _readable(offset, length):
            return b""
        try:
            return os.pread(self._open(), length, offset)
        except OSError:
            return b""

    def read_many(self, spans: list[tuple[Any, Any]]) -> list[bytes]:
        """The lines at ``spans`` (offset, length); one read if they are close together."""
        valid = [(offset, length) for offset, length in spans if _readable(offset, length)]
        if not valid:
            return [b""] * len(spans)
        start = min(offset for offset, _ in valid)
        end = max(offset + length for offset, length in valid)
        if end - start > 2 * sum(length for _, length in valid) + _PIECE:
            return [self.read(offset, length) for offset, length in spans]
        try:
            data = osio.pread_all(self._open(), start, end)
        except OSError:
            return [b""] * len(spans)
        return [
            data[offset - start : offset - start + length] if _readable(offset, length) else b""
            for offset, length in spans
        ]


def _readable(offset: Any, length: Any) -> bool:
    """Whether a row's offset and length can be read at all (checked again by the line)."""
    return (
        type(offset) is int and type(length) is int and offset >= 0 and 0 < length <= _MAX_SUMMARY
    )


class Rows:
    """The index in memory: one list per row field, and where each file's latest row is.

    Kept column by column as the snapshot line is written, so loading 10,000 rows makes no
    per-row objects, and ranking needs only the timestamp column; row tuples are built for the
    few rows a listing looks at.
    """

    def __init__(self) -> None:
        # Strings in lists; the four numbers in arrays of 64-bit integers, 8 bytes each where
        # an int object and its slot took 36-40 (at 50,000 rows: 6 MB less).
        self._columns: list[Any] = [[] if kind is str else array("q") for kind in ROW_TYPES]
        self._at: dict[str, int] = {}
        self._runs: dict[str, str] = {}
        self.merged = 0  # rows added, live or not
        # Positions (live or not) in (timestamp, name) order, so the newest N cost O(N); kept
        # by appending, as saves arrive in time order, and sorted again only when one does not.
        self._order = array("q")
        self._ordered = True

    def __len__(self) -> int:
        return len(self._at)

    def names(self) -> KeysView[str]:
        return self._at.keys()

    def _row(self, position: int) -> Row:
        name, ts, run, size, changed, offset, length = self._columns
        p = position
        return name[p], ts[p], run[p], size[p], changed[p], offset[p], length[p]

    def row(self, name: str) -> Row | None:
        position = self._at.get(name)
        return None if position is None else self._row(position)

    def discard(self, name: str) -> None:
        self._at.pop(name, None)

    def add_columns(self, columns: list[list[Any]]) -> None:
        """Add rows column by column; ``ValueError`` (nothing added) if a number is not a
        64-bit integer."""
        try:
            numbers = [array("q", columns[field]) for field in _NUMBERS]
        except (TypeError, OverflowError) as error:
            raise ValueError(f"not an index row: {error}") from None
        start = len(self._columns[NAME])
        for field in _TEXTS:
            self._columns[field].extend(columns[field])
        for field, more in zip(_NUMBERS, numbers, strict=True):
            self._columns[field].extend(more)
        runs = columns[WF]  # a few runs named thousands of times: one string each
        self._columns[WF][start:] = map(self._runs.setdefault, runs, runs)
        names = columns[NAME]
        positions = range(start, start + len(names))
        self._at.update(zip(names, positions, strict=True))
        self.merged += len(names)
        if self._ordered and len(names) <= _CHECKED_BATCH:  # a save's rows: still in order?
            keys = [self._key(self._order[-1])] if self._order else []
            keys += zip(columns[TS], names, strict=True)
            if all(a <= b for a, b in pairwise(keys)):
                self._order.extend(positions)
                return
        self._ordered = False  # sorted again when next asked (a loaded index: at once)

    def _key(self, position: int) -> tuple[str, str]:
        return self._columns[TS][position], self._columns[NAME][position]

    def add(self, rows: list[Row]) -> None:
        self.add_columns([list(map(itemgetter(field), rows)) for field in range(_ROW_LENGTH)])

    def live(self) -> list[Row]:
        """Every live row, in no order."""
        positions = list(self._at.values())
        columns = [list(map(column.__getitem__, positions)) for column in self._columns]
        return list(zip(*columns, strict=True))

    def newest_positions(self) -> list[int]:
        """Where the live rows are, newest first (from the kept time order): a full listing
        reads their fields from ``column`` without making a row tuple each."""
        self._sort()
        at, names = self._at, self._columns[NAME]
        return [p for p in reversed(self._order) if at.get(names[p]) == p]

    def column(self, field: int) -> Any:
        """One field of every row by position (live or not); rows added later extend it."""
        return self._columns[field]

    def row_at(self, position: int) -> Row:
        return self._row(position)

    def _sort(self) -> None:
        if not self._ordered:  # by name, then (stable) by time: two cheap passes, not tuples
            order = sorted(range(len(self._columns[NAME])), key=self._columns[NAME].__getitem__)
            order.sort(key=self._columns[TS].__getitem__)
            self._order = array("q", order)
            self._ordered = True

    def newest(self, workflow_id: str | None, limit: int) -> list[Row]:
        """The ``limit`` newest live rows, newest first: a walk back along the time order."""
        found: list[Row] = []
        if limit <= 0:
            return found
        for row in self.walk_newest(workflow_id):
            found.append(row)
            if len(found) >= limit:
                break
        return found

    def walk_newest(self, workflow_id: str | None = None) -> Iterator[Row]:
        """The live rows, newest first, as far as the caller reads."""
        self._sort()
        names, workflows, at = self._columns[NAME], self._columns[WF], self._at
        for position in reversed(self._order):
            if at.get(names[position]) == position and (
                workflow_id is None or workflows[position] == workflow_id
            ):
                yield self._row(position)


class IndexCache:
    """The two cache files of one folder, and the rows merged from them so far."""

    def __init__(self, folder: str) -> None:
        self.index_path = os.path.join(folder, INDEX_NAME)
        self.summaries_path = os.path.join(folder, SUMMARIES_NAME)
        self.rows = Rows()
        self._identity: tuple[int, int] | None = None
        self._read = 0  # bytes of the index merged into rows
        self._appended = 0  # of which after the snapshot line
        self._damaged = False
        self.unsafe: dict[str, str] = {}  # cache file -> why it was not used, for the listing

    def append(self, entries: list[Entry], link: Link | None = None) -> list[Row]:
        """Add cache rows for files already written (and the link of the saves that wrote
        them); without a writable cache, rows point nowhere."""
        lines = _summary_lines(entries)
        try:
            rows = _rows_for(entries, lines, osio.append(self.summaries_path, b"".join(lines)))
            tail = b"" if link is None else link_line(link)
            osio.append(self.index_path, _index_lines(rows) + tail)
        except osio.UnsafeFileError as error:
            self.unsafe[os.path.basename(error.filename or "")] = error.strerror or ""
            rows = _rows_for(entries, lines, -1)
        except OSError:
            rows = _rows_for(entries, lines, -1)
        return rows

    def append_link(self, link: Link) -> None:
        """Note a change of the folder's names that adds no row (a delete); a cache: errors
        pass (the next fresh listing takes the long way then)."""
        if os.path.lexists(self.index_path):  # never create the index for this
            with contextlib.suppress(OSError):
                osio.append(self.index_path, link_line(link))

    @property
    def position(self) -> tuple[int, int, int] | None:
        """The index's device, inode and the bytes of it merged so far (None: not in use)."""
        return None if self._identity is None else (*self._identity, self._read)

    def read(self) -> None:
        """Merge rows appended since the last read; start over if the index was replaced."""
        self.unsafe = {}
        for path in (self.index_path, self.summaries_path):
            kind = osio.irregular(path)
            if kind is not None:
                self.unsafe[os.path.basename(path)] = f"{kind}; not used"
        try:
            fd = osio.open_regular(self.index_path, os.O_RDONLY)
        except (FileNotFoundError, osio.UnsafeFileError):
            self._reset(None)
            return
        try:
            stat = os.fstat(fd)
            identity = (stat.st_dev, stat.st_ino)
            if identity != self._identity or stat.st_size < self._read:
                self._reset(identity)
            chunk = osio.pread_all(fd, self._read, stat.st_size)
        finally:
            os.close(fd)
        end = chunk.rfind(b"\n") + 1  # a line still being appended waits for the next read
        if end == 0:
            return
        chunk = chunk[:end]
        if self._read == 0 and chunk.startswith(_SNAPSHOT_PREFIX):
            line, _, chunk = chunk.partition(b"\n")
            snapshot = _parse_snapshot(line)
            try:
                if snapshot is None:
                    raise ValueError("not a snapshot")
                self.rows.add_columns(snapshot)
            except ValueError:
                self._damaged = True
        self._read += end
        for piece in _pieces(chunk):
            rows, damaged = _parse_rows(piece)
            try:
                self.rows.add(rows)
            except ValueError:
                rows, damaged = list(filter(_complete, rows)), True
                self.rows.add(rows)
            self._damaged |= damaged
            self._appended += len(rows)

    def _reset(self, identity: tuple[int, int] | None) -> None:
        self.rows = Rows()
        self._identity = identity
        self._read = 0
        self._appended = 0
        self._damaged = False

    def wants_compaction(self) -> bool:
        live = len(self.rows)
        return (
            self._damaged
            or self._appended > max(_MIN_APPENDED, live // 8)
            or self.rows.merged > 2 * live + _MIN_APPENDED
        )

    def compact(self) -> None:
        """Rewrite the index as one snapshot line of the live rows, oldest first.

        The summaries file is rewritten too once most of it belongs to deleted or re-saved
        checkpoints. Rows that do not check out are left out; their files are unindexed then,
        and the next listing reads them again.
        """
        rows = self.rows.live()  # texts checked when read, numbers 64-bit in their arrays
        rows.sort(key=ORDER)
        try:
            size = os.lstat(self.summaries_path).st_size
            if size > 2 * sum(map(itemgetter(LENGTH), rows)) + (1 << 20):
                rows = self._rewrite_summaries(rows)
            columns = [list(column) for column in zip(*rows, strict=True)] if rows else []
            data = orjson.dumps({"snapshot": columns or [[]] * _ROW_LENGTH}) + b"\n"
            osio.replace(self.index_path, data)
            stat = os.lstat(self.index_path)
        except OSError:
            return  # a read-only folder: keep using the cache as it is
        self._reset((stat.st_dev, stat.st_ino))
        self._read = len(data)
        self.rows.add(rows)

    def _rewrite_summaries(self, rows: list[Row]) -> list[Row]:
        fd = osio.open_regular(self.summaries_path, os.O_RDONLY)
        try:
            data = osio.pread_all(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        lines, kept = [], []
        offset = 0
        for row in rows:
            line = data[row[OFFSET] : row[OFFSET] + row[LENGTH]]
            if line.startswith(b'{"checkpoint_id":"' + row[NAME][: -len(".json")].encode()):
                lines.append(line)
                kept.append((*row[:OFFSET], offset, len(line)))
                offset += len(line)
        osio.replace(self.summaries_path, b"".join(lines))
        return kept
