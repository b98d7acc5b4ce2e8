"""The folder listing: reconcile the listing cache with the files, then answer listings from it.

Every listing reconciles the cache (``cache.py``) with the folder: rows whose file is gone are
dropped, files without a row (a crash between rename and append, a lost index, a copied-in file)
are parsed and added, and a file whose size or ctime differ from its row is parsed again before it
is shown, so a corrupt file is never reported as valid. Only regular files are read, never through
a link, and none over ``max_file_size``; anything else is reported in ``problems`` and skipped.

Answers are parsed checkpoints, not decoded ones: decoding values is the storage's part. Not
thread-safe: the storage calls it under its lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from operator import attrgetter

from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.file import osio
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
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.serializer import CheckpointSerializer

SUFFIX = ".json"
_SETTLED_NS = 200_000_000  # a folder mtime this old is past any file system clock tick
_INTERNAL_PREFIX = ".wftui-"
_FILE_NAME = osio.CHECKPOINT_FILE
_TIME_ORDER = attrgetter("timestamp", "checkpoint_id")

Checked = tuple[WorkflowCheckpoint, int, int]  # structure-validated checkpoint, size, ctime_ns


class FolderListing:
    """The listing cache of one checkpoint folder, kept true to the files at every listing.

    ``recover`` runs before each scan (the storage replays its commit log there once).
    """

    def __init__(
        self,
        folder: str,
        serializer: CheckpointSerializer,
        max_file_size: int,
        recover: Callable[[], None],
    ) -> None:
        self._dir = folder
        self._prefix = os.path.join(folder, "")  # + a name: a path in the folder
        self._serializer = serializer
        self._max_file_size = max_file_size
        self._recover = recover
        self._cache = IndexCache(folder)
        self._summary_cache: dict[str, tuple[Row, CheckpointSummary]] = {}
        self._bad: dict[str, tuple[int, int, str]] = {}  # name -> size, ctime_ns, reason
        self.problems: list[ListingProblem] = []  # of the last listing
        self._folder_stamp: tuple[int, int] | None = None  # of the last full scan, if settled
        self._name_problems: list[ListingProblem] = []
        self._unindexed: list[str] = []

    # ----- listings -----

    def summaries(self, workflow_id: str | None, limit: int | None) -> list[CheckpointSummary]:
        """Newest first; shared with the cache (a copy each was half the time): read-only."""
        self._scan()
        with SummaryReader(self._cache.summaries_path, whole=limit is None) as reader:
            if limit is None:
                return self._all_summaries(workflow_id, reader)
            return self._newest_summaries(workflow_id, limit, reader)

    def ids(self, workflow_id: str | None) -> list[str]:
        """Oldest first."""
        self._scan()
        return [row[NAME][: -len(SUFFIX)] for row in self._current_rows(workflow_id)]

    def checkpoints(
        self, workflow_id: str | None, load: Callable[[bytes], WorkflowCheckpoint]
    ) -> list[WorkflowCheckpoint]:
        """Every listed file read whole and made a checkpoint by ``load`` (the storage's parse
        and decode in one), oldest first."""
        if workflow_id is None:  # every file is read whole: the folder's names are enough
            self.problems = []
            self._recover()
            names = self._checkpoint_names(os.listdir(self._dir))
        else:  # the cache says which files belong to the run
            self._scan()
            names = [row[NAME] for row in self._current_rows(workflow_id)]
        found = []
        for name in names:
            checked = self._check_file(name, load)
            if checked is not None:
                found.append(checked[0])
        found.sort(key=_TIME_ORDER)
        return found

    def latest(self, workflow_id: str | None) -> WorkflowCheckpoint | None:
        """The newest candidate read whole (values not yet decoded); a corrupt one is skipped
        (and reported)."""
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
            return raw

    def saved(self, entry: Entry) -> None:
        """A file this process just wrote: its row and summary appended to the cache files (the next
        listing reads them back), without parsing the file again."""
        self._cache.append([entry])

    def forget(self, name: str) -> None:
        """A file about to be deleted: no row, summary or known fault of it is kept."""
        self._cache.rows.discard(name)
        self._summary_cache.pop(name, None)
        self._bad.pop(name, None)

    # ----- reconciling the cache with the folder -----

    def problem(self, name: str, reason: str) -> None:
        """Report ``name`` in this listing's problems."""
        self.problems.append(ListingProblem(path=os.path.join(self._dir, name), reason=reason))

    def _scan(self) -> None:
        """Reconcile the cache with the folder: drop rows of gone files, add unindexed files."""
        self.problems = []
        self._recover()
        names = self._names_if_changed()
        self._cache.read()
        for cache_file, reason in self._cache.unsafe.items():
            self.problem(cache_file, f"listing cache is {reason}")
        if names is None:  # no name added or removed since the last full scan
            self.problems.extend(self._name_problems)
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
        found = len(self.problems)
        unindexed = self._checkpoint_names(sorted(names.difference(rows.names())))
        self._name_problems = self.problems[found:]
        self._unindexed = unindexed
        return unindexed

    def _checkpoint_names(self, names: Iterable[str]) -> list[str]:
        """The names of checkpoint files; temp files and other ``.json`` files are reported."""
        found = []
        for name in names:
            if _FILE_NAME.fullmatch(name):
                found.append(name)
            elif name.startswith(_INTERNAL_PREFIX):
                continue
            elif name.startswith(".") and name.endswith(osio.TEMP_SUFFIX):
                self.problem(name, "temporary file of an unfinished or interrupted save; ignored")
            elif name.endswith(SUFFIX):
                self.problem(name, "not a checkpoint: the file name is not a checkpoint id")
        return found

    def _adopt(self, entries: list[Entry]) -> None:
        rows = self._cache.append(entries)
        self._cache.rows.add(rows)
        for row, (name, summary, _, _) in zip(rows, entries, strict=True):
            self._summary_cache[name] = (row, summary)
            self._bad.pop(name, None)

    def _check_file(
        self, name: str, load: Callable[[bytes], WorkflowCheckpoint] | None = None
    ) -> Checked | None:
        """Parse a checkpoint file's structure (not its values), or ``load`` it whole; say why
        if it is unusable, and remember it when its structure is at fault (a value that cannot
        be decoded now may be once its type is registered)."""
        path = self._prefix + name
        try:
            known = self._bad.get(name)
            if known is not None:
                info = os.lstat(path)
                if known[:2] == (info.st_size, info.st_ctime_ns):
                    self.problem(name, known[2])
                    return None
            data, info = osio.read_regular(path, self._max_file_size)
        except FileNotFoundError:
            return None
        except OSError as error:
            self.problem(name, f"cannot read: {error.strerror or error}")
            return None
        try:
            raw = self._serializer.parse(data) if load is None else load(data)
            check_identity(raw, name[: -len(SUFFIX)])
        except CheckpointDecodingError as error:
            if load is None:
                self._bad[name] = (info.st_size, info.st_ctime_ns, str(error))
            self.problem(name, str(error))
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
            or summary.checkpoint_id + SUFFIX != name
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


def check_identity(raw: WorkflowCheckpoint, checkpoint_id: str) -> None:
    """A file must hold the checkpoint its name says."""
    if raw.checkpoint_id != checkpoint_id:
        raise CheckpointDecodingError(
            f"the file holds checkpoint {raw.checkpoint_id!r}, not {checkpoint_id!r} "
            "(renamed or copied by hand?)"
        )
