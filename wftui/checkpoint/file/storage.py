"""Checkpoints as one readable JSON file each: the storage class, written atomically and durably.

Layout of the folder:

- ``<checkpoint_id>.json``: the checkpoints, what every reader reads.
- ``.wftui-commit.log``: the same bytes, appended and ``fdatasync``'d before a save is announced
  (saves waiting together by one sync); the truth after a power cut, replayed on the first open
  in a later boot (``commitlog.py``).
- ``.<checkpoint_id>.json.<random>.tmp``: a save in progress (or interrupted by a crash); the
  next save removes those older than a minute, never the newest.
- ``.wftui-index.jsonl``, ``.wftui-summaries.jsonl``: the listing cache (``cache.py``), kept true
  to the files at every listing (``reconcile.py``, ``listing.py``).
- ``.wftui-newest``: the newest rows of that cache, for a fresh process's newest-N and
  ``get_latest`` while the folder is unchanged (``recent.py``).

This module is the ``CheckpointStorage`` facade: saving, loading and deleting (with the commit
log and the sweep of stale temp files), and decoding what the listing parsed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from pathlib import Path

from wftui.bulk import no_cyclic_collection
from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.errors import CheckpointDecodingError, CheckpointError
from wftui.checkpoint.file import osio
from wftui.checkpoint.file.commitlog import commit_log
from wftui.checkpoint.file.group import GroupJob, write_group
from wftui.checkpoint.file.listing import SUFFIX, FolderListing, check_identity
from wftui.checkpoint.file.recent import FolderWitness
from wftui.checkpoint.file.watch import logged_seq, watch_folder
from wftui.checkpoint.file.worker import WORKER
from wftui.checkpoint.file.writer import SAVES, SaveJob
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.references import is_reference
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER, CheckpointSerializer

DEFAULT_MAX_FILE_SIZE = 256 << 20
STALE_TEMP_SECONDS = 60.0
_UNSAVED_KEPT = 1024
_log = logging.getLogger(__name__)
# When this process last swept each folder (path, device, inode) of stale temp files: a sweep
# lists the whole folder, and a storage object made per run (``wftui run``, a server's request)
# paid that at its first save though nothing can turn stale in less than STALE_TEMP_SECONDS.
_swept_at: dict[tuple[str, int, int], float] = {}


def _referred(encoded: EncodedFragments) -> frozenset[str]:
    """The checkpoints whose values a checkpoint's stored forms refer to."""
    return frozenset(
        stored["cp"]
        for section in (encoded.executor_states, encoded.shared_state)
        for _, stored in section.values()
        if is_reference(stored)
    )


class FileCheckpointStorage:
    """A ``CheckpointStorage`` keeping one JSON file per checkpoint in ``storage_path``.

    The folder is created here, as agent-framework's storage does. A save is encoded by the
    caller and written by the process's save thread (``writer.py``): temp file, write, rename
    (no sync), then the bytes of every save waiting appended to the commit log and the log
    ``fdatasync``'d once, then the cache rows. Listings run in one thread hop.
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
        self._log = commit_log(self._dir, max_file_size)
        self._recovered = False
        self._lock = threading.Lock()  # guards the listing; saves do not need it
        self._listing = FolderListing(self._dir, serializer, max_file_size, self._recover_once)
        self._swept = False
        # Ids of recent saves that failed, so the saves that follow them fail too.
        self._unsaved: dict[str, None] = {}

    @property
    def problems(self) -> list[ListingProblem]:
        """Files the last listing skipped, with the reason."""
        return list(self._listing.problems)

    def _path(self, checkpoint_id: str) -> str:
        return os.path.join(self._dir, validate_checkpoint_id(checkpoint_id) + SUFFIX)

    # ----- saving -----

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        return await self.submit_checkpoint(checkpoint, encoded=encoded, waited=True)

    def submit_checkpoint(
        self,
        checkpoint: WorkflowCheckpoint,
        *,
        encoded: EncodedFragments | None = None,
        waited: bool = False,
    ) -> asyncio.Future[str]:
        """Start a save and return at once (``PipelinedStorage``): the future is settled once the
        checkpoint is durable, or with the ``CheckpointError``. Saves are written in the order
        they were submitted, and one whose parent failed to save fails too."""
        data = self.serializer.dumps(checkpoint, encoded)
        parent = checkpoint.parent_checkpoint_id
        refers = frozenset() if encoded is None else _referred(encoded)
        return self._submit(
            checkpoint.checkpoint_id, data, parent, checkpoint.summary, refers, waited
        )

    def hurry(self) -> None:
        """The saves submitted so far are waited for: written without holding them for later
        ones to join (``PipelinedStorage``, ``writer.HOLD_SECONDS``)."""
        SAVES.hurry()

    async def save_document(self, data: bytes) -> str:
        """Keep another store's document verbatim, once it parses (the copy path)."""
        parsed = self.serializer.parse(data)
        return await self._submit(parsed.checkpoint_id, data, None, parsed.summary, waited=True)

    def _submit(
        self,
        checkpoint_id: str,
        data: bytes,
        parent_id: str | None,
        summary: Callable[[int], CheckpointSummary],
        refers: frozenset[str] = frozenset(),
        waited: bool = False,
    ) -> asyncio.Future[str]:
        path = self._path(checkpoint_id)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        job = SaveJob(checkpoint_id, path, data, parent_id, summary, future, refers, waited)
        SAVES.submit(self, job)
        return future

    def watch(self, after_seq: int = 0) -> AsyncIterator[Change]:
        """Saves and deletes by any process, derived by polling the folder (``watch.py``)."""
        return watch_folder(self._dir, self.serializer, after_seq, self._listing.identity)

    async def last_seq(self) -> int:
        return await asyncio.to_thread(logged_seq, self._dir)

    def write_group(self, jobs: list[SaveJob]) -> None:
        """In the save thread: the group's files written and committed (``group.py``), by the
        save worker process when it is running (``worker.py``), else here; then the cache rows
        of each commit's saves, with the link the folder's witness saw around their renames."""
        work = [
            GroupJob(
                job.checkpoint_id,
                job.path,
                job.data,
                job.parent_id,
                job.refers,
                job.parent_id is not None and job.parent_id in self._unsaved,
            )
            for job in jobs
        ]
        # A save someone waits for at once is written here: that caller's loop is idle, so the
        # thread gets the GIL back at once, and a hop to the worker and back would only add.
        waited = any(job.waited for job in jobs)
        segments = None if waited else WORKER.write_group(self._dir, self.max_file_size, work)
        if segments is None:
            segments = write_group(self._dir, self.max_file_size, work, SAVES.spares)
        for link, outcomes in segments:
            rows = []
            for index, outcome in outcomes:
                job = jobs[index]
                if outcome.failure is not None:
                    self._failed(job, outcome.failure, where=outcome.where)
                    continue
                name = os.path.basename(job.path)
                rows.append((name, job.summary(len(job.data)), outcome.size, outcome.ctime_ns))
            if rows:
                # Before the answer: once a save returns, this storage is done with the folder.
                self._listing.saved(rows, link)
                self._sweep_once()

    def _failed(self, job: SaveJob, reason: str, *, where: bool = False) -> None:
        """Fail ``job`` with a clear error, and remember it so the saves following it fail."""
        place = f" to {self._dir}" if where else ""
        job.error = CheckpointError(f"cannot save checkpoint {job.checkpoint_id}{place}: {reason}")
        self._unsaved[job.checkpoint_id] = None
        if len(self._unsaved) > _UNSAVED_KEPT:
            del self._unsaved[next(iter(self._unsaved))]

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
        first save or delete of this storage object, unless this process swept the folder
        less than that minute ago."""
        if self._swept:
            return
        self._swept = True
        try:
            folder = os.stat(self._dir)
            key = (self._dir, folder.st_dev, folder.st_ino)
            now = time.monotonic()
            if now - _swept_at.get(key, -STALE_TEMP_SECONDS) < STALE_TEMP_SECONDS:
                return
            _swept_at[key] = now
            removed = osio.remove_stale_temps(self._dir, STALE_TEMP_SECONDS)
        except OSError as error:  # tidying up never fails a save or a delete
            _log.debug("temp files of %s not swept: %s", self._dir, error)
            return
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
            check_identity(raw, checkpoint_id)
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
        witness = FolderWitness(self._dir)
        with self._lock:
            self._listing.forget(name)
            try:
                with witness:
                    os.unlink(path)
            except FileNotFoundError:
                return False
            except OSError as error:
                raise CheckpointError(
                    f"cannot delete checkpoint {name[: -len(SUFFIX)]} in {self._dir}: "
                    f"{error.strerror or error}"
                ) from error
            try:
                self._log.record_delete(name[: -len(SUFFIX)])
            except OSError as error:  # only a replay after a power cut could bring it back
                _log.warning("deletion of %s not noted in the commit log: %s", name, error)
            link = witness.link(name)
            if link is not None:
                self._listing.deleted(link)
            return True

    # ----- listing -----

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        """Newest first. Read them, do not change them: made from the compact summaries this
        storage keeps between listings, they share strings and their set of fields set."""
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
        with self._lock, no_cyclic_collection():
            return self._listing.summaries(workflow_id, limit)

    def _list_ids(self, workflow_id: str | None) -> list[str]:
        with self._lock:
            return self._listing.ids(workflow_id)

    def _list_checkpoints(self, workflow_id: str | None) -> list[WorkflowCheckpoint]:
        load = partial(self.serializer.loads, documents=self._document)
        with self._lock, no_cyclic_collection():
            return self._listing.checkpoints(workflow_id, load)

    def _latest(self, workflow_id: str | None) -> WorkflowCheckpoint | None:
        """Read the newest candidate whole; skip it only if it is corrupt (and say so)."""
        with self._lock:
            raw = self._listing.latest(workflow_id)
        return None if raw is None else self.serializer.decode(raw, self._document)
