"""The checkpoint browser's tree of runs and branches, without Textual.

A store can hold 50,000 checkpoints, so nothing here is a widget or a rich object: each
checkpoint is one compact ``Record`` tuple (``records.py``), each run keeps its records by id
and a flat list of its visible rows (``run.py``), and the filter (``filtering.py``) is applied
per run. This module lays the runs out as numbered rows: the widget asks for row ``i`` and gets
a small tuple back; rows off screen are never built into text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import NamedTuple

from wftui.checkpoint.model import CheckpointSummary, ListingProblem
from wftui.ids import IdNames
from wftui.tui.browser.filtering import matches, matching_rows
from wftui.tui.browser.records import Record, record_of
from wftui.tui.browser.run import Flat, Run

__all__ = [
    "PROBLEMS_KEY",
    "CheckpointTree",
    "Record",
    "Row",
    "RowKind",
    "Run",
    "SummaryView",
    "matches",
    "record_of",
]


class RowKind(Enum):
    PROBLEMS = "problems"  # the one "⚠ N unreadable files" line
    PROBLEM = "problem"  # one unreadable file, shown when that line is open
    RUN = "run"
    CHECKPOINT = "checkpoint"


class Row(NamedTuple):
    """One visible line. ``key`` is a checkpoint id, a run id, or a problem's path."""

    kind: RowKind
    key: str
    depth: int = 0
    branch: bool = False  # the first checkpoint of a branch
    leaf: bool = False  # no checkpoint continues from it


PROBLEMS_KEY = "\x00problems"  # cannot clash with a run id, a checkpoint id or a path


class CheckpointTree:
    """Runs newest first, each collapsible, plus an optional line of listing problems.

    Row lookups are O(log runs): a prefix sum of each run's visible row count, rebuilt only
    after a change. Adding a checkpoint touches its own run only.
    """

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.by_id: dict[str, Run] = {}  # checkpoint id -> its run
        self.problems: list[ListingProblem] = []
        self.problems_open = False
        self.collapsed_runs: set[str] = set()
        self._needle = ""
        self._order: list[Run] | None = None  # newest run first
        self._offsets: list[int] | None = None  # first row of each run in _order
        self._filtered: dict[str, list[Flat]] = {}  # run id -> its matching rows
        self._value_hits: set[str] = set()  # checkpoints whose values hold the needle
        # Names shown for ids (``wftui.ids``): unique in the store, as the CLI prints them.
        self.names = IdNames()
        self.run_names = IdNames()
        self._intern: dict[object, object] = {}

    # ----- content -----

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, checkpoint_id: object) -> bool:
        return checkpoint_id in self.by_id

    def record(self, checkpoint_id: str) -> Record:
        return self.by_id[checkpoint_id].records[checkpoint_id]

    def add_all(self, summaries: Iterable[CheckpointSummary]) -> None:
        for summary in summaries:
            self._add(record_of(summary, self._intern))
        self._changed()

    def add(self, summary: CheckpointSummary) -> bool:
        """One new checkpoint; False when it is known already."""
        if summary.checkpoint_id in self.by_id:
            return False
        self._add(record_of(summary, self._intern))
        self._changed()
        return True

    def remove(self, checkpoint_id: str) -> bool:
        run = self.by_id.pop(checkpoint_id, None)
        if run is None:
            return False
        run.remove(checkpoint_id)
        self._filtered.pop(run.workflow_id, None)
        if not run.records:
            del self.runs[run.workflow_id]
        self._changed()
        return True

    def set_problems(self, problems: Iterable[ListingProblem]) -> None:
        self.problems = list(problems)
        self._changed()

    def parent(self, checkpoint_id: str) -> Record | None:
        parent_id = self.record(checkpoint_id).parent_id
        return self.record(parent_id) if parent_id is not None and parent_id in self.by_id else None

    # ----- what shows -----

    @property
    def filter_text(self) -> str:
        return self._needle

    def set_filter(self, text: str) -> None:
        self._needle = text.strip().lower()
        self._filtered = {}
        self._value_hits = set()
        self._changed()

    def add_value_hits(self, checkpoint_ids: Iterable[str]) -> None:
        """Checkpoints a search of their values found the filter's text in (the filter lets
        them through too); only their runs are filtered again."""
        for checkpoint_id in checkpoint_ids:
            run = self.by_id.get(checkpoint_id)
            if run is not None and checkpoint_id not in self._value_hits:
                self._value_hits.add(checkpoint_id)
                self._filtered.pop(run.workflow_id, None)
        self._changed()

    def toggle(self, row: Row, open_: bool | None = None) -> bool:
        """Open or close a run, a branch or the problems line; True when anything changed."""
        if row.kind is RowKind.PROBLEMS:
            target = not self.problems_open if open_ is None else open_
            changed, self.problems_open = target != self.problems_open, target
        elif row.kind is RowKind.RUN:
            changed = self._flip(self.collapsed_runs, row.key, open_)
        elif row.kind is RowKind.CHECKPOINT and row.branch and not row.leaf:
            run = self.by_id[row.key]
            changed = self._flip(run.collapsed_branches, row.key, open_)
            if changed:
                run.flat = None
        else:
            return False
        if changed:
            self._changed()
        return changed

    def is_open(self, row: Row) -> bool:
        if row.kind is RowKind.PROBLEMS:
            return self.problems_open
        if row.kind is RowKind.RUN:
            return row.key not in self.collapsed_runs or bool(self._needle)
        if row.kind is RowKind.CHECKPOINT and row.branch and not row.leaf:
            return row.key not in self.by_id[row.key].collapsed_branches
        return False

    def __getitem__(self, index: int) -> Row:
        head = self._head_count()
        if index < head:
            if index == 0:
                return Row(RowKind.PROBLEMS, PROBLEMS_KEY)
            return Row(RowKind.PROBLEM, self.problems[index - 1].path, 1)
        order, offsets = self._layout()
        position = bisect_right(offsets, index - head) - 1
        run = order[position]
        within = index - head - offsets[position]
        if within == 0:
            return Row(RowKind.RUN, run.workflow_id)
        flat = self._rows_of(run)[within - 1]
        return Row(RowKind.CHECKPOINT, *flat)

    @property
    def row_count(self) -> int:
        order, offsets = self._layout()
        body = offsets[-1] + self._visible_count(order[-1]) if order else 0
        return self._head_count() + body

    def index_of(self, key: str) -> int | None:
        """The row showing ``key`` (a checkpoint, run or problem), if it is visible."""
        head = self._head_count()
        if key == PROBLEMS_KEY:
            return 0 if head else None
        if head > 1:
            for index, problem in enumerate(self.problems, start=1):
                if problem.path == key:
                    return index
        order, offsets = self._layout()
        run = self.runs.get(key)
        if run is not None:
            return head + offsets[order.index(run)] if run in order else None
        run = self.by_id.get(key)
        if run is None or run not in order or not self._open(run):
            return None
        for within, flat in enumerate(self._rows_of(run)):
            if flat.checkpoint_id == key:
                return head + offsets[order.index(run)] + 1 + within
        return None

    def reveal(self, checkpoint_id: str) -> int | None:
        """The row of ``checkpoint_id``, opening its run and branches first if they are closed."""
        run = self.by_id.get(checkpoint_id)
        if run is None:
            return None
        if self.index_of(checkpoint_id) is None:
            self.collapsed_runs.discard(run.workflow_id)
            run.collapsed_branches.clear()
            run.flat = None
            self._changed()
        return self.index_of(checkpoint_id)

    def matched_count(self) -> int:
        """Checkpoints the filter lets through, over every run."""
        self._layout()  # filters every run
        return sum(len(rows) for rows in self._filtered.values())

    # ----- internals -----

    def _add(self, record: Record) -> None:
        run = self.runs.get(record.workflow_id)
        if run is None:
            run = self.runs[record.workflow_id] = Run(record.workflow_id, record.timestamp)
        run.add(record)
        self.by_id[record.checkpoint_id] = run
        self.names.add(record.checkpoint_id)
        self.run_names.add(record.workflow_id)
        self._filtered.pop(run.workflow_id, None)

    @staticmethod
    def _flip(collapsed: set[str], key: str, open_: bool | None) -> bool:
        was_open = key not in collapsed
        target = not was_open if open_ is None else open_
        if target:
            collapsed.discard(key)
        else:
            collapsed.add(key)
        return target != was_open

    def _changed(self) -> None:
        """Row positions are stale; each run's own rows were reset where it changed."""
        self._order = None
        self._offsets = None

    def _head_count(self) -> int:
        if not self.problems:
            return 0
        return 1 + (len(self.problems) if self.problems_open else 0)

    def _open(self, run: Run) -> bool:
        return bool(self._needle) or run.workflow_id not in self.collapsed_runs

    def _rows_of(self, run: Run) -> list[Flat]:
        if not self._needle:
            return run.rows()
        rows = self._filtered.get(run.workflow_id)
        if rows is None:
            rows = self._filtered[run.workflow_id] = matching_rows(
                run, self._needle, self._value_hits
            )
        return rows

    def _visible_count(self, run: Run) -> int:
        """Rows of a run, its header included; laid out only when a branch is closed or filtered."""
        if not self._open(run):
            return 1
        if not self._needle and not run.collapsed_branches:
            return 1 + len(run.records)  # every checkpoint has one row
        return 1 + len(self._rows_of(run))

    def _layout(self) -> tuple[list[Run], list[int]]:
        if self._order is None or self._offsets is None:
            order = sorted(self.runs.values(), key=lambda r: (r.start, r.workflow_id))
            order.reverse()
            if self._needle:
                order = [
                    run
                    for run in order
                    if self._rows_of(run) or self._needle in run.workflow_id.lower()
                ]
            offsets, total = [], 0
            for run in order:
                offsets.append(total)
                total += self._visible_count(run)
            self._order, self._offsets = order, offsets
        return self._order, self._offsets


class SummaryView(Mapping[str, CheckpointSummary]):
    """The tree's checkpoints as summaries, built on access (the app reads a few at a time)."""

    def __init__(self, tree: CheckpointTree) -> None:
        self._tree = tree

    def __getitem__(self, checkpoint_id: str) -> CheckpointSummary:
        return self._tree.record(checkpoint_id).summary()

    def __contains__(self, checkpoint_id: object) -> bool:
        return checkpoint_id in self._tree

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._tree.by_id))

    def __len__(self) -> int:
        return len(self._tree)
