"""The checkpoint browser: the store's checkpoints grouped by run, newest run first.

Rows are added, never rebuilt: a new checkpoint is appended and moved into its group, and the
cursor stays on the checkpoint it was on. A big store is added in chunks so the table is usable
as soon as the newest rows are in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static

from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary
from wftui.tui.status import CHECKPOINT_LOOK
from wftui.tui.text import Clock, parse_timestamp, short_id

FIRST_CHUNK = 200
CHUNK = 250


class _IdCell:
    """The id cell. It carries the row's place, because ``DataTable.sort`` only sees cells."""

    __slots__ = ("order", "text")

    def __init__(self, text: str, order: tuple[int, str]) -> None:
        self.text = Text(text)
        self.order = order

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.text.__rich_measure__(console, options)


@dataclass
class _Run:
    rank: int  # higher is newer
    start: str


class CheckpointTable(DataTable[object]):
    """A row-cursor table with vim keys; resuming and deleting are keys of this pane only.

    Enter resumes (the app's action), so it works only while the browser has focus. A click
    only moves the cursor: a second single click on the highlighted row does nothing, a
    double click selects the row, which resumes from it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,r",
            "app.resume",
            "Resume",
            key_display="⏎/r",
            id="wftui.resume",
            tooltip="Resume from the highlighted checkpoint (asks first for any pending answer)",
        ),
        Binding(
            "d",
            "app.delete_checkpoint",
            "Delete",
            id="wftui.delete",
            tooltip="Delete the highlighted checkpoint (asks first)",
        ),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    _clicks = 0  # the click chain of the click being handled: 2 is a double click

    async def _on_click(self, event: events.Click) -> None:
        self._clicks = event.chain
        try:
            await super()._on_click(event)
        finally:
            self._clicks = 0

    def _post_selected_message(self) -> None:
        """DataTable selects on any click on the cursor's row; only a double click counts here."""
        if self._clicks >= 2:
            super()._post_selected_message()  # type: ignore[no-untyped-call]


class CheckpointBrowser(Vertical):
    """Checkpoint rows plus a notes line for skipped files and hidden checkpoints."""

    DEFAULT_CSS = """
    CheckpointBrowser {
        height: 1fr;
        #checkpoint-notes { color: $text-warning; display: none; }
        #checkpoint-notes.-shown { display: block; }
        CheckpointTable { height: 1fr; }
    }
    """

    class Highlighted(Message):
        """The cursor moved to a checkpoint (None when the table is empty).

        ``moved`` is False when the first row of an empty table got the cursor by itself.
        """

        def __init__(self, checkpoint_id: str | None, moved: bool) -> None:
            super().__init__()
            self.checkpoint_id = checkpoint_id
            self.moved = moved

    class Selected(Message):
        """A double click on a row: resume from it."""

        def __init__(self, checkpoint_id: str) -> None:
            super().__init__()
            self.checkpoint_id = checkpoint_id

    def __init__(self, clock: Clock | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self.summaries: dict[str, CheckpointSummary] = {}
        self._runs: dict[str, _Run] = {}
        self._children: dict[str, int] = {}  # parent id -> checkpoints resumed from it
        self._highlighted: str | None = None
        self._notes: list[str] = []
        self._loading = False
        self._unsorted = False

    def compose(self) -> ComposeResult:
        yield Static(id="checkpoint-notes")
        table = CheckpointTable(cursor_type="row", zebra_stripes=True, id="checkpoint-table")
        for label, key in (
            ("id", "id"),
            ("run", "run"),
            ("step", "step"),
            ("next", "next"),
            ("msgs", "msgs"),
            ("status", "status"),
            ("time", "time"),
        ):
            table.add_column(label, key=key)
        yield table

    @property
    def table(self) -> CheckpointTable:
        return self.query_one(CheckpointTable)

    @property
    def highlighted_id(self) -> str | None:
        return self._highlighted

    def set_notes(self, notes: Sequence[str]) -> None:
        """Warnings above the table: files the store skipped, checkpoints of other pipelines."""
        self._notes = list(notes)
        self._show_notes()

    async def load(self, summaries: Sequence[CheckpointSummary]) -> None:
        """Fill the table, newest run first; yields between chunks so keys stay responsive."""
        by_run: dict[str, list[CheckpointSummary]] = {}
        for summary in summaries:
            by_run.setdefault(summary.workflow_id, []).append(summary)
        starts = {run: min(s.timestamp for s in group) for run, group in by_run.items()}
        for rank, run in enumerate(sorted(by_run, key=lambda r: starts[r])):
            self._runs[run] = _Run(rank, starts[run])
        ordered = [
            summary
            for run in sorted(by_run, key=lambda r: -self._runs[r].rank)
            for summary in sorted(by_run[run], key=lambda s: (s.timestamp, s.checkpoint_id))
        ]
        chunks = [ordered[:FIRST_CHUNK]] + [
            ordered[start : start + CHUNK] for start in range(FIRST_CHUNK, len(ordered), CHUNK)
        ]
        self._loading = True
        try:
            for chunk in chunks:
                for summary in chunk:
                    self.table.add_row(*self._row(summary), key=summary.checkpoint_id)
                self._show_notes()
                # Lets the table measure this chunk and the app handle keys before the next.
                await asyncio.sleep(0.01)
        finally:
            self._loading = False
        if self._unsorted:
            self._sort()

    def add(self, summary: CheckpointSummary) -> None:
        """A checkpoint the engine just saved: a new row in its run's group."""
        if summary.checkpoint_id in self.summaries:
            return
        run = self._runs.get(summary.workflow_id)
        if run is None:
            newest = max((r.rank for r in self._runs.values()), default=-1)
            self._runs[summary.workflow_id] = _Run(newest + 1, summary.timestamp)
        self.table.add_row(*self._row(summary), key=summary.checkpoint_id)
        self._show_notes()
        if self._loading:
            self._unsorted = True
        else:
            self._sort()

    def select(self, checkpoint_id: str) -> None:
        """Move the cursor to a checkpoint's row (a step's or a fork's new child)."""
        self.table.move_cursor(row=self.table.get_row_index(checkpoint_id))

    def drop(self, checkpoint_id: str) -> None:
        if self.summaries.pop(checkpoint_id, None) is None:
            return
        table = self.table
        table.remove_row(checkpoint_id)
        self._show_notes()
        # The cursor keeps its place, so it now rests on the next row; say so.
        if table.row_count == 0:
            self._post_highlight(None)
        else:
            row = min(table.cursor_row, table.row_count - 1)
            self._post_highlight(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)

    def preview(self, checkpoint_id: str) -> tuple[set[str], set[str]]:
        """Executors that ran before ``checkpoint_id`` and those that run next if resumed there.

        What ran is read from the ancestors: each one's "next" ran in the superstep after it. A
        failed checkpoint holds its parent's state, so its parent's "next" did not finish.
        """
        summary = self.summaries[checkpoint_id]
        node: CheckpointSummary | None = summary
        if summary.status is CheckpointStatus.FAILED:
            node = self._parent_of(summary)
        ran: set[str] = set()
        for _ in range(len(self.summaries)):
            parent = self._parent_of(node) if node else None
            if parent is None:
                break
            ran.update(parent.next_executor_ids)
            node = parent
        return ran, set(summary.next_executor_ids)

    # ----- internals -----

    def _parent_of(self, summary: CheckpointSummary) -> CheckpointSummary | None:
        parent_id = summary.parent_checkpoint_id
        return self.summaries.get(parent_id) if parent_id else None

    def _row(self, summary: CheckpointSummary) -> tuple[object, ...]:
        self.summaries[summary.checkpoint_id] = summary
        run = self._runs[summary.workflow_id]
        label, style = CHECKPOINT_LOOK[summary.status]
        # A second child of the same parent is a resume of an older checkpoint: a branch.
        step = str(summary.iteration_count)
        parent = summary.parent_checkpoint_id
        if parent is not None:
            if self._children.get(parent, 0):
                step = f"↳ {step}"
            self._children[parent] = self._children.get(parent, 0) + 1
        return (
            _IdCell(short_id(summary.checkpoint_id), (-run.rank, summary.timestamp)),
            Text(short_id(summary.workflow_id, 6), style="dim"),
            Text(step, justify="right"),
            Text(", ".join(summary.next_executor_ids) or "-"),
            Text(str(summary.pending_message_count), justify="right"),
            Text(label, style=style),
            Text(self.clock.when(parse_timestamp(summary.timestamp))),
        )

    def _sort(self) -> None:
        """Move rows into their groups, keeping the cursor on its checkpoint."""
        self._unsorted = False
        table = self.table
        keep = self._highlighted
        before = table.cursor_row
        table.sort("id", key=lambda cell: cell.order)
        if keep is not None and keep in self.summaries:
            after = table.get_row_index(keep)
            if after != before:
                table.move_cursor(row=after, scroll=False)
                table.scroll_to(y=table.scroll_y + after - before, animate=False)

    def _show_notes(self) -> None:
        lines = [f"⚠ {note}" for note in self._notes]
        if not self.summaries:
            lines.append("No checkpoints yet: press n to start a run.")
        widget = self.query_one("#checkpoint-notes", Static)
        widget.update(Text("\n".join(lines)))
        widget.set_class(bool(lines), "-shown")

    def _post_highlight(self, checkpoint_id: str | None) -> None:
        if checkpoint_id != self._highlighted:
            moved = self._highlighted is not None
            self._highlighted = checkpoint_id
            self.post_message(self.Highlighted(checkpoint_id, moved))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._post_highlight(event.row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Selected(event.row_key.value))
