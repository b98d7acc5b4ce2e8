"""The file store's journal: one JSON-lines file per execution in ``journal/`` beside the
checkpoints, appended only by the process running it; answers are small files per request."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.file.osio import write_all
from wftui.journal.changelog import MAX_BYTES, ChangeLog
from wftui.journal.model import ChangeKind, Entry, Execution, JournalChange

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
SUFFIX = ".jsonl"
_ENTRY_LINE = b'{"entry":'  # how ``_write`` starts an entry's line (json.dumps' spacing)


def _line(record: dict[str, Any]) -> bytes:
    """One record as a JSON line; ``orjson`` took a tenth of ``json.dumps``'s time (most of
    a journal write's), the standard module for what it refuses (an integer past 64 bits).
    An ``Entry`` is given as it is: ``orjson`` writes a dataclass in half the time it took to
    make it a dict and write that (the same fields, in the same order)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(record, ensure_ascii=False, default=_entry_json) + "\n").encode()


def _entry_json(value: object) -> dict[str, Any]:
    if isinstance(value, Entry):
        return value.to_json()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _safe(name: str) -> str:
    """A name fit to be a file name here (no separators, no ``..``)."""
    if not _NAME.fullmatch(name) or name.strip(".") == "":
        raise CheckpointError(f"invalid journal name {name!r}")
    return name


class FileJournal:
    """Journal files under ``folder`` (``<checkpoint folder>/journal``)."""

    def __init__(
        self, folder: Path, *, fsync: bool = False, change_log_bytes: int = MAX_BYTES
    ) -> None:
        self.folder = folder
        self._fsync = fsync
        self._changes = ChangeLog(folder, max_bytes=change_log_bytes)
        self._runs: dict[str, str] = {}  # execution id -> its run, as this writer knows it
        self._runs_unwritten: set[str] = set()  # ids whose run goes with their next write
        # The executions this object writes, their files open from begin to end: an open and a
        # close per write were most of a short run's journal syscalls.
        self._descriptors: dict[str, int] = {}
        self._writing = threading.Lock()  # synced writes run in worker threads

    def _path(self, execution_id: str) -> Path:
        return self.folder / f"{_safe(execution_id)}{SUFFIX}"

    def _descriptor(self, execution_id: str) -> int:
        """The execution's file open for appending; opened again when it was removed or
        replaced (a copy put over it) since, so the write lands where readers look."""
        descriptor = self._descriptors.get(execution_id)
        if descriptor is not None:
            if os.fstat(descriptor).st_nlink:
                return descriptor
            del self._descriptors[execution_id]
            os.close(descriptor)
        path = self._path(execution_id)
        try:
            descriptor = os.open(path, _APPEND, 0o644)
        except FileNotFoundError:  # the folder's first write (or someone removed it)
            self.folder.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, _APPEND, 0o644)
        self._descriptors[execution_id] = descriptor
        return descriptor

    def _write(self, execution_id: str, records: Sequence[dict[str, Any]], *, last: bool) -> None:
        """One write per batch (readers see whole lines); ``last`` closes the file after it."""
        run = self._runs.get(execution_id) if execution_id in self._runs_unwritten else None
        data = b"".join(map(_line, records if run is None else [{"run": run}, *records]))
        with self._writing:
            try:
                descriptor = self._descriptor(execution_id)
                os.write(descriptor, data)
                if self._fsync:
                    os.fsync(descriptor)
            except BaseException:
                self._forget(execution_id)  # opened afresh by the next write
                raise
            if last:
                self._forget(execution_id)
        self._runs_unwritten.discard(execution_id)

    def _forget(self, execution_id: str) -> None:
        descriptor = self._descriptors.pop(execution_id, None)
        if descriptor is not None:
            os.close(descriptor)

    async def _append(
        self,
        execution_id: str,
        *records: dict[str, Any],
        change: ChangeKind | None = None,
        last: bool = False,
        in_thread: bool = False,
    ) -> None:
        """Written at once, in the caller's thread, unless each write is synced or ``in_thread``
        is asked: an append of a few lines lands in the page cache in microseconds, while a hop
        to a worker thread and back took 5-10 times that, several times a run (the run's end
        waits for two of them)."""
        if self._fsync or in_thread:
            await asyncio.to_thread(self._write_and_record, execution_id, records, change, last)
        else:
            self._write_and_record(execution_id, records, change, last)

    def _write_and_record(
        self,
        execution_id: str,
        records: Sequence[dict[str, Any]],
        change: ChangeKind | None,
        last: bool,
    ) -> None:
        """The write, then its change for watchers (who read what it names)."""
        self._write(execution_id, records, last=last)
        if change is not None:
            self._changes.record(execution_id, self._runs.get(execution_id), change)

    async def begin(self, execution: Execution, *, inline: bool = False) -> None:
        """Written in a worker thread unless ``inline``: this write makes the execution's file,
        and on a busy ext4 disk making a file took up to a millisecond, which a running loop
        would wait for (the appends after it land in the page cache in microseconds, in the
        loop's thread); a caller that waits for it anyway only paid the hop."""
        if execution.run is not None:
            self._runs[execution.id] = execution.run
        record = {"begin": execution.to_json()}
        await self._append(execution.id, record, change="begun", in_thread=not inline)

    async def set_run(self, execution_id: str, run: str) -> None:
        """Noted here; the record goes with the execution's next write (one write fewer)."""
        self._runs[execution_id] = run
        self._runs_unwritten.add(execution_id)

    async def append(self, execution_id: str, entries: Sequence[Entry]) -> None:
        records = ({"entry": entry} for entry in entries)
        await self._append(execution_id, *records, change="entries")

    async def beat(self, execution_id: str, at: float) -> None:
        await self._append(execution_id, {"beat": at}, change="beat")

    async def end(
        self, execution_id: str, outcome: str, at: float, entries: Sequence[Entry] = ()
    ) -> None:
        records: list[dict[str, Any]] = [{"entry": entry} for entry in entries]
        records.append({"end": outcome, "at": at})
        await self._append(execution_id, *records, change="ended", last=True)

    # ----- reading -----

    def _read(
        self, path: Path, *, with_entries: bool = True
    ) -> tuple[Execution | None, list[Entry]]:
        """The execution as its file has it so far; a line still being written is skipped.

        Without entries, entry lines (most of a file) are passed by their first bytes, never
        parsed: listing many executions reads only what says how each stands."""
        execution: Execution | None = None
        entries: list[Entry] = []
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, OSError):
            return None, []
        with os.fdopen(descriptor, "rb") as handle:
            lines = handle.read().split(b"\n")
        for line in lines:
            if not with_entries and line.startswith(_ENTRY_LINE):
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(record, dict):
                continue
            if "begin" in record:
                execution = Execution.from_json(record["begin"])
            elif execution is None:
                continue
            elif "entry" in record:
                entries.append(Entry.from_json(record["entry"]))
            elif "beat" in record:
                execution.heartbeat = max(execution.heartbeat, record["beat"])
            elif "run" in record:
                execution.run = record["run"]
            elif "end" in record:
                execution.outcome, execution.ended = record["end"], record["at"]
        return execution, entries

    def _all(self) -> list[Execution]:
        try:
            paths = [path for path in self.folder.iterdir() if path.name.endswith(SUFFIX)]
        except FileNotFoundError:
            return []
        executions = [self._read(path, with_entries=False)[0] for path in paths]
        return sorted((e for e in executions if e is not None), key=lambda e: e.started)

    async def executions(self, run: str | None = None) -> list[Execution]:
        found = await asyncio.to_thread(self._all)
        return [e for e in found if run is None or e.run == run]

    async def entries(self, execution_id: str, after_seq: int = 0) -> list[Entry]:
        _, entries = await asyncio.to_thread(self._read, self._path(execution_id))
        return [entry for entry in entries if entry.seq > after_seq]

    async def execution(self, execution_id: str) -> Execution | None:
        path = self._path(execution_id)
        execution, _ = await asyncio.to_thread(self._read, path, with_entries=False)
        return execution

    # ----- watching (the change log) -----

    def watch(self, after_seq: int = 0) -> AsyncIterator[JournalChange]:
        return self._changes.watch(after_seq)

    async def last_seq(self) -> int:
        return await asyncio.to_thread(self._changes.last_seq)

    # ----- answers -----

    def _answer_folder(self, run: str) -> Path:
        return self.folder / "answers" / _safe(run)

    def _post(self, run: str, request_id: str, value: str) -> None:
        folder = self._answer_folder(run)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_safe(request_id)}.json"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"value": value}), encoding="utf-8")
        os.replace(temporary, path)  # readers see the whole answer or none

    async def post_answer(self, run: str, request_id: str, value: str) -> None:
        await asyncio.to_thread(self._post, run, request_id, value)
        await asyncio.to_thread(self._changes.record, None, run, "answer")

    def _answers(self, run: str) -> dict[str, str]:
        answers: dict[str, str] = {}
        try:
            paths = list(self._answer_folder(run).glob("*.json"))
        except FileNotFoundError:
            return answers
        for path in paths:
            try:
                answers[path.stem] = str(json.loads(path.read_text(encoding="utf-8"))["value"])
            except (OSError, ValueError, KeyError):
                continue
        return answers

    async def answers(self, run: str) -> dict[str, str]:
        return await asyncio.to_thread(self._answers, run)

    async def close(self) -> None:
        with self._writing:
            for execution_id in list(self._descriptors):
                self._forget(execution_id)

    # ----- copies and pruning -----

    def _put(self, execution: Execution, entries: Sequence[Entry]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        records: list[dict[str, Any]] = [{"begin": execution.to_json()}]
        records += ({"entry": entry} for entry in entries)
        data = b"".join(map(_line, records))
        path = self._path(execution.id)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)  # a leftover of a crash; never followed if a link
        descriptor = os.open(temporary, _CREATE_NEW, 0o644)
        try:
            write_all(descriptor, data)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)  # readers see the old file or the whole new one

    def _put_and_record(self, execution: Execution, entries: Sequence[Entry]) -> None:
        self._put(execution, entries)
        self._changes.record(execution.id, execution.run, "begun")  # watchers see the copy

    async def put_execution(self, execution: Execution, entries: Sequence[Entry]) -> None:
        await asyncio.to_thread(self._put_and_record, execution, entries)

    def _delete_runs(self, runs: Sequence[str]) -> int:
        wanted = set(runs)
        try:
            paths = [path for path in self.folder.iterdir() if path.name.endswith(SUFFIX)]
        except FileNotFoundError:
            return 0
        gone = 0
        for path in paths:
            execution, _ = self._read(path, with_entries=False)
            if execution is not None and execution.run in wanted:
                path.unlink(missing_ok=True)
                gone += 1
        for run in wanted:
            shutil.rmtree(self._answer_folder(run), ignore_errors=True)
        if gone:
            self._changes.trim()  # what it named is gone; a watcher behind it reads anew
        return gone

    async def delete_runs(self, runs: Sequence[str]) -> int:
        return await asyncio.to_thread(self._delete_runs, runs)
