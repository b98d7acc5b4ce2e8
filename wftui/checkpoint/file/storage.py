"""Checkpoints as one readable JSON file each, written atomically and durably.

Layout of the folder:

- ``<checkpoint_id>.json``: the checkpoints, what every reader reads.
- ``.wftui-commit.log``: the same bytes, appended and ``fdatasync``'d before a save is announced;
  the truth after a power cut, replayed on the first open in a later boot (``commitlog.py``).
- ``.<checkpoint_id>.json.<random>.tmp``: a save in progress (or interrupted by a crash); the
  next save removes those older than a minute, never the newest.
- ``.wftui-index.jsonl``, ``.wftui-summaries.jsonl``: the listing cache (``cache.py``).

Every listing reconciles the cache with the folder: rows whose file is gone are dropped, files
without a row (a crash between rename and append, a lost index, a copied-in file) are parsed and
added, and a file whose size or ctime differ from its row is parsed again before it is shown, so a
corrupt file is never reported as valid. Only regular files are read, never through a link, and
none over ``max_file_size``; anything else is reported and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.errors import CheckpointDecodingError, CheckpointError
from wftui.checkpoint.file import osio
from wftui.checkpoint.file.bulk import no_cyclic_collection
from wftui.checkpoint.file.cache import (
    CHANGED,
    LENGTH,
    NAME,
    OFFSET,
    ORDER,
    PLACE,
    SIZE,
    TS,
    WF,
    Entry,
    IndexCache,
    Row,
    SummaryReader,
    parse_summary,
)
from wftui.checkpoint.file.commitlog import CommitLog
from wftui.checkpoint.file.watch import watch_folder
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER, CheckpointSerializer

DEFAULT_MAX_FILE_SIZE = 256 << 20
STALE_TEMP_SECONDS = 60.0
_SETTLED_NS = 200_000_000  # a folder mtime this old is past any file system clock tick
_INTERNAL_PREFIX = ".wftui-"
_SUFFIX = ".json"
_FILE_NAME = osio.CHECKPOINT_FILE

Checked = tuple[WorkflowCheckpoint, int, int]  # structure-validated checkpoint, size, ctime_ns
_log = logging.getLogger(__name__)


class FileCheckpointStorage:
    """A ``CheckpointStorage`` keeping one JSON file per checkpoint in ``storage_path``.

    The folder is created here, as agent-framework's storage does. A save is one worker-thread
    hop: temp file, write, rename (no sync), the bytes appended to the commit log and the log
    ``fdatasync``'d, then the cache rows. Listings also run in one hop.
    """

    def __init__(
        self,
        storage_path: str | Path,
        *,
        serializer: CheckpointSerializer = DEFAULT_SERIALIZER,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        self.storage_path = Path(storage_path)
        try:
            self.storage_path.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise CheckpointError(f"{storage_path} is a file, not a checkpoint folder") from None
        except OSError as error:
            raise CheckpointError(
                f"cannot create checkpoint folder {storage_path}: {error.strerror or error}"
            ) from None
        self.serializer = serializer
        self.max_file_size = max_file_size
        self._dir = os.fspath(self.storage_path)
        self._prefix = os.path.join(self._dir, "")  # + a name: a path in the folder
        self._cache = IndexCache(self._dir)
        self._log = CommitLog(self._dir, max_file_size)
        self._recovered = False
        self._lock = threading.Lock()  # guards the cache below; saves do not need it
        self._summary_cache: dict[str, tuple[Row, CheckpointSummary]] = {}
        self._bad: dict[str, tuple[int, int, str]] = {}  # name -> size, ctime_ns, reason
        self._problems: list[ListingProblem] = []
        self._swept = False
        self._folder_stamp: tuple[int, int] | None = None  # of the last full scan, if settled
        self._name_problems: list[ListingProblem] = []
        self._unindexed: list[str] = []

    @property
    def problems(self) -> list[ListingProblem]:
        """Files the last listing skipped, with the reason."""
        return list(self._problems)

    def _path(self, checkpoint_id: str) -> str:
        return os.path.join(self._dir, validate_checkpoint_id(checkpoint_id) + _SUFFIX)

    # ----- saving -----

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        path = self._path(checkpoint.checkpoint_id)
        data = self.serializer.dumps(checkpoint, encoded)
        await asyncio.to_thread(self._write, path, data, checkpoint.summary(len(data)))
        return checkpoint.checkpoint_id

    async def save_document(self, data: bytes) -> str:
        """Keep another store's document verbatim, once it parses (the copy path)."""
        parsed = self.serializer.parse(data)
        path = self._path(parsed.checkpoint_id)
        await asyncio.to_thread(self._write, path, data, parsed.summary(len(data)))
        return parsed.checkpoint_id

    def watch(self, after_seq: int = 0) -> AsyncIterator[Change]:
        """Saves and deletes by any process, derived by polling the folder (``watch.py``)."""
        return watch_folder(self._dir, self.serializer, after_seq)

    def _write(self, path: str, data: bytes, summary: CheckpointSummary) -> None:
        try:
            written = osio.write_visible(path, data)
            self._commit(path, summary.checkpoint_id, data)
        except OSError as error:
            raise CheckpointError(
                f"cannot save checkpoint {summary.checkpoint_id} to {self._dir}: "
                f"{error.strerror or error}"
            ) from error
        entry = (os.path.basename(path), summary, written.st_size, written.st_ctime_ns)
        self._cache.append([entry])
        self._sweep_once()

    def _commit(self, path: str, checkpoint_id: str, data: bytes) -> None:
        """Durable before announced: through the commit log, or (if the log is unusable, e.g.
        a link was put in its place) by syncing the file and the folder themselves."""
        try:
            self._log.commit_save(checkpoint_id, data)
        except osio.UnsafeFileError:
            osio.sync_file(path)
        except OSError:
            osio.discard(path)  # not durable: never leave it to look saved
            raise

    def _recover_once(self) -> None:
        """Replay the commit log if a power cut may have lost files (first use of this object);
        a folder this process cannot write is read as it is."""
        if self._recovered:
            return
        self._recovered = True
        try:
            self._log.recover()
        except OSError as error:
            _log.debug("commit log of %s not opened: %s", self._dir, error)

    def _sweep_once(self) -> None:
        """Remove temp files of saves interrupted over a minute ago (never the newest), at the
        first save or delete of this storage object."""
        if self._swept:
            return
        self._swept = True
        removed = osio.remove_stale_temps(self._dir, STALE_TEMP_SECONDS)
        if removed:
            _log.warning(
                "removed %d temporary files left by interrupted saves in %s", removed, self._dir
            )

    # ----- loading and deleting -----

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        loaded = await self.load_with_fragments(checkpoint_id)
        return None if loaded is None else loaded.checkpoint

    async def load_document(self, checkpoint_id: str) -> bytes | None:
        return await asyncio.to_thread(self._document, checkpoint_id)

    def _document(self, checkpoint_id: str) -> bytes | None:
        path = self._path(checkpoint_id)
        try:
            data, _ = self._read(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CheckpointError(
                f"cannot read checkpoint {checkpoint_id}: {error.strerror or error}"
            ) from error
        return data

    def _read(self, path: str) -> tuple[bytes, os.stat_result]:
        self._recover_once()
        return osio.read_regular(path, self.max_file_size)

    async def load_with_fragments(self, checkpoint_id: str) -> LoadedCheckpoint | None:
        data = await self.load_document(checkpoint_id)
        if data is None:
            return None
        path = self._path(checkpoint_id)
        try:
            raw = self.serializer.parse(data)
            _check_identity(raw, checkpoint_id)
            return self.serializer.decode_with_fragments(raw, self._document)
        except CheckpointDecodingError as error:
            raise CheckpointDecodingError(f"checkpoint {checkpoint_id} ({path}): {error}") from None

    async def delete_checkpoint(self, checkpoint_id: str) -> bool:
        return await asyncio.to_thread(self._delete, self._path(checkpoint_id))

    async def delete_checkpoints(self, checkpoint_ids: Sequence[str]) -> int:
        paths = list(dict.fromkeys(map(self._path, checkpoint_ids)))
        return sum([await asyncio.to_thread(self._delete, path) for path in paths])

    def _delete(self, path: str) -> bool:
        name = os.path.basename(path)
        self._recover_once()
        self._sweep_once()
        with self._lock:
            self._cache.rows.discard(name)
            self._summary_cache.pop(name, None)
            self._bad.pop(name, None)
            try:
                os.unlink(path)
            except FileNotFoundError:
                return False
            except OSError as error:
                raise CheckpointError(
                    f"cannot delete checkpoint {name[: -len(_SUFFIX)]} in {self._dir}: "
                    f"{error.strerror or error}"
                ) from error
            try:
                self._log.record_delete(name[: -len(_SUFFIX)])
            except OSError as error:  # only a replay after a power cut could bring it back
                _log.warning("deletion of %s not noted in the commit log: %s", name, error)
            return True

    # ----- listing -----

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        """Newest first. The summaries are the ones this storage keeps between listings (a
        copy each took half the time of a listing): read them, do not change them."""
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
            with SummaryReader(self._cache.summaries_path, whole=limit is None) as reader:
                if limit is None:
                    found = self._all_summaries(workflow_id, reader)
                else:
                    found = self._newest_summaries(workflow_id, limit, reader)
            return found  # shared with the cache (a copy each was half the time): read-only

    def _list_ids(self, workflow_id: str | None) -> list[str]:
        with self._lock:
            self._scan()
            return [row[NAME][: -len(_SUFFIX)] for row in self._current_rows(workflow_id)]

    def _list_checkpoints(self, workflow_id: str | None) -> list[WorkflowCheckpoint]:
        with self._lock, no_cyclic_collection():
            self._scan()
            # Every file is read whole below, which checks it better than its row could.
            rows = self._current_rows(workflow_id) if workflow_id else self._cache.rows.live()
            raws = []
            for row in rows:
                checked = self._check_file(row[NAME]) if _FILE_NAME.fullmatch(row[NAME]) else None
                if checked is not None:
                    raws.append(checked[0])
            checkpoints, problems = [], []
            for raw in sorted(raws, key=lambda cp: (cp.timestamp, cp.checkpoint_id)):
                try:
                    checkpoints.append(self.serializer.decode(raw, self._document))
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
                newest = self._cache.rows.newest(workflow_id, 1)
                if not newest:
                    return None
                row = newest[0]
                name = row[NAME]
                checked = self._check_file(name) if _FILE_NAME.fullmatch(name) else None
                if checked is None:
                    self._cache.rows.discard(name)
                    continue
                raw, size, changed = checked
                if (raw.timestamp, raw.workflow_id, size, changed) != row[TS : CHANGED + 1]:
                    self._adopt([(name, raw.summary(size), size, changed)])  # choose again
                    continue
                break
        return self.serializer.decode(raw, self._document)

    # ----- reconciling the cache with the folder -----

    def _problem(self, name: str, reason: str) -> None:
        self._problems.append(ListingProblem(path=os.path.join(self._dir, name), reason=reason))

    def _scan(self) -> None:
        """Reconcile the cache with the folder: drop rows of gone files, add unindexed files."""
        self._problems = []
        self._recover_once()
        names = self._names_if_changed()
        self._cache.read()
        for cache_file, reason in self._cache.unsafe.items():
            self._problem(cache_file, f"listing cache is {reason}")
        if names is None:  # no name added or removed since the last full scan
            self._problems.extend(self._name_problems)
            unindexed = [name for name in self._unindexed if self._cache.rows.row(name) is None]
        else:
            unindexed = self._reconcile(names)
        entries = []
        for name in unindexed:
            checked = self._check_file(name)
            if checked is not None:
                raw, size, changed = checked
                entries.append((name, raw.summary(size), size, changed))
        if entries:
            self._adopt(entries)
        if self._cache.wants_compaction():
            self._cache.compact()

    def _names_if_changed(self) -> set[str] | None:
        """The folder's names, or None when it is known unchanged since the last listing.

        A folder's mtime changes with every name added or removed, but only to the clock's
        coarse tick: it is trusted only once it is older than any tick, so a change in the
        same tick as the listing is not missed.
        """
        info = os.stat(self._dir)
        stamp = (info.st_ino, info.st_mtime_ns)
        if stamp == self._folder_stamp:
            return None
        names = set(os.listdir(self._dir))
        settled = time.time_ns() - info.st_mtime_ns > _SETTLED_NS
        self._folder_stamp = stamp if settled else None
        return names

    def _reconcile(self, names: set[str]) -> list[str]:
        """Drop rows of gone files; the checkpoint files without a row; other names reported."""
        rows = self._cache.rows
        for gone in rows.names() - names:
            rows.discard(gone)
            self._summary_cache.pop(gone, None)
        for gone in self._bad.keys() - names:
            del self._bad[gone]
        unindexed = []
        found = len(self._problems)
        for name in sorted(names.difference(rows.names())):
            if name.startswith(_INTERNAL_PREFIX):
                continue
            if name.startswith(".") and name.endswith(osio.TEMP_SUFFIX):
                self._problem(name, "temporary file of an unfinished or interrupted save; ignored")
            elif _FILE_NAME.fullmatch(name):
                unindexed.append(name)
            elif name.endswith(_SUFFIX):
                self._problem(name, "not a checkpoint: the file name is not a checkpoint id")
        self._name_problems = self._problems[found:]
        self._unindexed = unindexed
        return unindexed

    def _adopt(self, entries: list[Entry]) -> None:
        rows = self._cache.append(entries)
        self._cache.rows.add(rows)
        for row, (name, summary, _, _) in zip(rows, entries, strict=True):
            self._summary_cache[name] = (row, summary)
            self._bad.pop(name, None)

    def _check_file(self, name: str) -> Checked | None:
        """Parse a checkpoint file's structure (not its values); record why if it is unusable."""
        path = self._prefix + name
        try:
            known = self._bad.get(name)
            if known is not None:
                info = os.lstat(path)
                if known[:2] == (info.st_size, info.st_ctime_ns):
                    self._problem(name, known[2])
                    return None
            data, info = osio.read_regular(path, self.max_file_size)
        except FileNotFoundError:
            return None
        except OSError as error:
            self._problem(name, f"cannot read: {error.strerror or error}")
            return None
        try:
            raw = self.serializer.parse(data)
            _check_identity(raw, name[: -len(_SUFFIX)])
        except CheckpointDecodingError as error:
            self._bad[name] = (info.st_size, info.st_ctime_ns, str(error))
            self._problem(name, str(error))
            return None
        return raw, len(data), info.st_ctime_ns

    def _verify(self, row: Row) -> Row | None:
        """The row if its file is unchanged since indexed; re-read (or dropped) if not."""
        name = row[NAME]
        if _FILE_NAME.fullmatch(name) is None:
            self._cache.rows.discard(name)
            return None
        try:
            info = os.lstat(self._prefix + name)
        except OSError:
            self._cache.rows.discard(name)
            return None
        if info.st_size == row[SIZE] and info.st_ctime_ns == row[CHANGED]:
            return row
        return self._reindex(name)

    def _reindex(self, name: str) -> Row | None:
        self._cache.rows.discard(name)
        self._summary_cache.pop(name, None)
        checked = self._check_file(name)
        if checked is None:
            return None
        raw, size, changed = checked
        self._adopt([(name, raw.summary(size), size, changed)])
        return self._cache.rows.row(name)

    def _summary(self, row: Row, reader: SummaryReader) -> tuple[Row, CheckpointSummary] | None:
        """A verified row and its summary: from memory, the summaries file, or the file itself."""
        current = self._verify(row)
        if current is None:
            return None
        name = current[NAME]
        cached = self._summary_cache.get(name)
        if cached is not None and cached[0] == current:
            return current, cached[1]
        summary = parse_summary(reader.read(current[OFFSET], current[LENGTH]))
        if (
            summary is None
            or summary.checkpoint_id + _SUFFIX != name
            or summary.size_bytes != current[SIZE]
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
        for row in self._cache.rows.live():
            checked = self._verify(row)
            if checked is not None and (workflow_id is None or checked[WF] == workflow_id):
                current.append(checked)
        current.sort(key=ORDER)
        return current

    def _all_summaries(
        self, workflow_id: str | None, reader: SummaryReader
    ) -> list[CheckpointSummary]:
        found = []
        for row in self._cache.rows.live():
            checked = self._summary(row, reader)
            if checked is not None and (workflow_id is None or checked[0][WF] == workflow_id):
                found.append(checked)
        found.sort(key=lambda pair: ORDER(pair[0]), reverse=True)
        return [summary for _, summary in found]

    def _newest_summaries(
        self, workflow_id: str | None, limit: int, reader: SummaryReader
    ) -> list[CheckpointSummary]:
        """Rank by the rows, then verify only the winners; re-rank if one changed or vanished."""
        while True:
            found = []
            for row in self._cache.rows.newest(workflow_id, limit):
                checked = self._summary(row, reader)
                if checked is None or PLACE(checked[0]) != PLACE(row):
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
