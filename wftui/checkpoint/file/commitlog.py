"""The folder's commit log: what makes a save durable with one ``fdatasync``.

A save writes ``<id>.json`` (temp file and rename, so no process ever sees half a file) without
syncing it, then appends the same bytes to ``.wftui-commit.log`` and ``fdatasync``\\ s the log:
appending to one open file and syncing it costs a fraction of syncing a new file and its folder.
Only then is the save announced. Saves waiting together are appended in one write and synced
by one ``fdatasync`` (a group commit). Records go into zeros written ahead of them, so a sync
flushes data only: a sync that also changes the file's size costs a journal commit.

The log is the truth after a power cut. Its first line names the boot it was started in
(``/proc/sys/kernel/random/boot_id``): within one boot the page cache keeps every written file,
whatever happens to the process (``kill -9`` included), so nothing is replayed. Opened in a later
boot, the log is replayed once: every logged checkpoint whose file is missing or differs is
written again, every logged deletion is done again, the folder is synced, and the log starts
afresh. It also starts afresh once it outgrows ``LOG_LIMIT``, after a sync of the folder's file
system has made the files it covers durable on their own.

Several processes may share a folder: a writer holds an exclusive ``flock`` while it finds the
end of the records (after the last non-zero byte: no record ends in one) and writes, and so do
replay and truncation; a truncation syncs every file first (``syncfs``), so no record is dropped
before its file is durable, even between another writer's write and its sync.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import threading
import time
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import orjson

from wftui.checkpoint.file import osio

LOG_NAME = ".wftui-commit.log"
LOG_LIMIT = 8 << 20
_MIN_AHEAD = 16 << 10  # zeros written ahead of the records (a fresh log's first sync writes them)
_MAX_AHEAD = 1 << 20
_PAGE = 4096
_BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
_MAX_HEADER = 4096


def _boot_id() -> str:
    """This boot's id (Linux); elsewhere the boot time to ten seconds, from the clocks (a clock
    that stops in sleep makes a replay after waking, which also restores files removed by hand)."""
    try:
        with open(_BOOT_ID_PATH, "rb") as source:
            return source.read().decode("ascii").strip()
    except OSError:
        return f"booted-{round(time.time() - time.monotonic(), -1):.0f}"


BOOT_ID = _boot_id()


def _load_syncfs() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _load_syncfs()


def _header() -> bytes:
    """The first line: the boot the log was started in, and a mark of this start (a writer that
    finds another mark knows the log was started afresh under it)."""
    return orjson.dumps({"commit_log": 1, "boot": BOOT_ID, "start": os.urandom(8).hex()}) + b"\n"


def _record_at(data: bytes, at: int) -> tuple[dict[str, Any], bytes, int] | None:
    """The record starting at ``at`` (its head, body and end), if it is whole and checks out."""
    end = data.find(b"\n", at, at + _MAX_HEADER)
    if end < 0:
        return None
    try:
        head = orjson.loads(data[at:end])
    except orjson.JSONDecodeError:
        return None
    if type(head) is not dict:
        return None
    size = head.get("size", 0)
    if type(size) is not int or size < 0:
        return None
    body = data[end + 1 : end + 1 + size]
    if len(body) != size or zlib.crc32(body) != head.get("crc", 0):
        return None
    return head, body, end + 1 + size


_OPENINGS = (b'{"save":', b'{"delete":')  # as orjson writes a record's head


def _next_opening(data: bytes, start: int) -> int:
    """Where the next thing that looks like a record head starts (-1 if none)."""
    found = [at for at in (data.find(opening, start) for opening in _OPENINGS) if at >= 0]
    return min(found, default=-1)


def _records(data: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """The whole records after the header line. A record torn by a killed writer is skipped:
    the search goes on where the next record head seems to start (each is checked by its CRC)."""
    at = data.find(b"\n") + 1
    while 0 < at < len(data):
        record = _record_at(data, at)
        if record is None:
            at = _next_opening(data, at + 1)
            continue
        head, body, at = record
        yield head, body


_SCAN = 64 << 10
_ZEROS = bytes(_SCAN)


def _records_end(fd: int, start: int, size: int) -> int:
    """Where the records from ``start`` on end: after the last byte that is not zero (no record
    ends in one). Read back from the end, skipping zeros a chunk and then a page at a time: a
    fresh storage object read the whole log (up to ``LOG_LIMIT``) and stripped the zeros
    ahead byte by byte, at its first save."""
    end = size
    while end > start:
        begin = max(start, end - _SCAN)
        chunk = osio.pread_all(fd, begin, end)
        at = len(chunk) if chunk != _ZEROS else 0
        while at > 0:
            page = chunk[max(0, at - _PAGE) : at]
            if page != _ZEROS[: len(page)]:
                return begin + at - len(page) + len(page.rstrip(b"\0"))
            at -= len(page)
        end = begin
    return start


class CommitLog:
    """One folder's commit log, opened on first use and shared by the process's storage objects
    of that folder (``commit_log``)."""

    def __init__(self, folder: str, max_file_size: int) -> None:
        self._folder = folder
        self._path = os.path.join(folder, LOG_NAME)
        self._max_file_size = max_file_size
        self._fd: int | None = None
        # The open log's device and inode, and the process and boot it was checked in.
        self._identity: tuple[int, int] | None = None
        self._opened_in = (0, "")
        self._lock = threading.Lock()
        # The log's first line and where its records end, as this object last wrote them.
        self._head = b""
        self._end = 0

    # ----- writing -----

    def commit_saves(self, saves: list[tuple[str, bytes]]) -> None:
        """Make saves whose files are already written durable: append their bytes (checkpoint
        id, document) in one write, then one fdatasync for them all."""
        records = []
        for checkpoint_id, data in saves:
            head = {"save": checkpoint_id, "size": len(data), "crc": zlib.crc32(data)}
            records += [orjson.dumps(head), b"\n", data]
        self._append(b"".join(records), sync=True)

    def record_delete(self, checkpoint_id: str) -> None:
        """Note a deletion so a replay does not bring the checkpoint back (not synced: an
        unlink is not synced either)."""
        self._append(orjson.dumps({"delete": checkpoint_id, "size": 0, "crc": 0}) + b"\n")

    def _append(self, record: bytes, *, sync: bool = False) -> None:
        """Write ``record`` after the last one, into space the log already holds (zeros written
        ahead), so the ``fdatasync`` has only data to flush: appending at the end changed the
        file's size, and syncing that took a journal commit, at every save."""
        with self._lock:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)  # one writer at a time finds the end and writes
            try:
                end = self._data_end(fd)
                self._reserve(fd, end + len(record))
                osio.pwrite_all(fd, record, end)
                self._end = end + len(record)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            # Unlocked: a restart by another process in between syncs every file (syncfs)
            # before it empties the log, this record's file included.
            if sync:
                os.fdatasync(fd)
            if self._end > LOG_LIMIT:
                self._restart(fd, replay=False)

    def _data_end(self, fd: int) -> int:
        """Where the records end: where this object left them, unless another writer has
        appended since (a byte is there) or started the log afresh (another first line)."""
        start = 0
        if self._head and os.pread(fd, len(self._head), 0) == self._head:
            if os.pread(fd, 1, self._end) in (b"", b"\0"):
                return self._end
            start = self._end
        else:
            self._head = os.pread(fd, _MAX_HEADER, 0).partition(b"\n")[0] + b"\n"
        self._end = _records_end(fd, start, os.fstat(fd).st_size)
        return self._end

    @staticmethod
    def _reserve(fd: int, needed: int) -> None:
        """Make the log at least ``needed`` bytes long, written zeros ahead (twice its size up to
        a megabyte more at a time, so few syncs pay for a size change)."""
        size = os.fstat(fd).st_size
        if needed <= size:
            return
        ahead = max(_MIN_AHEAD, min(size, _MAX_AHEAD))
        new_size = -(-(needed + ahead) // _PAGE) * _PAGE
        osio.pwrite_all(fd, bytes(new_size - size), size)

    # ----- opening and replaying -----

    def recover(self) -> None:
        """Open the log, replaying it first if it was written in another boot."""
        with self._lock:
            self._open()

    def __del__(self) -> None:
        if self._fd is not None and self._opened_in[0] == os.getpid():
            os.close(self._fd)

    def _open(self) -> int:
        """The open log, reopened if someone replaced or removed it, or in a forked child (the
        parent's descriptor would share its ``flock``; it is left as it is); replayed when
        stale."""
        if self._fd is not None and self._opened_in[0] != os.getpid():
            self._fd = None
        if self._fd is not None:
            try:
                info = os.lstat(self._path)
                if (info.st_dev, info.st_ino) == self._identity and self._opened_in[1] == BOOT_ID:
                    return self._fd
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None
        fd = osio.open_regular(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        self._head = b""  # another file: find its end afresh
        try:
            if self._stale(fd):
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if self._stale(fd):  # another process may have replayed it meanwhile
                        self._restart(fd, replay=True, locked=True)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        except BaseException:
            os.close(fd)
            raise
        info = os.fstat(fd)
        self._fd, self._identity = fd, (info.st_dev, info.st_ino)
        self._opened_in = (os.getpid(), BOOT_ID)
        return fd

    @staticmethod
    def _stale(fd: int) -> bool:
        """True unless the log's first line says it was started in this boot."""
        first = os.pread(fd, _MAX_HEADER, 0).partition(b"\n")[0]
        try:
            head = orjson.loads(first)
        except orjson.JSONDecodeError:
            return True
        return type(head) is not dict or head.get("boot") != BOOT_ID

    def _restart(self, fd: int, *, replay: bool, locked: bool = False) -> None:
        """Replay (if asked), make every file the log covers durable, then empty the log."""
        if not locked:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            last = self._last_records(osio.pread_all(fd, 0, os.fstat(fd).st_size))
            if last:  # a new or empty log needs only its header
                if replay:
                    self._replay(last)
                self._sync_files(last)
            os.ftruncate(fd, 0)
            self._head = _header()
            osio.pwrite_all(fd, self._head, 0)  # synced by the next commit's fdatasync
            self._end = len(self._head)
        finally:
            if not locked:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @staticmethod
    def _last_records(data: bytes) -> dict[str, tuple[bool, bytes]]:
        """Each logged checkpoint's last word: saved (with its bytes) or deleted."""
        last: dict[str, tuple[bool, bytes]] = {}
        for head, body in _records(data):
            if type(head.get("save")) is str:
                last[head["save"]] = (True, body)
            elif type(head.get("delete")) is str:
                last[head["delete"]] = (False, b"")
        return last

    def _file(self, checkpoint_id: str) -> str | None:
        """The checkpoint's file path, or None for an id no save could have written."""
        if osio.CHECKPOINT_FILE.fullmatch(checkpoint_id + ".json") is None:
            return None
        return os.path.join(self._folder, checkpoint_id + ".json")

    def _replay(self, last: dict[str, tuple[bool, bytes]]) -> None:
        for checkpoint_id, (saved, body) in last.items():
            path = self._file(checkpoint_id)
            if path is None:
                continue
            if not saved:
                osio.discard(path)
                continue
            try:
                current, _ = osio.read_regular(path, self._max_file_size)
            except FileNotFoundError:
                current = None
            except OSError:
                continue  # a link or FIFO put there by hand: listings report it; never replaced
            if current != body:
                osio.replace(path, body)

    def _sync_files(self, last: dict[str, tuple[bool, bytes]]) -> None:
        """Make the files (and names) the log covers durable: one ``syncfs`` where there is one."""
        if _SYNCFS is not None:
            fd = os.open(self._folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                if _SYNCFS(fd) == 0:
                    return
            finally:
                os.close(fd)
        for checkpoint_id in last:
            path = self._file(checkpoint_id)
            if path is None:
                continue
            with contextlib.suppress(OSError):
                file_fd = osio.open_regular(path, os.O_RDONLY)
                try:
                    os.fsync(file_fd)
                finally:
                    os.close(file_fd)
        osio.fsync_folder(self._folder)


# The process's commit logs: the recently used ones kept open, the others for as long as a
# storage object holds them. A storage object per run (``wftui run``, a server's request) opened
# the log, found where its records end (reading back through up to a megabyte of zeros written
# ahead) at its first save, and never closed it.
_RECENT_LOGS = 16
_logs: weakref.WeakValueDictionary[tuple[str, int], CommitLog] = weakref.WeakValueDictionary()
_recent: OrderedDict[tuple[str, int], CommitLog] = OrderedDict()
_logs_lock = threading.Lock()


def commit_log(folder: str, max_file_size: int) -> CommitLog:
    """The commit log of ``folder`` for this process (its writers share where the log ends)."""
    key = (os.path.abspath(folder), max_file_size)
    with _logs_lock:
        log = _logs.get(key)
        if log is None:
            log = _logs[key] = CommitLog(key[0], max_file_size)
        _recent[key] = log
        _recent.move_to_end(key)
        if len(_recent) > _RECENT_LOGS:
            _recent.popitem(last=False)
    return log


def _forget_in_child() -> None:
    """After ``fork``: the parent's logs (and maybe a held lock) are not the child's to use."""
    global _logs_lock
    _logs_lock = threading.Lock()
    _recent.clear()
    _logs.clear()


os.register_at_fork(after_in_child=_forget_in_child)
