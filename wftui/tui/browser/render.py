"""The browser's rows as text cells, without Textual: what each column says and how wide it is.

A row is a list of ``(text, tone)`` cells whose widths add up to the pane's width, so the
status and time columns stay on screen however long a ``next`` list is (it folds instead:
``web_researcher +2``). Tones name a look; the widget maps them to styles.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from rich.cells import cell_len, set_cell_size

from wftui.checkpoint.model import CheckpointStatus
from wftui.journal import LOST, RUNNING
from wftui.tui.browser.model import CheckpointTree, Record, Row, RowKind
from wftui.tui.status import CHECKPOINT_LOOK, Mark
from wftui.tui.text import Clock, counted, parse_timestamp

Cell = tuple[str, str]  # text, tone

STEP_WIDTH = 4
STATUS_WIDTH = len(CHECKPOINT_LOOK[CheckpointStatus.AWAITING_HUMAN_INPUT][0])
TIME_WIDTH = 11  # "03-14 12:04"; today's "12:04:05" is right-aligned in it
# Below this width the status column keeps its mark only.
NARROW = 64
MAX_DEPTH = 6  # deeper branches stop indenting, so the columns keep their room
BRANCH_KIND = "branch"  # a branch whose checkpoint does not say which execution wrote it

# How a line that stopped in progress, with nobody running it, ended: by the kind that wrote it.
STOPPED_LOOK = {
    "step": f"{Mark.PAUSED} paused",
    "rerun": f"{Mark.PAUSED} paused",
    "fork": f"{Mark.FORKED} forked",
}

# How a line that stopped in progress ended when the journal says its execution never finished
# it: cancelled (Ctrl-C, ``q`` during a run) or lost (its heartbeats stopped: killed). This
# outranks the kind's look: a step cancelled halfway did not pause as asked.
ENDED_LOOK: Mapping[str, Cell] = {
    "cancelled": (f"{Mark.CANCELLED} stopped", "status"),
    LOST: (f"{Mark.FAILED} lost", "failed"),
}

# The tone of each checkpoint status (the widget styles tones; marks come from CHECKPOINT_LOOK).
STATUS_TONE = {
    CheckpointStatus.IN_PROGRESS: "status",
    CheckpointStatus.AWAITING_HUMAN_INPUT: "waiting",
    CheckpointStatus.COMPLETED: "completed",
    CheckpointStatus.FAILED: "failed",
}


def fit(text: str, width: int) -> str:
    """``text`` cut with an ellipsis or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def fold(names: tuple[str, ...], width: int) -> str:
    """As many names as fit, then ``+N`` for the rest: ``web_researcher +2``."""
    if not names:
        return "-"
    whole = ", ".join(names)
    if cell_len(whole) <= width:
        return whole
    for shown in range(len(names) - 1, 0, -1):
        text = f"{', '.join(names[:shown])} +{len(names) - shown}"
        if cell_len(text) <= width:
            return text
    rest = f" +{len(names) - 1}" if len(names) > 1 else ""
    return fit(names[0], max(width - len(rest), 1)).rstrip() + rest


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def status_cell(record: Record, leaf: bool, live: bool = False, ended: str | None = None) -> Cell:
    """What helps: failures, waits and outcomes, and how a line stopped where it stops.

    A line that stops in progress while nobody runs it says why: ``ended`` (the journal's
    status of the execution that wrote it) when it was cancelled or lost, else its kind: a step
    or rerun ``paused`` as asked, a fork waits to be resumed. ``live`` (its run runs now) or a
    running execution keeps ``in progress``.
    """
    if record.status is not CheckpointStatus.IN_PROGRESS:
        return CHECKPOINT_LOOK[record.status][0], STATUS_TONE[record.status]
    if not leaf:
        return "", "status"
    if live or ended == RUNNING:
        return CHECKPOINT_LOOK[record.status][0], STATUS_TONE[record.status]
    stopped = ENDED_LOOK.get(ended or "")
    if stopped is not None:
        return stopped
    if record.kind in STOPPED_LOOK:
        return STOPPED_LOOK[record.kind], "status"
    return CHECKPOINT_LOOK[record.status][0], STATUS_TONE[record.status]


def outcome_mark(main_end: Record | None, ended: str | None = None) -> Cell:
    """The run's outcome: how its main line ended, as one mark (a branch never decides it);
    ``ended`` as for ``status_cell``."""
    if main_end is None:
        return Mark.IN_PROGRESS.value, STATUS_TONE[CheckpointStatus.IN_PROGRESS]
    text, tone = status_cell(main_end, leaf=True, ended=ended)
    return text.split(" ", 1)[0], tone


def ending(record: Record, executions: tuple[tuple[float, str], ...]) -> str | None:
    """The journal's status of the execution that wrote ``record``: of its run's executions
    (start, status; oldest first), the last one started by the checkpoint's time."""
    if record.status is not CheckpointStatus.IN_PROGRESS or not executions:
        return None  # only a line stopped in progress asks (and drawing stays cheap)
    at = parse_timestamp(record.timestamp)
    found = None
    for started, status in executions:
        if started > at:
            break
        found = status
    return found


def branch_counts(branches: tuple[tuple[str, int], ...]) -> str:
    """``1 fork, 2 steps``: the run's branches by kind."""
    return ", ".join(
        counted(count, kind, f"{kind}es" if kind.endswith("h") else None)
        for kind, count in branches
    )


class RowRenderer:
    """Turns tree rows into cells for a given width."""

    def __init__(self, tree: CheckpointTree, clock: Clock) -> None:
        self.tree = tree
        self.clock = clock
        self.elsewhere: Mapping[str, str] = {}  # run -> where another process runs it now
        self.marked: str | None = None  # the checkpoint m marked for c to compare with
        # run -> seconds its executions worked, as the journal has them (the checkpoints'
        # own estimate stands in for runs it does not know)
        self.worked: Mapping[str, float] = {}
        # run -> its executions' (start, journal status), oldest first: how a line's writer ended
        self.executions: dict[str, tuple[tuple[float, str], ...]] = {}

    def cells(self, row: Row, width: int) -> list[Cell]:
        match row.kind:
            case RowKind.CHECKPOINT:
                return self._checkpoint(row, width)
            case RowKind.RUN:
                return self._run(row, width)
            case RowKind.PROBLEMS:
                count = len(self.tree.problems)
                hint = "" if self.tree.problems_open else "  (enter lists them)"
                text = f"{self._opener(row)}⚠ {counted(count, 'unreadable file')}{hint}"
                return [(fit(text, width), "problem")]
            case RowKind.PROBLEM:
                problem = next(p for p in self.tree.problems if p.path == row.key)
                # The folder is the store's; the file's name and the reason are what help.
                text = f"    {PurePath(problem.path).name}: {problem.reason}"
                return [(fit(text, width), "problem")]

    def _opener(self, row: Row) -> str:
        return "▾ " if self.tree.is_open(row) else "▸ "

    def _when(self, timestamp: str) -> str:
        return self.clock.when(parse_timestamp(timestamp)).rjust(TIME_WIDTH)

    def _checkpoint(self, row: Row, width: int) -> list[Cell]:
        record = self.tree.record(row.key)
        run = self.tree.by_id[row.key]
        depth = min(row.depth, MAX_DEPTH)
        if row.branch:
            glyph = "↳ " if row.leaf or self.tree.is_open(row) else "▸ "
            indent = "  " * depth + glyph
        else:
            indent = "  " * (depth + 1)
        # The ids of the whole run take the room of its deepest branch, so the tree marks never
        # push the superstep and next columns of one row off those of the others.
        room = 2 * (min(run.deepest, MAX_DEPTH) + 1)
        live = run.workflow_id in self.elsewhere
        ended = ending(record, self.executions.get(run.workflow_id, ()))
        status, tone = status_cell(record, row.leaf, live, ended)
        if record.checkpoint_id == self.marked:  # in the status column: seen, yet no id moves
            status, tone = f"{Mark.MARKED.value} {status or 'marked'}", "marked"
        status_width = STATUS_WIDTH if width >= NARROW else 1
        if width < NARROW:
            status = status[:1]
        # The id's name in the store: its last 8 characters, more where they are shared.
        name = self.tree.names.name(record.checkpoint_id)
        name = name.ljust(len(name) + room - len(indent))
        fixed = len(indent) + len(name) + 1 + STEP_WIDTH + 2 + 1 + status_width + TIME_WIDTH
        next_width = max(width - fixed, 3)
        kind = f"{record.kind or BRANCH_KIND}: " if row.branch else ""
        next_text = kind + fold(record.next_ids, next_width - len(kind))
        cells = [
            (indent, "tree"),
            (name, "id"),
            (str(record.iteration).rjust(STEP_WIDTH + 1) + "  ", "step"),
            (fit(next_text, next_width), "next"),
            (" ", ""),
            (fit(status, status_width), tone),
            (self._when(record.timestamp), "time"),
        ]
        return _clip(cells, width)

    def _run(self, row: Row, width: int) -> list[Cell]:
        """The run: how its main line ended, its branches, its working time, its start."""
        run = self.tree.runs[row.key]
        story = run.story()
        main_end = story.main_end
        executions = self.executions.get(run.workflow_id, ())
        ended = ending(main_end, executions) if main_end is not None else None
        mark, tone = outcome_mark(main_end, ended)
        where = self.elsewhere.get(run.workflow_id)
        if where is not None:
            mark, tone = Mark.RUNNING.value, "run"
        worked = self.worked.get(run.workflow_id, story.worked)
        info = counted(len(run.records), "checkpoint")
        if story.branches:
            info += f", {branch_counts(story.branches)}"
        right = f" {info}  {duration(worked):>6}"
        name = run.newest.workflow_name if run.newest else ""
        run_name = self.tree.run_names.name(run.workflow_id)
        left = f"run {run_name} {name}"
        if where is not None:  # first, so a narrow pane still says it
            left = f"run {run_name} running on {where} {name}"
        left_width = max(width - 4 - len(right) - TIME_WIDTH, 1)
        cells = [
            (self._opener(row), "tree"),
            (mark + " ", tone),
            (fit(left, left_width), "run"),
            (right, "run-info"),
            (self._when(run.start), "time"),
        ]
        return _clip(cells, width)


def _clip(cells: list[Cell], width: int) -> list[Cell]:
    """Cut the cells to ``width`` (a very narrow pane loses the right-hand columns)."""
    out: list[Cell] = []
    room = width
    for text, tone in cells:
        if room <= 0:
            break
        size = cell_len(text)
        out.append((text if size <= room else set_cell_size(text, room), tone))
        room -= min(size, room)
    if room > 0:
        out.append((" " * room, ""))
    return out
