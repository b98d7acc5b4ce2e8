"""The file journal's change sequence: one shared log, ``journal/.changes.log``, that every
writing process appends a line to (under ``flock``) after each journal write.

A change's ``seq`` is where its line ends, counted in bytes of the whole history, so the
sequence grows with the log, needs no counter, and a watcher resumes by reading on from the last
seq it saw. Each line is ``[execution_id, run, kind]`` in JSON. A line torn by a crash is
skipped (the next writer ends it). Watchers poll the log's size: one ``stat`` per look when
nothing changed.

The log is bounded: once it passes ``max_bytes`` the writer that crossed the line rewrites it
with only its newest half, and a prune empties it. The rewritten log starts with a header line,
``{"floor": N}``: the seq where the kept lines begin, so kept lines keep their seqs and new ones
go on above them. A watcher that resumes below the floor missed changes that are gone; it gets
a ``reset`` change (read the journal again) instead of silence.

Limit: a process that writes the journal without this module (an older wftui) records no
changes, so watchers see its executions only through ``executions()``.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path

import orjson

from wftui.journal.model import ChangeKind, JournalChange

LOG_NAME = ".changes.log"  # not ``*.jsonl``: listing executions must not read it
POLL_SECONDS = 0.05
MAX_BYTES = 1 << 20  # about 12,000 changes; past it the newest half is kept
_KINDS = frozenset(("begun", "entries", "beat", "ended", "answer"))
_TAIL = 1 << 16  # bytes read back to find the last whole line
_HEADER_MOST = 64  # a header line is shorter than this
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _header(descriptor: int) -> tuple[int, int]:
    """The log's floor (the seq its first kept line starts at) and its header's length in bytes;
    (0, 0) for a log never compacted."""
    start = os.pread(descriptor, _HEADER_MOST, 0)
    end = start.find(b"\n")
    if not start.startswith(b"{") or end < 0:
        return 0, 0
    try:
        floor = orjson.loads(start[:end])["floor"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return 0, 0
    return (floor, end + 1) if isinstance(floor, int) and floor >= 0 else (0, 0)


class _HeldLog:
    """A change log this process keeps open, and where its own last line ended (the last byte
    is then known to end a line)."""

    __slots__ = ("descriptor", "end")

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.end = -1


# The change logs this process wrote to lately, kept open: an open, a stat and a close per
# change were most of what a journal write cost. Used under ``_held_lock`` only: ``flock``
# does not keep apart two threads that share a descriptor.
_HELD_MOST = 8
_held: OrderedDict[str, _HeldLog] = OrderedDict()
_held_lock = threading.Lock()


def _forget_in_child() -> None:
    """After ``fork``: the parent's descriptors share its locks, so the child opens its own."""
    global _held_lock
    _held_lock = threading.Lock()
    for held in _held.values():
        os.close(held.descriptor)
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class ChangeLog:
    """Appends to, compacts and reads the change log of one journal folder."""

    def __init__(self, folder: Path, *, max_bytes: int = MAX_BYTES) -> None:
        self.path = folder / LOG_NAME
        self.max_bytes = max_bytes
        self._key = os.path.abspath(self.path)

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | _NOFOLLOW
        try:
            return os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the journal folder's first change
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, flags, 0o644)

    def _locked(self) -> tuple[_HeldLog, int]:
        """The log held open, under its lock (``_held_lock`` held), and its size. A log
        compacted (renamed over) or removed since has no link left: it is opened again, so no
        line lands in a file nobody reads."""
        while True:
            held = _held.get(self._key)
            if held is None:
                held = _held[self._key] = _HeldLog(self._open())
                if len(_held) > _HELD_MOST:
                    os.close(_held.popitem(last=False)[1].descriptor)
            else:
                _held.move_to_end(self._key)
            fcntl.flock(held.descriptor, fcntl.LOCK_EX)  # one line at a time, whole, in order
            status = os.fstat(held.descriptor)
            if status.st_nlink:
                return held, status.st_size
            del _held[self._key]
            os.close(held.descriptor)  # its lock goes with it

    def record(self, execution_id: str | None, run: str | None, kind: ChangeKind) -> None:
        """Append one change (after the write it describes)."""
        line = orjson.dumps([execution_id, run, kind]) + b"\n"
        with _held_lock:
            held, size = self._locked()
            descriptor = held.descriptor
            try:
                if size and size != held.end and os.pread(descriptor, 1, size - 1) != b"\n":
                    line = b"\n" + line  # end a line a crashed writer left torn
                os.write(descriptor, line)
                held.end = size + len(line)
                if held.end > self.max_bytes:
                    self._compact(descriptor, held.end, self.max_bytes // 2)
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)

    def trim(self) -> None:
        """Drop every change recorded so far (a prune removed what they name); the seq goes on
        from where it was, and watchers behind it get a ``reset``."""
        if not self.path.exists():
            return
        with _held_lock:
            held, size = self._locked()
            try:
                self._compact(held.descriptor, size, 0)
            finally:
                fcntl.flock(held.descriptor, fcntl.LOCK_UN)

    def _compact(self, descriptor: int, size: int, keep: int) -> None:
        """Rewrite the log (its lock held) with about its newest ``keep`` bytes of whole lines,
        under a header that keeps their seqs."""
        floor, header = _header(descriptor)
        start = max(size - keep, header)
        if start > header and os.pread(descriptor, 1, start - 1) != b"\n":
            rest = os.pread(descriptor, size - start, start)
            start += rest.find(b"\n") + 1 if b"\n" in rest else len(rest)
        tail = os.pread(descriptor, size - start, start)
        data = orjson.dumps({"floor": floor + start - header}) + b"\n" + tail
        temporary = self.path.with_name(f"{LOG_NAME}.{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)  # a leftover of a crash; never followed if a link
        written = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        try:
            os.write(written, data)
        finally:
            os.close(written)
        os.replace(temporary, self.path)  # readers see the old log or the whole new one

    def last_seq(self) -> int:
        """Where the last whole line ends (the floor when there is none)."""
        try:
            descriptor = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return 0
        try:
            size = os.fstat(descriptor).st_size
            floor, header = _header(descriptor)
            start = max(size - _TAIL, header)
            end = os.pread(descriptor, size - start, start).rfind(b"\n")
        finally:
            os.close(descriptor)
        return floor + start + end + 1 - header if end >= 0 else floor

    def read(self, after_seq: int) -> tuple[list[JournalChange], int]:
        """The whole lines after ``after_seq``, and the seq to read on from.

        A seq inside a line (not one this log gave) starts at the next line. A seq below the
        floor (compacted away) or past the end (the log was removed and made again) gives a
        ``reset`` first, then the lines the log has.
        """
        try:
            descriptor = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return [], after_seq
        try:
            size = os.fstat(descriptor).st_size
            floor, header = _header(descriptor)
            end = floor + size - header
            if after_seq == end:
                return [], after_seq
            changes = []
            if not floor <= after_seq <= end:
                changes.append(JournalChange(floor, None, None, "reset"))
                after_seq = floor
            offset = after_seq - floor + header
            before = offset - 1 if offset > header else offset
            chunk = os.pread(descriptor, size - before, before)
        finally:
            os.close(descriptor)
        if before < offset:
            if chunk[:1] != b"\n":  # not at a line's start: skip to the next one
                skip = chunk.find(b"\n")
                if skip < 0:
                    return changes, after_seq
                offset += skip
                chunk = chunk[skip:]
            chunk = chunk[1:]
        position = offset
        for line in chunk.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # still being written
            position += len(line)
            try:
                execution_id, run, kind = orjson.loads(line)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                continue
            if kind in _KINDS:
                changes.append(JournalChange(floor + position - header, execution_id, run, kind))
        return changes, floor + position - header

    async def watch(self, after_seq: int) -> AsyncIterator[JournalChange]:
        """Every change after ``after_seq``, then new ones as polling finds them."""
        seq = after_seq
        while True:
            changes, seq = await asyncio.to_thread(self.read, seq)
            for change in changes:
                yield change
            await asyncio.sleep(POLL_SECONDS)
