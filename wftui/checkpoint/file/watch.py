"""``watch()`` for a checkpoint folder: changes derived by polling, kept in a shared change log.

The folder's writers record nothing for watchers, so a watcher compares the folder with what
``.wftui-changes.jsonl`` says it holds and appends the difference: a checkpoint file that appeared
or was replaced (a new inode: saves rename a new file in) is ``saved``, one that vanished is
``deleted``. Every watcher of the folder, in any process, appends under an exclusive ``flock``, so
the log's sequence numbers are the same for all of them and a watcher that reconnects catches up
from the last ``seq`` it saw. When nothing changed, a look costs one ``stat`` of the folder; the
folder is listed only when its mtime moved or is too recent to trust (two renames in one clock
tick leave one mtime).

Limits: a checkpoint saved and deleted while no watcher looks never shows; on a read-only folder
the changes are derived in memory, with sequence numbers of this watcher alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Literal

import orjson

from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.errors import CheckpointDecodingError, CheckpointError
from wftui.checkpoint.file import osio
from wftui.checkpoint.serializer import CheckpointSerializer

LOG_NAME = ".wftui-changes.jsonl"
POLL_SECONDS = 0.1
_RACY_NS = 2_000_000_000  # a folder mtime this recent may hide a second change in its tick
_CHECKPOINT_FILE = re.compile(r"([A-Za-z0-9_-]{1,128})\.json")
_MAX_DOCUMENT = 256 << 20
_TAIL = 1 << 16  # bytes read back to find the log's last whole line
# (timestamp, workflow id) of a checkpoint the caller has already read, or None.
KnownIdentity = Callable[[str], "tuple[str, str] | None"]


class FolderChanges:
    """One watcher's view of the folder and of the shared log (used from one thread at a time)."""

    def __init__(
        self, folder: str, serializer: CheckpointSerializer, known: KnownIdentity | None = None
    ) -> None:
        self.folder = folder
        self.serializer = serializer
        self._known_identity = known
        self.log_path = os.path.join(folder, LOG_NAME)
        self._known: dict[str, tuple[int, str]] = {}  # id -> inode, workflow id, as logged
        self._runs: dict[str, str] = {}  # one string per run (a folder of 50,000: 3 MB less)
        self._unusable: dict[str, int] = {}  # id -> inode of a file that did not parse
        self._offset = 0
        self._seq = 0
        self._listed_mtime: int | None = None
        self._writable = True  # False once the log could only be opened for reading

    def poll(self) -> list[Change]:
        """The log entries this watcher has not returned yet, after logging what changed."""
        if not self._worth_a_look():
            return []
        with self._locked_log() as fd:
            changes = self._read_tail(fd)
            derived = self._derive()
            if derived:
                self._append(fd, derived)
                changes += derived
        return changes

    def _worth_a_look(self) -> bool:
        try:
            folder = os.stat(self.folder).st_mtime_ns
            log_size = os.stat(self.log_path).st_size
        except FileNotFoundError:
            return True
        recent = time.time_ns() - folder < _RACY_NS
        return recent or folder != self._listed_mtime or log_size != self._offset

    @contextlib.contextmanager
    def _locked_log(self) -> Iterator[int | None]:
        """The log, locked against other watchers; None when the folder cannot hold one."""
        try:
            fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except FileNotFoundError as error:
            raise CheckpointError(f"cannot watch {self.folder}: the folder is gone") from error
        except OSError:
            try:
                fd = os.open(self.log_path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                yield None  # read-only and no log yet: derive in memory
                return
            self._writable = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)

    def _read_tail(self, fd: int | None) -> list[Change]:
        if fd is None:
            return []
        size = os.fstat(fd).st_size
        if size <= self._offset:
            return []
        chunk = os.pread(fd, size - self._offset, self._offset)
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        changes = []
        for line in complete.splitlines():
            try:
                seq, checkpoint_id, workflow_id, kind, inode = orjson.loads(line)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                continue  # a line torn by a crash; the next writer starts a fresh one
            if not isinstance(seq, int) or seq <= self._seq or kind not in ("saved", "deleted"):
                continue
            self._seq = seq
            self._apply(checkpoint_id, workflow_id, kind, inode)
            changes.append(Change(seq, checkpoint_id, workflow_id, kind))
        return changes

    def _apply(self, checkpoint_id: str, workflow_id: str, kind: str, inode: int) -> None:
        if kind == "saved":
            self._known[checkpoint_id] = (inode, self._runs.setdefault(workflow_id, workflow_id))
        else:
            self._known.pop(checkpoint_id, None)

    def _derive(self) -> list[Change]:
        """What the folder holds that the log does not say yet, as new log entries."""
        self._listed_mtime = os.stat(self.folder).st_mtime_ns
        present: dict[str, int] = {}
        with os.scandir(self.folder) as listing:
            for entry in listing:
                match = _CHECKPOINT_FILE.fullmatch(entry.name)
                if match and entry.is_file(follow_symlinks=False):
                    present[match.group(1)] = entry.inode()
        saved = []
        for checkpoint_id, inode in present.items():
            known = self._known.get(checkpoint_id)
            if (known is None or known[0] != inode) and self._unusable.get(checkpoint_id) != inode:
                parsed = self._parse(checkpoint_id, inode)
                if parsed is not None:
                    saved.append((parsed, checkpoint_id, inode))
        saved.sort()
        entries: list[tuple[str, str, Literal["saved", "deleted"], int]] = [
            (checkpoint_id, workflow_id, "saved", inode)
            for (_, workflow_id), checkpoint_id, inode in saved
        ]
        entries += [
            (checkpoint_id, workflow_id, "deleted", inode)
            for checkpoint_id, (inode, workflow_id) in sorted(self._known.items())
            if checkpoint_id not in present
        ]
        changes = []
        for checkpoint_id, workflow_id, kind, inode in entries:
            self._seq += 1
            self._apply(checkpoint_id, workflow_id, kind, inode)
            changes.append(Change(self._seq, checkpoint_id, workflow_id, kind))
        return changes

    def _parse(self, checkpoint_id: str, inode: int) -> tuple[str, str] | None:
        """(timestamp, workflow id) of a new file; None (remembered) if it is not a checkpoint.
        What the storage's listing already read is not read again: a folder never watched
        before holds every checkpoint as new."""
        if self._known_identity is not None:
            known = self._known_identity(checkpoint_id)
            if known is not None:
                return known
        try:
            data, _ = osio.read_regular(
                os.path.join(self.folder, f"{checkpoint_id}.json"), _MAX_DOCUMENT
            )
            parsed = self.serializer.parse(data)
        except (OSError, CheckpointDecodingError):
            self._unusable[checkpoint_id] = inode
            return None
        if parsed.checkpoint_id != checkpoint_id:
            self._unusable[checkpoint_id] = inode
            return None
        return parsed.timestamp, parsed.workflow_id

    def _append(self, fd: int | None, changes: list[Change]) -> None:
        if fd is None or not self._writable:
            return
        lines = b"".join(
            orjson.dumps([c.seq, c.checkpoint_id, c.workflow_id, c.kind, self._inode_of(c)]) + b"\n"
            for c in changes
        )
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            lines = b"\n" + lines  # end a line a crashed writer left torn
        os.write(fd, lines)
        self._offset = os.fstat(fd).st_size

    def _inode_of(self, change: Change) -> int:
        known = self._known.get(change.checkpoint_id)
        return known[0] if change.kind == "saved" and known is not None else 0


def logged_seq(folder: str) -> int:
    """The seq of the change log's last whole line (0 when it has none): what the log already
    says; what the folder holds beyond it gets higher seqs at a watcher's next look."""
    try:
        fd = os.open(os.path.join(folder, LOG_NAME), os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return 0
    try:
        start = max(os.fstat(fd).st_size - _TAIL, 0)
        lines = os.pread(fd, _TAIL, start).split(b"\n")
    finally:
        os.close(fd)
    for line in reversed(lines[1:] if start else lines):  # the first may be cut
        try:
            seq = orjson.loads(line)[0]
        except (orjson.JSONDecodeError, TypeError, ValueError, IndexError, KeyError):
            continue  # torn or empty
        if isinstance(seq, int):
            return seq
    return 0


async def watch_folder(
    folder: str,
    serializer: CheckpointSerializer,
    after_seq: int = 0,
    known: KnownIdentity | None = None,
) -> AsyncIterator[Change]:
    """Every change after ``after_seq`` in log order, then new ones as polling finds them."""
    changes = FolderChanges(folder, serializer, known)
    while True:
        for change in await asyncio.to_thread(changes.poll):
            if change.seq > after_seq:
                yield change
        await asyncio.sleep(POLL_SECONDS)
