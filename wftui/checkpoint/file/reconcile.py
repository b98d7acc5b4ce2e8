"""The listing cache kept true to the folder's files, the part every listing starts with.

Every full listing reconciles the cache (``cache.py``) with the folder: rows whose file is gone
are dropped, files without a row (a crash between rename and append, a lost index, a copied-in
file) are parsed and added, and a file whose size or ctime differ from its row is parsed again
before it is shown, so a corrupt file is never reported as valid. Only regular files are read,
never through a link, and none over ``max_file_size``; anything else is reported in ``problems``
and skipped. Once the folder's names are known and settled, a scan records the newest rows in
the recent file (``recent.py``) for fresh processes.

Not thread-safe: the storage calls it under its lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.file import osio
from wftui.checkpoint.file.cache import CHANGED, NAME, OFFSET, SIZE, Entry, IndexCache, Link, Row
from wftui.checkpoint.file.recent import NEWEST_NAME, FolderWitness, Recent, RecentFile, select
from wftui.checkpoint.file.summaries import Compact, compact_of
from wftui.checkpoint.model import ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.serializer import CheckpointSerializer

SUFFIX = ".json"
_SETTLED_NS = 200_000_000  # a folder mtime this old is past any file system clock tick
_INTERNAL_PREFIX = ".wftui-"
FILE_NAME = osio.CHECKPOINT_FILE

Checked = tuple[WorkflowCheckpoint, int, int]  # structure-validated checkpoint, size, ctime_ns


class ReconciledCache:
    """The listing cache of one checkpoint folder and what the last scan found in the folder.

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
        self._recent = RecentFile(folder)
        self._scanned = False  # no full scan yet: newest-N may come from the recent file
        self._summary_cache: dict[str, Compact] = {}  # file name -> its summary, compact
        self._shared: dict[Any, Any] = {}  # one object per repeated value of those summaries
        self._bad: dict[str, tuple[int, int, str]] = {}  # name -> size, ctime_ns, reason
        self.problems: list[ListingProblem] = []  # of the last listing
        self._folder_stamp: tuple[int, int] | None = None  # of the last full scan, if settled
        self._name_problems: list[ListingProblem] = []
        self._unindexed: list[str] = []

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
        kind = osio.irregular(self._recent.path)
        if kind is not None:
            self.problem(NEWEST_NAME, f"listing cache is {kind}; not used")
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
            self._compact()
        self._remember_recent()
        self._scanned = True

    def _compact(self) -> None:
        """Compact the index (and create the recent file for a store indexed before it
        existed); their renames change the folder's mtime, so the folder is known unchanged
        afterwards only if nothing else changed it meanwhile (a link, as for a save)."""
        witness = FolderWitness(self._dir)
        with witness:
            self._cache.compact()
            self._recent.create()
        link = witness.link()
        if self._folder_stamp is not None and link is not None and link[:2] == self._folder_stamp:
            self._folder_stamp = link[0], link[2]
        else:
            self._folder_stamp = None

    def _remember_recent(self) -> None:
        """Write the recent file once the folder's names are known and settled."""
        position = self._cache.position
        if self._folder_stamp is None or position is None:
            return
        rows, bounds = select(self._cache.rows.walk_newest())
        unindexed = [name for name in self._unindexed if self._cache.rows.row(name) is None]
        recent = Recent(
            folder=self._folder_stamp,
            index=position,
            rows=rows,
            bounds=bounds,
            problems=[(os.path.basename(p.path), p.reason) for p in self._name_problems],
            unindexed=unindexed,
            bad={name: self._bad[name] for name in unindexed if name in self._bad},
        )
        self._recent.write(recent)

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
            if FILE_NAME.fullmatch(name):
                found.append(name)
            elif name.startswith(_INTERNAL_PREFIX):
                continue
            elif name.startswith(".") and name.endswith(osio.TEMP_SUFFIX):
                self.problem(name, "temporary file of an unfinished or interrupted save; ignored")
            elif name.endswith(SUFFIX):
                self.problem(name, "not a checkpoint: the file name is not a checkpoint id")
        return found

    def _append(self, entries: list[Entry], link: Link | None = None) -> list[Row]:
        rows = self._cache.append(entries, link)
        if rows[0][OFFSET] == 0:  # the cache's first rows: the recent file comes with them
            self._recent.create()
        return rows

    def _adopt(self, entries: list[Entry]) -> None:
        rows = self._append(entries)
        self._cache.rows.add(rows)
        for row, (name, summary, _, _) in zip(rows, entries, strict=True):
            self._summary_cache[name] = compact_of(summary, row, self._shared)
            self._bad.pop(name, None)

    def _check_file(
        self,
        name: str,
        load: Callable[[bytes], WorkflowCheckpoint] | None = None,
        folder: int | None = None,
    ) -> Checked | None:
        """Parse a checkpoint file's structure (not its values), or ``load`` it whole; say why
        if it is unusable, and remember it when its structure is at fault (a value that cannot
        be decoded now may be once its type is registered). ``folder``: the folder held open
        by a caller reading many files."""
        path = self._prefix + name
        try:
            known = self._bad.get(name)
            if known is not None:
                info = os.lstat(path)
                if known[:2] == (info.st_size, info.st_ctime_ns):
                    self.problem(name, known[2])
                    return None
            if folder is None:
                data, info = osio.read_regular(path, self._max_file_size)
            else:
                data, info = osio.read_regular(name, self._max_file_size, folder=folder)
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
        unchanged = self._unchanged(row)
        if unchanged:
            return row
        if unchanged is None:
            self._cache.rows.discard(row[NAME])
            return None
        return self._reindex(row[NAME])

    def _unchanged(self, row: Row) -> bool | None:
        """Whether the row's file has the size and ctime the row says; None if it is gone (or
        the row names no checkpoint file)."""
        name = row[NAME]
        if FILE_NAME.fullmatch(name) is None:
            return None
        try:
            info = os.lstat(self._prefix + name)
        except OSError:
            return None
        return bool(info.st_size == row[SIZE] and info.st_ctime_ns == row[CHANGED])

    def _reindex(self, name: str) -> Row | None:
        self._cache.rows.discard(name)
        self._summary_cache.pop(name, None)
        checked = self._check_file(name)
        if checked is None:
            return None
        raw, size, changed = checked
        self._adopt([(name, raw.summary(size), size, changed)])
        return self._cache.rows.row(name)


def check_identity(raw: WorkflowCheckpoint, checkpoint_id: str) -> None:
    """A file must hold the checkpoint its name says."""
    if raw.checkpoint_id != checkpoint_id:
        raise CheckpointDecodingError(
            f"the file holds checkpoint {raw.checkpoint_id!r}, not {checkpoint_id!r} "
            "(renamed or copied by hand?)"
        )
