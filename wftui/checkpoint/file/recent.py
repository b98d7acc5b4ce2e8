"""The listing's newest rows in a small file, so a fresh process answers newest-N and
``get_latest`` without loading the whole index (at 100,000 checkpoints, listing the folder's
names alone takes 80 ms and loading the index 150 ms more).

``.wftui-newest`` holds the newest ``KEPT`` index rows as a listing left them, with what
made them the whole truth then: the folder's (inode, mtime) when its names were listed, recorded
only once that mtime was older than any clock tick; the index's identity and the bytes of it
merged; and what that listing reported (names that are not checkpoints, checkpoint files without
a row because they could not be read). While the folder's mtime and the index are unchanged, no
name was added or removed and no row appended, so those rows are still the newest; each row
shown is still checked against its file (size and ctime) by the listing. Anything else (a
changed folder, a torn or hand-edited file, a link in its place) sends the listing the long way.

The file is created empty with the listing cache's first rows (by a save, or by the listing that
first indexes a folder), or when the index is compacted (a store indexed before this file
existed), and only ever rewritten in place: creating or renaming a file would
change the very folder mtime it records. A checksum line in front keeps a half-written one from
being trusted.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from wftui.checkpoint.file import osio
from wftui.checkpoint.file.cache import ROW_TYPES, Row

NEWEST_NAME = ".wftui-newest"  # not *.json: scripts count and delete *.json as checkpoints
KEPT = 512  # rows: a screenful of newest with room for a filter by run
_MAX_BYTES = 4 << 20

Stamp = tuple[int, int]  # the folder's inode and mtime_ns
Position = tuple[int, int, int]  # the index's device, inode and bytes merged


@dataclass(frozen=True)
class Recent:
    """What a listing knew of the folder, enough to answer the newest rows without it."""

    folder: Stamp
    index: Position
    rows: list[Row]  # newest first
    complete: bool  # every live row is in ``rows``
    problems: list[tuple[str, str]]  # names that are not checkpoints, and why
    unindexed: list[str]  # checkpoint files without a row (they could not be read)
    bad: dict[str, tuple[int, int, str]]  # of those, the unparsable: size, ctime_ns, reason


class RecentFile:
    """Reads and writes ``.wftui-newest`` of one folder; never raises for its content."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self.path = os.path.join(folder, NEWEST_NAME)
        self._written: tuple[Stamp, Position] | None = None

    def current(self, index_path: str) -> Recent | None:
        """The file's content if the folder and the index are as it says, else None."""
        recent = self._read()
        if recent is None:
            return None
        try:
            folder = os.stat(self._folder)
            index = os.lstat(index_path)
        except OSError:
            return None
        if (
            (folder.st_ino, folder.st_mtime_ns) != recent.folder
            or not stat.S_ISREG(index.st_mode)
            or (index.st_dev, index.st_ino, index.st_size) != recent.index
        ):
            return None
        return recent

    def create(self) -> None:
        """Create the (empty) file with the listing cache's first rows, so that listings, which
        only ever rewrite it in place, never add a name to the folder."""
        with contextlib.suppress(OSError):
            os.close(osio.open_regular(self.path, os.O_WRONLY | os.O_CREAT))

    def write(self, recent: Recent) -> None:
        """Record ``recent`` unless it is what this object last wrote; a cache: errors pass."""
        if self._written == (recent.folder, recent.index):
            return
        body = orjson.dumps(
            {
                "folder": recent.folder,
                "index": recent.index,
                "columns": [list(column) for column in zip(*recent.rows, strict=True)],
                "complete": recent.complete,
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


def _recent(content: Any) -> Recent | None:
    """The parsed file checked field by field (it may have been edited by hand); the rows are
    kept column by column, so checking 512 of them is a few set operations."""
    columns = content["columns"]
    problems = [tuple(pair) for pair in content["problems"] if _texts(pair, 2)]
    unindexed = content["unindexed"]
    bad = content["bad"]
    folder, index = tuple(content["folder"]), tuple(content["index"])
    if (
        not _columns(columns)
        or len(problems) != len(content["problems"])
        or not _texts(unindexed, len(unindexed))
        or type(bad) is not dict
        or not all(_bad_entry(entry) for entry in bad.values())
        or not _ints(folder, 2)
        or not _ints(index, 3)
        or type(content["complete"]) is not bool
    ):
        return None
    return Recent(
        folder=folder,
        index=index,
        rows=list(zip(*columns, strict=True)),
        complete=content["complete"],
        problems=problems,
        unindexed=unindexed,
        bad={name: tuple(entry) for name, entry in bad.items()},
    )


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
