"""The file journal's change sequence: one shared log, ``journal/.changes.log``, that every
writing process appends a line to (under ``flock``) after each journal write.

A change's ``seq`` is the byte offset where its line ends, so the sequence grows with the file,
needs no counter, and a watcher resumes by reading on from the last offset it saw. Each line is
``[execution_id, run, kind]`` in JSON. A line torn by a crash is skipped (the next writer ends
it). Watchers poll the log's size: one ``stat`` per look when nothing changed.

Limit: a process that writes the journal without this module (an older wftui) records no
changes, so watchers see its executions only through ``executions()``.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

import orjson

from wftui.journal.model import ChangeKind, JournalChange

LOG_NAME = ".changes.log"  # not ``*.jsonl``: listing executions must not read it
POLL_SECONDS = 0.05
_KINDS = frozenset(("begun", "entries", "beat", "ended", "answer"))
_TAIL = 1 << 16  # bytes read back to find the last whole line


class ChangeLog:
    """Appends to and reads the change log of one journal folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOG_NAME

    def record(self, execution_id: str | None, run: str | None, kind: ChangeKind) -> None:
        """Append one change (after the write it describes)."""
        line = orjson.dumps([execution_id, run, kind]) + b"\n"
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.path, flags, 0o644)
        except FileNotFoundError:  # the journal folder's first change
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, flags, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # one line at a time, whole, in order
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                line = b"\n" + line  # end a line a crashed writer left torn
            os.write(descriptor, line)
        finally:
            os.close(descriptor)

    def last_seq(self) -> int:
        """Where the last whole line ends (0 when there is none)."""
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                start = max(size - _TAIL, 0)
                handle.seek(start)
                tail = handle.read()
        except FileNotFoundError:
            return 0
        end = tail.rfind(b"\n")
        return start + end + 1 if end >= 0 else 0

    def read(self, after_seq: int) -> tuple[list[JournalChange], int]:
        """The whole lines after offset ``after_seq``, and where reading should go on.

        An offset inside a line (not one this log gave) starts at the next line; an offset
        past the end of a log that was replaced (smaller now) starts it over.
        """
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return [], after_seq
        if size == after_seq:
            return [], after_seq
        start = after_seq if size > after_seq else 0
        with self.path.open("rb") as handle:
            handle.seek(max(start - 1, 0))
            chunk = handle.read(size - max(start - 1, 0))
        if start > 0:
            if chunk[:1] != b"\n":  # not at a line's start: skip to the next one
                skip = chunk.find(b"\n")
                if skip < 0:
                    return [], after_seq
                start += skip
                chunk = chunk[skip:]
            chunk = chunk[1:]
        changes = []
        position = start
        for line in chunk.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # still being written
            position += len(line)
            try:
                execution_id, run, kind = orjson.loads(line)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                continue
            if kind in _KINDS:
                changes.append(JournalChange(position, execution_id, run, kind))
        return changes, position

    async def watch(self, after_seq: int) -> AsyncIterator[JournalChange]:
        """Every change after ``after_seq``, then new ones as polling finds them."""
        seq = after_seq
        while True:
            changes, seq = await asyncio.to_thread(self.read, seq)
            for change in changes:
                yield change
            await asyncio.sleep(POLL_SECONDS)
