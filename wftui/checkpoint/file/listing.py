"""The folder listing: the answers (newest-N, all summaries, ids, whole checkpoints, the
latest), each from the reconciled cache (``reconcile.py``) or, for newest-N and the latest in a
fresh process, from the recent file while it still holds (``recent.py``).

Whole checkpoints come parsed (``latest``) or made by a ``load`` the storage hands in (parse and
decode in one, for bulk loads): decoding values is the storage's part. Not thread-safe: the
storage calls it under its lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import attrgetter

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
    Link,
    Row,
    SummaryReader,
)
from wftui.checkpoint.file.reconcile import FILE_NAME, SUFFIX, ReconciledCache, check_identity
from wftui.checkpoint.file.summaries import (
    CTIME,
    ID,
    Compact,
    parse_compact,
    parse_many,
    summary_of,
)
from wftui.checkpoint.file.summaries import RUN as SUMMARY_RUN
from wftui.checkpoint.file.summaries import SIZE as SUMMARY_SIZE
from wftui.checkpoint.file.summaries import TS as SUMMARY_TS
from wftui.checkpoint.model import CheckpointSummary, WorkflowCheckpoint

__all__ = ["SUFFIX", "FolderListing", "check_identity"]

_TIME_ORDER = attrgetter("timestamp", "checkpoint_id")
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _compact_order(summary: Compact) -> tuple[str, str]:
    """A summary's place in the index's time order: (timestamp, file name), as ``ORDER``."""
    return summary[SUMMARY_TS], summary[ID] + SUFFIX


@contextmanager
def _folder_descriptor(folder: str) -> Iterator[int | None]:
    """A descriptor of ``folder`` to ``lstat`` its files by (``os.stat(name, dir_fd=...)``), so
    the kernel does not walk the folder's path again for each of 100,000 files (a tenth of
    each call); None if the folder cannot be opened for reading (then by path)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


_BATCH = 256  # summary lines parsed at once: few calls, little memory held at a time


class FolderListing(ReconciledCache):
    """Listings of one checkpoint folder, kept true to its files."""

    # ----- listings -----

    def summaries(self, workflow_id: str | None, limit: int | None) -> list[CheckpointSummary]:
        """Newest first, made from the compact cache at each call; read-only (they share one
        set of fields set, ``summaries.py``)."""
        if limit is not None and not self._scanned:
            found = self._recent_summaries(workflow_id, limit)
            if found is not None:
                return found
        self._scan()
        with SummaryReader(self._cache.summaries_path) as reader:
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
        folder = os.open(self._dir, _FOLDER)
        try:
            for name in names:
                checked = self._check_file(name, load, folder)
                if checked is not None:
                    found.append(checked[0])
        finally:
            os.close(folder)
        found.sort(key=_TIME_ORDER)
        return found

    def latest(self, workflow_id: str | None) -> WorkflowCheckpoint | None:
        """The newest candidate read whole (values not yet decoded); a corrupt one is skipped
        (and reported)."""
        if not self._scanned:
            answered, raw = self._recent_latest(workflow_id)
            if answered:
                return raw
        self._scan()
        while True:
            newest = self._cache.rows.newest(workflow_id, 1)
            if not newest:
                return None
            row = newest[0]
            name = row[NAME]
            checked = self._check_file(name) if FILE_NAME.fullmatch(name) else None
            if checked is None:
                self._cache.rows.discard(name)
                continue
            raw, size, changed = checked
            if (raw.timestamp, raw.workflow_id, size, changed) != row[TS : CHANGED + 1]:
                self._adopt([(name, raw.summary(size), size, changed)])  # choose again
                continue
            return raw

    def saved(self, entries: list[Entry], link: Link | None) -> None:
        """Files this process just wrote: their rows and summaries appended to the cache files (the
        next listing reads them back), without parsing the files again, with the link of the
        saves that wrote them (``recent.py``)."""
        self._append(entries, link)

    def deleted(self, link: Link) -> None:
        """A file this process just deleted, with the link of its delete (``recent.py``)."""
        self._cache.append_link(link)

    def identity(self, checkpoint_id: str) -> tuple[str, str] | None:
        """(timestamp, workflow id) of a checkpoint this listing has read, else None; called
        from a watcher's thread, so only a dict lookup."""
        compact = self._summary_cache.get(checkpoint_id + SUFFIX)
        return None if compact is None else (compact[SUMMARY_TS], compact[SUMMARY_RUN])

    def forget(self, name: str) -> None:
        """A file about to be deleted: no row, summary or known fault of it is kept."""
        self._cache.rows.discard(name)
        self._summary_cache.pop(name, None)
        self._bad.pop(name, None)

    # ----- the recent file: newest-N for a fresh process -----

    def _recent_rows(self, workflow_id: str | None) -> tuple[list[Row], bool] | None:
        """The rows the recent file may answer newest-N of ``workflow_id`` from, newest first,
        and whether they are all of its rows, if the file still holds (its problems are reported
        again); None when the long way must answer."""
        self.problems = []
        self._recover()
        recent = self._recent.current(self._cache.index_path)
        if recent is None:
            return None
        self._bad.update(recent.bad)
        for name, reason in recent.problems:
            self.problem(name, reason)
        for name in recent.unindexed:
            if self._check_file(name) is not None:
                return None  # readable now: the long way indexes it
        return recent.candidates(workflow_id)

    def _recent_summaries(
        self, workflow_id: str | None, limit: int
    ) -> list[CheckpointSummary] | None:
        """From the recent file: rows of files deleted since are passed over; a file changed
        since, or too few rows, sends the listing the long way (None)."""
        candidates = self._recent_rows(workflow_id)
        if candidates is None:
            return None
        rows, complete = candidates
        found: list[CheckpointSummary] = []
        with SummaryReader(self._cache.summaries_path) as reader:
            for row in rows:
                if len(found) >= limit:
                    break
                unchanged = self._unchanged(row)
                if unchanged is None:
                    continue
                checked = self._summary(row, reader, reindex=False) if unchanged else None
                if checked is None:
                    return None
                found.append(summary_of(checked[1]))
        return found if len(found) >= limit or complete else None

    def _recent_latest(self, workflow_id: str | None) -> tuple[bool, WorkflowCheckpoint | None]:
        """(True, the newest checkpoint or None) from the recent file, or (False, None)."""
        candidates = self._recent_rows(workflow_id)
        if candidates is None:
            return False, None
        rows, complete = candidates
        for row in rows:
            name = row[NAME]
            checked = self._check_file(name) if FILE_NAME.fullmatch(name) else None
            if checked is None:
                if self._unchanged(row) is None:
                    continue  # deleted since
                return False, None
            raw, size, changed = checked
            return (raw.timestamp, raw.workflow_id, size, changed) == row[TS : CHANGED + 1], raw
        return complete, None

    def _summary(
        self, row: Row, reader: SummaryReader, reindex: bool = True
    ) -> tuple[Row, Compact] | None:
        """A verified row and its summary: from memory, the summaries file, or (``reindex``) the
        file itself; without ``reindex``, the row is taken as verified and None is returned for
        a summary that does not check out."""
        current = self._verify(row) if reindex else row
        if current is None:
            return None
        name = current[NAME]
        cached = self._summary_cache.get(name)
        if cached is not None and (cached[SUMMARY_SIZE], cached[CTIME]) == current[SIZE:OFFSET]:
            return current, cached
        line = reader.read(current[OFFSET], current[LENGTH])
        summary = parse_compact(line, current, self._shared)
        if (
            summary is None
            or summary[ID] + SUFFIX != name
            or summary[SUMMARY_SIZE] != current[SIZE]
        ):
            if not reindex:
                return None
            current = self._reindex(name)
            if current is None:
                return None
            return current, self._summary_cache[name]
        self._summary_cache[name] = summary
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
        """Newest first along the index's time order (sorted again only if a file was read
        again). A row whose file and summary are as remembered costs one ``lstat`` (by the
        folder's descriptor: no path walked per file) and makes no row tuple; the summaries of
        the others are read in batches (``parse_many``). At 100,000 rows the tuples made per
        row were most of what a warm listing allocated besides the summaries it returns."""
        rows = self._cache.rows
        names, runs = rows.column(NAME), rows.column(WF)
        sizes, changes = rows.column(SIZE), rows.column(CHANGED)
        remembered = self._summary_cache
        found: list[Compact | None] = []
        unread: list[tuple[int, Row]] = []  # where in ``found``, the verified row
        moved = False
        stat = os.stat
        with _folder_descriptor(self._dir) as fd:
            prefix = "" if fd is not None else self._prefix
            for position in rows.newest_positions():
                name = names[position]
                summary = remembered.get(name)
                # A remembered name was checked when it was remembered; others are checked
                # here, before the name is used as a path.
                if summary is not None or FILE_NAME.fullmatch(name):
                    try:
                        info: os.stat_result | None = stat(
                            prefix + name, dir_fd=fd, follow_symlinks=False
                        )
                    except OSError:
                        info = None
                    if (
                        info is not None
                        and info.st_size == sizes[position]
                        and info.st_ctime_ns == changes[position]
                    ):
                        if summary is None or (summary[SUMMARY_SIZE], summary[CTIME]) != (
                            info.st_size,
                            info.st_ctime_ns,
                        ):
                            unread.append((len(found), rows.row_at(position)))
                            found.append(None)
                        elif workflow_id is None or runs[position] == workflow_id:
                            found.append(summary)
                        continue
                row = rows.row_at(position)
                current = self._verify(row)
                if current is None:
                    continue
                moved |= current is not row
                summary = remembered.get(current[NAME])
                if (
                    summary is None
                    or (summary[SUMMARY_SIZE], summary[CTIME]) != current[SIZE:OFFSET]
                ):
                    unread.append((len(found), current))
                    found.append(None)
                elif workflow_id is None or current[WF] == workflow_id:
                    found.append(summary)
        for start in reversed(range(0, len(unread), _BATCH)):  # oldest first: parents first
            batch = unread[start : start + _BATCH]
            moved |= self._read_summaries(batch, reader, found, workflow_id)
        summaries = [summary for summary in found if summary is not None]
        if moved:
            summaries.sort(key=_compact_order, reverse=True)
        return [summary_of(summary) for summary in summaries]

    def _read_summaries(
        self,
        unread: list[tuple[int, Row]],
        reader: SummaryReader,
        found: list[Compact | None],
        workflow_id: str | None,
    ) -> bool:
        """Fill ``found`` with the summaries of verified rows (of ``workflow_id`` if given) from
        the summaries file, or from their files where a line does not check out; True if a
        file was read again."""
        rows = [row for _, row in unread]
        lines = reader.read_many([(row[OFFSET], row[LENGTH]) for row in rows])
        moved = False
        parsed = parse_many(lines, rows, self._shared, self._same_id)
        for (at, row), summary in zip(unread, parsed, strict=True):
            name = row[NAME]
            if (
                summary is None
                or summary[ID] + SUFFIX != name
                or summary[SUMMARY_SIZE] != row[SIZE]
            ):
                current = self._reindex(name)
                if current is None:
                    continue
                moved = True
                row, summary = current, self._summary_cache[name]
            else:
                self._summary_cache[name] = summary
            if workflow_id is None or row[WF] == workflow_id:
                found[at] = summary
        return moved

    def _same_id(self, checkpoint_id: str) -> str:
        """The id string of the summary remembered for ``checkpoint_id``, if there is one (so a
        parent id costs no string of its own), else ``checkpoint_id`` itself."""
        compact = self._summary_cache.get(checkpoint_id + SUFFIX)
        if compact is not None and compact[ID] == checkpoint_id:
            return str(compact[ID])
        return checkpoint_id

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
                found.append(summary_of(checked[1]))
            else:
                return found
