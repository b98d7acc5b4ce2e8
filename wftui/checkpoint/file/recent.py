"""The listing's newest rows in a small file, so a fresh process answers newest-N and
``get_latest`` without loading the whole index (at 100,000 checkpoints, listing the folder's
names alone takes 80 ms and loading the index 150 ms more).

``.wftui-newest`` holds, as a listing left them, the newest ``KEPT`` index rows of the folder and
the newest ``PER_RUN`` rows of as many runs as ``MAX_ROWS`` allows, with their bounds: for the
whole folder, for each run and for any other run, the oldest (timestamp, name) down to which
every live row is in the file (none: all of them are). With them, what made them the whole truth
then: the folder's (inode, mtime) when its names were listed, recorded only once that mtime was
older than any clock tick; the index's identity and the bytes of it merged; and what that listing
reported (names that are not checkpoints, checkpoint files without a row because they could not
be read).

A fresh process takes the file as it is while the folder's mtime and the index are unchanged.
When wftui saved or deleted since, the index has grown by the rows of those saves and by their
links (``cache.py``): each save's folder mtime before and after its own rename. If those links
lead from the recorded mtime to the folder's current one, step by step, the folder changed by
them alone and the rows appended are merged in; anything else (a name added by another program, a
changed index, a torn or hand-edited file, a link in its place) sends the listing the long way.
Each row shown is still checked against its file (size and ctime) by the listing. A process
that followed many saves writes the file again, merged, so the next one need not.

The links cannot see a name added by another program in the very clock tick of a wftui save
(the folder's mtime does not move again within a tick): a fresh newest-N misses such a file
until the next full listing, which lists the folder's names and rewrites this file.

The file is created empty with the listing cache's first rows (by a save, or by the listing that
first indexes a folder), or when the index is compacted (a store indexed before this file
existed), and only ever rewritten in place: creating or renaming a file would change the very
folder mtime it records. A checksum line in front keeps a half-written one from being trusted.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import orjson

from wftui.checkpoint.file import osio
from wftui.checkpoint.file.cache import NAME, ORDER, ROW_TYPES, TS, WF, Key, Link, Row, parse_tail

NEWEST_NAME = ".wftui-newest"  # not *.json: scripts count and delete *.json as checkpoints
KEPT = 512  # newest rows of the folder: a screenful with room
PER_RUN = 64  # newest rows of each run, as far as MAX_ROWS allows
MAX_ROWS = 2048
_MAX_WALKED = 2 * MAX_ROWS  # rows looked at: the few runs of a big store are all full by then
_MAX_BYTES = 4 << 20
_MAX_TAIL = 4 << 20  # index bytes appended since the file was written: more, the long way
_REWRITE_TAIL = 64 << 10  # followed this far (some 300 saves), the file is brought up to date

Stamp = tuple[int, int]  # the folder's inode and mtime_ns
Position = tuple[int, int, int]  # the index's device, inode and bytes merged
Bound = Key | None  # every live row at or after this key is kept; None: every live row


def _lower(a: Bound, b: Bound) -> Bound:
    """The better of two guarantees for the same rows."""
    return None if a is None or b is None else min(a, b)


def _higher(a: Bound, b: Bound) -> Bound:
    """Both guarantees at once (rows kept of rows kept)."""
    return b if a is None else a if b is None else max(a, b)


@dataclass(frozen=True)
class Bounds:
    """Down to where the kept rows are complete: for the folder, per run, for other runs."""

    folder: Bound = None
    runs: dict[str, Bound] | None = None
    other_runs: Bound = None

    def of(self, workflow_id: str | None) -> Bound:
        if workflow_id is None:
            return self.folder
        own = (self.runs or {}).get(workflow_id, self.other_runs)
        return _lower(own, self.folder)


def select(rows: Iterable[Row], bounds: Bounds = Bounds()) -> tuple[list[Row], Bounds]:
    """The rows to keep of ``rows`` (newest first, complete down to ``bounds``), and the bounds
    of what is kept: the first ``KEPT``, then up to ``PER_RUN`` of each run, ``MAX_ROWS`` in all,
    of the first ``_MAX_WALKED`` rows."""
    kept: list[Row] = []
    counts: dict[str, int] = {}
    last_kept: dict[str, Key] = {}
    full: dict[str, Key] = {}  # run -> its last row kept before one of it was left out
    folder: Bound = None
    walked: Key | None = None
    exhausted = True
    for walked_count, row in enumerate(rows):
        if len(kept) >= MAX_ROWS or walked_count >= _MAX_WALKED:
            exhausted = False
            break
        run, key = row[WF], (row[TS], row[NAME])
        walked = key
        count = counts.get(run, 0)
        if len(kept) < KEPT or count < PER_RUN:
            kept.append(row)
            counts[run] = count + 1
            last_kept[run] = key
            if len(kept) == KEPT:
                folder = key
        else:
            full.setdefault(run, last_kept[run])
    if exhausted and not full:
        return kept, bounds
    unseen: Bound = None if exhausted else walked
    runs = {run: _higher(bounds.of(run), unseen) for run in bounds.runs or {}}
    for run in counts:
        runs[run] = _higher(bounds.of(run), full.get(run, unseen))
    other_runs = _higher(_lower(bounds.other_runs, bounds.folder), unseen)
    return kept, Bounds(
        folder=_higher(bounds.folder, folder),
        runs={run: bound for run, bound in runs.items() if bound != other_runs},
        other_runs=other_runs,
    )


@dataclass(frozen=True)
class Recent:
    """What a listing knew of the folder, enough to answer the newest rows without it."""

    folder: Stamp
    index: Position
    rows: list[Row]  # newest first
    bounds: Bounds
    problems: list[tuple[str, str]]  # names that are not checkpoints, and why
    unindexed: list[str]  # checkpoint files without a row (they could not be read)
    bad: dict[str, tuple[int, int, str]]  # of those, the unparsable: size, ctime_ns, reason

    def candidates(self, workflow_id: str | None) -> tuple[list[Row], bool]:
        """The rows a newest-N of ``workflow_id`` may show, newest first, and whether they are
        all of its rows (else only the newest ones)."""
        bound = self.bounds.of(workflow_id)
        rows = [
            row
            for row in self.rows
            if (workflow_id is None or row[WF] == workflow_id)
            and (bound is None or (row[TS], row[NAME]) >= bound)
        ]
        return rows, bound is None


class FolderWitness:
    """The folder's (inode, mtime) around this process's own changes to its names, for the
    link a save or delete appends to the index (``with witness: os.replace(...)``)."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._first: Stamp | None = None
        self._last: Stamp | None = None
        self._broken = False

    def __enter__(self) -> None:
        stamp = self._stamp()
        if self._first is None:
            self._first = stamp
        elif stamp != self._last:  # a change between two of ours
            self._broken = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None:  # half done: a temp file may have come and gone
            self._broken = True
        self._last = self._stamp()

    def _stamp(self) -> Stamp | None:
        try:
            info = os.stat(self._folder)
        except OSError:
            self._broken = True
            return None
        return info.st_ino, info.st_mtime_ns

    def link(self, deleted: str | None = None) -> Link | None:
        first, last = self._first, self._last
        if self._broken or first is None or last is None or first[0] != last[0]:
            return None
        return first[0], first[1], last[1], deleted


class RecentFile:
    """Reads and writes ``.wftui-newest`` of one folder; never raises for its content."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self.path = os.path.join(folder, NEWEST_NAME)
        self._written: tuple[Stamp, Position] | None = None

    def current(self, index_path: str) -> Recent | None:
        """The file's content if the folder and the index are as it says, or changed by wftui's
        saves and deletes alone (their rows merged in); else None."""
        recent = self._read()
        if recent is None:
            return None
        try:
            folder = os.stat(self._folder)
            index = os.lstat(index_path)
        except OSError:
            return None
        if (
            folder.st_ino != recent.folder[0]
            or not stat.S_ISREG(index.st_mode)
            or (index.st_dev, index.st_ino) != recent.index[:2]
            or index.st_size < recent.index[2]
        ):
            return None
        if folder.st_mtime_ns == recent.folder[1] and index.st_size == recent.index[2]:
            return recent
        followed = _followed(recent, index_path, index.st_size, folder.st_mtime_ns)
        if followed is not None and followed.index[2] - recent.index[2] > _REWRITE_TAIL:
            rows, bounds = select(followed.rows, followed.bounds)
            followed = replace(followed, rows=rows, bounds=bounds)
            self.write(followed)  # so the next fresh process need not follow this far again
        return followed

    def create(self) -> None:
        """Create the (empty) file with the listing cache's first rows, so that listings, which
        only ever rewrite it in place, never add a name to the folder."""
        with contextlib.suppress(OSError):
            os.close(osio.open_regular(self.path, os.O_WRONLY | os.O_CREAT))

    def write(self, recent: Recent) -> None:
        """Record ``recent`` unless it is what this object last wrote; a cache: errors pass."""
        if self._written == (recent.folder, recent.index):
            return
        bounds = recent.bounds
        body = orjson.dumps(
            {
                "folder": recent.folder,
                "index": recent.index,
                "columns": [list(column) for column in zip(*recent.rows, strict=True)],
                "bounds": [bounds.folder, bounds.runs or {}, bounds.other_runs],
                "problems": recent.problems,
                "unindexed": recent.unindexed,
                "bad": recent.bad,
            }
        )
        data = b"%08x\n" % zlib.crc32(body) + body
        try:
            fd = osio.open_regular(self.path, os.O_RDWR)
        except OSError:
            return
        try:
            osio.write_all(fd, data)
            os.ftruncate(fd, len(data))
        except OSError:
            return
        finally:
            os.close(fd)
        self._written = (recent.folder, recent.index)

    def _read(self) -> Recent | None:
        try:
            fd = osio.open_regular(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            size = os.fstat(fd).st_size
            data = osio.pread_all(fd, 0, size) if size <= _MAX_BYTES else b""
        except OSError:
            return None
        finally:
            os.close(fd)
        check, _, body = data.partition(b"\n")
        if check != b"%08x" % zlib.crc32(body):
            return None
        try:
            return _recent(orjson.loads(body))
        except (orjson.JSONDecodeError, TypeError, ValueError, KeyError):
            return None


def _followed(recent: Recent, index_path: str, size: int, mtime: int) -> Recent | None:
    """``recent`` with the index rows appended since merged in, if the links appended with
    them lead from its folder mtime to ``mtime``; else None."""
    start = recent.index[2]
    if size - start > _MAX_TAIL:
        return None
    try:
        fd = osio.open_regular(index_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunk = osio.pread_all(fd, start, size)
    except OSError:
        return None
    finally:
        os.close(fd)
    chunk = chunk[: chunk.rfind(b"\n") + 1]
    entries = parse_tail(chunk) if chunk else []
    if entries is None:
        return None
    inode, at = recent.folder
    rows = {row[NAME]: row for row in recent.rows}
    unindexed = recent.unindexed
    for entry in entries:
        if len(entry) == len(ROW_TYPES):
            rows[entry[NAME]] = entry
            continue
        link_inode, before, after, deleted = entry
        if link_inode != inode or before != at:
            return None
        at = after
        if deleted is not None:
            rows.pop(deleted, None)
            unindexed = [name for name in unindexed if name != deleted]
    if at != mtime:
        return None
    unindexed = [name for name in unindexed if name not in rows]  # saved again since
    return replace(
        recent,
        folder=(inode, at),
        index=(*recent.index[:2], start + len(chunk)),
        rows=sorted(rows.values(), key=ORDER, reverse=True),
        unindexed=unindexed,
        bad={name: entry for name, entry in recent.bad.items() if name in unindexed},
    )


def _recent(content: Any) -> Recent | None:
    """The parsed file checked field by field (it may have been edited by hand); the rows are
    kept column by column, so checking 2,000 of them is a few set operations."""
    columns = content["columns"]
    problems = [tuple(pair) for pair in content["problems"] if _texts(pair, 2)]
    unindexed = content["unindexed"]
    bad = content["bad"]
    folder, index = tuple(content["folder"]), tuple(content["index"])
    bounds = _bounds(content["bounds"])
    if (
        not _columns(columns)
        or bounds is None
        or len(problems) != len(content["problems"])
        or not _texts(unindexed, len(unindexed))
        or type(bad) is not dict
        or not all(_bad_entry(entry) for entry in bad.values())
        or not _ints(folder, 2)
        or not _ints(index, 3)
    ):
        return None
    return Recent(
        folder=folder,
        index=index,
        rows=list(zip(*columns, strict=True)),
        bounds=bounds,
        problems=problems,
        unindexed=unindexed,
        bad={name: tuple(entry) for name, entry in bad.items()},
    )


def _bound(value: Any) -> tuple[bool, Bound]:
    """(whether ``value`` is a bound, the bound)."""
    if value is None:
        return True, None
    if _texts(value, 2):
        return True, (value[0], value[1])
    return False, None


def _bounds(value: Any) -> Bounds | None:
    if type(value) is not list or len(value) != 3 or type(value[1]) is not dict:
        return None
    (folder_ok, folder), (other_ok, other_runs) = _bound(value[0]), _bound(value[2])
    runs = {}
    for run, bound in value[1].items():
        ok, runs[run] = _bound(bound)
        if not ok:
            return None
    if not (folder_ok and other_ok):
        return None
    return Bounds(folder=folder, runs=runs, other_runs=other_runs)


def _columns(columns: Any) -> bool:
    """Seven columns of one length, each of its row field's type (none at all: no rows)."""
    if columns == []:
        return True
    return (
        type(columns) is list
        and len(columns) == len(ROW_TYPES)
        and all(type(column) is list for column in columns)
        and len(set(map(len, columns))) == 1
        and all(
            set(map(type, column)) == {kind}
            for column, kind in zip(columns, ROW_TYPES, strict=True)
        )
    )


def _texts(value: Any, length: int) -> bool:
    return type(value) is list and len(value) == length and all(type(v) is str for v in value)


def _ints(value: tuple[Any, ...], length: int) -> bool:
    return len(value) == length and all(type(v) is int for v in value)


def _bad_entry(entry: Any) -> bool:
    return (
        type(entry) is list
        and len(entry) == 3
        and type(entry[0]) is int
        and type(entry[1]) is int
        and type(entry[2]) is str
    )
