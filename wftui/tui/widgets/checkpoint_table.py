"""The checkpoint table, drawn with the Line API, and the ``/`` filter line that narrows it.

Only the lines on screen are turned into text, so a store of 50,000 checkpoints scrolls as
fast as one of 50. The table owns the cursor and the browser's keys; it tells the browser
what happened through ``wftui.tui.widgets.checkpoint_messages``.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from wftui.tui.browser.model import CheckpointTree, Row, RowKind
from wftui.tui.browser.render import RowRenderer
from wftui.tui.keymap import cursor_bindings
from wftui.tui.text import Clock
from wftui.tui.widgets.checkpoint_messages import FilterOpened, Moved, Selected

TONES = (
    "tree",
    "id",
    "step",
    "next",
    "time",
    "run",
    "run-info",
    "problem",
    "status",
    "waiting",
    "completed",
    "failed",
    "marked",
)


class CheckpointTable(ScrollView, can_focus=True):
    """The rows of the tree, a cursor, and the browser's keys.

    Enter resumes from a checkpoint row (the app's action, so only while the browser has
    focus) and opens or closes a run, a branch or the problems line. A click only moves the
    cursor; a double click on a checkpoint resumes from it.
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
            "enter",
            "open_or_close",
            "Open/close",
            show=False,
            id="wftui.browser.open_or_close",
            tooltip="On a run, a branch's first row or the unreadable-files line: open or close it",
        ),
        Binding(
            "d",
            "app.delete_checkpoint",
            "Delete",
            id="wftui.delete",
            tooltip="Delete the highlighted checkpoint (asks first)",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="wftui.browser.filter",
            tooltip="Filter the checkpoints by id, run, executor, status or text in their values; "
            "Esc clears it",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            id="wftui.browser.filter.clear_kept",
            tooltip="Show every checkpoint again",
        ),
        Binding(
            "left,h",
            "close",
            "Close",
            show=False,
            id="wftui.browser.close",
            tooltip="Close the run or branch (or go to the row that holds this one)",
        ),
        Binding(
            "right,l",
            "open",
            "Open",
            show=False,
            id="wftui.browser.open",
            tooltip="Open the run or branch",
        ),
        *cursor_bindings("browser"),
        Binding("end,G", "move_to(-1)", "Bottom", show=False, id="wftui.browser.bottom"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "checkpoint-table--cursor",
        *(f"checkpoint-table--{tone}" for tone in TONES),
    }
    DEFAULT_CSS = """
    CheckpointTable {
        height: 1fr;
        overflow: hidden auto;
        & > .checkpoint-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .checkpoint-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .checkpoint-table--tree { color: $text-muted; }
        & > .checkpoint-table--id { color: $text-primary; }
        & > .checkpoint-table--step { }
        & > .checkpoint-table--next { }
        & > .checkpoint-table--time { color: $text-muted; }
        & > .checkpoint-table--run { text-style: bold; }
        & > .checkpoint-table--run-info { color: $text-muted; }
        & > .checkpoint-table--problem { color: $text-warning; }
        & > .checkpoint-table--status { color: $text-muted; }
        & > .checkpoint-table--waiting { color: $text-warning; text-style: bold; }
        & > .checkpoint-table--completed { color: $text-success; }
        & > .checkpoint-table--failed { color: $text-error; text-style: bold; }
        & > .checkpoint-table--marked { color: $text-accent; text-style: bold; }
    }
    """

    def __init__(self, model: CheckpointTree, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.renderer = RowRenderer(model, clock)
        self.cursor_row = 0
        self.user_moved = False  # until then, loading keeps the cursor on the newest run
        self._cursor_key: str | None = None
        self._styles: dict[str, Style] = {}

    # ----- what the browser asks -----

    @property
    def row_count(self) -> int:
        return self.model.row_count

    @property
    def cursor(self) -> Row | None:
        return self.model[self.cursor_row] if self.cursor_row < self.model.row_count else None

    def rows_changed(self) -> None:
        """The tree changed: keep the cursor on its row and that row where it was on screen."""
        count = self.model.row_count
        before = self.cursor_row
        found = self.model.index_of(self._cursor_key) if self._cursor_key is not None else None
        after = found if found is not None else min(before, max(count - 1, 0))
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        if after != before and found is not None:
            self.scroll_to(y=self.scroll_y + after - before, animate=False, immediate=True)
        self._place(after)
        self.refresh()

    def move_cursor(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and bring it into view."""
        self._place(max(0, min(row, self.model.row_count - 1)))
        self.scroll_to_region(
            Region(0, self.cursor_row, 1, 1),
            animate=False,
            immediate=True,
        )
        self.refresh()

    def reset_cursor(self) -> None:
        """The first checkpoint row, as when the store has just been opened."""
        self._cursor_key = None
        first = next(
            (
                index
                for index in range(min(self.model.row_count, 64))
                if self.model[index].kind is RowKind.CHECKPOINT
            ),
            0,
        )
        self.move_cursor(first)

    # ----- keys and mouse -----

    def action_move(self, step: int) -> None:
        self.user_moved = True
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self.action_move(direction * page)

    def action_move_to(self, row: int) -> None:
        self.user_moved = True
        self.move_cursor(row if row >= 0 else self.model.row_count - 1)

    def action_open_or_close(self) -> None:
        row = self.cursor
        if row is not None and self.model.toggle(row):
            self.rows_changed()

    def action_open(self) -> None:
        row = self.cursor
        if row is not None and self.model.toggle(row, True):
            self.rows_changed()

    def action_close(self) -> None:
        """Close the row's group; on a row inside one, go to the row that holds it."""
        row = self.cursor
        if row is None:
            return
        if self.model.is_open(row) and self.model.toggle(row, False):
            self.rows_changed()
            return
        holder = self._holder(row)
        if holder is not None:
            self.move_cursor(holder)

    def action_filter(self) -> None:
        self.post_message(FilterOpened())

    def action_clear_filter(self) -> None:
        self.screen.query_one(BrowserFilter).action_clear()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.model.filter_text)
        if action != "open_or_close":
            return True
        row = self.cursor
        if row is None or row.kind is RowKind.PROBLEM:
            return False
        return row.kind is not RowKind.CHECKPOINT or (row.branch and not row.leaf)

    async def _on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y
        if not 0 <= row < self.model.row_count:
            return
        self.user_moved = True
        self.move_cursor(row)
        if event.chain >= 2:
            target = self.cursor
            if target is None:
                return
            if target.kind is RowKind.CHECKPOINT:
                self.post_message(Selected(target.key))
            elif self.model.toggle(target):
                self.rows_changed()

    # ----- drawing -----

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= self.model.row_count or width <= 0:
            return Strip.blank(width, self.rich_style)
        row = self.model[index]
        base = self.rich_style
        at_cursor = index == self.cursor_row
        if at_cursor:
            base = base + self._style("cursor")
        segments = [Segment("›" if at_cursor else " ", base)]
        for text, tone in self.renderer.cells(row, width - 1):
            style = base + self._style(tone) if tone else base
            if at_cursor:
                style += self._style("cursor")
            segments.append(Segment(text, style))
        return Strip(segments, width)

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.model.row_count)

    # ----- internals -----

    def _style(self, tone: str) -> Style:
        style = self._styles.get(tone)
        if style is None:
            style = self._styles[tone] = self.get_component_rich_style(
                f"checkpoint-table--{tone}", partial=True
            )
        return style

    def _place(self, row: int) -> None:
        self.cursor_row = row
        current = self.cursor
        self._cursor_key = current.key if current else None
        self.post_message(Moved(current))

    def _holder(self, row: Row) -> int | None:
        """The run header or branch start above ``row``."""
        if row.kind is RowKind.PROBLEM:
            return 0
        if row.kind is not RowKind.CHECKPOINT:
            return None
        for index in range(self.cursor_row - 1, -1, -1):
            above = self.model[index]
            if above.kind is RowKind.RUN:
                return index
            if row.branch and above.depth < row.depth:
                return index  # the checkpoint the branch came from
            if not row.branch and above.branch and above.depth == row.depth:
                return index  # the start of the branch this row is on
        return None


class BrowserFilter(Input):
    """The ``/`` line under the checkpoints; Enter keeps the filter, Esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="wftui.browser.filter.clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.query_one(CheckpointTable).focus()
