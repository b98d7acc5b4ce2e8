"""The event log: one line per engine event, drawn with the Line API.

Only the lines on screen are rendered, so 50,000 lines cost no more to draw than 50. Streamed
agent chunks extend their line instead of adding lines; outputs and failures stand out; the view
follows the tail unless the user has scrolled up; a filter narrows it to matching lines. A cursor
line (shown while the log has focus) moves with the arrow keys or a click, and ``v`` opens that
one event whole in the viewer; on the last line the cursor follows new lines.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wftui.tui.bridge import LogRecord, Tone
from wftui.tui.keymap import cursor_bindings
from wftui.tui.screens.viewer import ValueViewer
from wftui.tui.text import Clock

MAX_LINES = 50_000
# A streamed reply longer than this stops growing on screen (the checkpoint keeps it whole).
MAX_STREAM_CHARS = 20_000
KIND_WIDTH = 10


class EventLog(ScrollView, can_focus=True):
    """A bounded, filterable, tail-following log of ``LogRecord`` lines."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--time",
        "event-log--executor",
        "event-log--cursor",
        *(f"event-log--{tone.value}" for tone in Tone),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *cursor_bindings("log"),
        Binding("end,G", "follow", "Follow tail", show=False, id="wftui.log.follow"),
        Binding(
            "v",
            "view_line",
            "View",
            id="wftui.log.view",
            tooltip="Open the highlighted event whole, full screen: wrapped, scrollable, "
            "searchable",
        ),
        # The screen's filter key, shown in the footer here: one id, so a keymap moves both.
        Binding(
            "slash",
            "screen.filter_log",
            "Filter",
            id="wftui.filter",
            tooltip="Filter the event log; Enter keeps the filter, Esc clears it",
        ),
    ]
    DEFAULT_CSS = """
    EventLog {
        overflow: auto auto;
        & > .event-log--time { color: $foreground; text-style: dim; }
        & > .event-log--executor { color: $text-secondary; }
        & > .event-log--plain { }
        & > .event-log--quiet { color: $foreground; text-style: dim; }
        & > .event-log--output { color: $text-success; text-style: bold; }
        & > .event-log--failure { color: $text-error; text-style: bold; }
        & > .event-log--request { color: $text-warning; text-style: bold; }
        & > .event-log--agent { color: $text-accent; }
        & > .event-log--checkpoint { color: $text-primary; }
        &:focus > .event-log--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
    }
    """

    def __init__(
        self,
        clock: Clock | None = None,
        max_lines: int = MAX_LINES,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self.max_lines = max_lines
        self.executor_width = 16
        self._lines: list[LogRecord] = []
        self._first_seq = 0  # sequence number of self._lines[0]
        self._filter = ""
        self._shown: list[int] | None = None  # sequence numbers matching the filter
        self._streams: dict[str, int] = {}  # agent executor id -> sequence of its growing line
        self._width = 0
        self._follow = True
        self._cursor: int | None = None  # the highlighted line's sequence number; None: the last

    # ----- content -----

    @property
    def line_count(self) -> int:
        """Lines currently shown (after the filter)."""
        return len(self._lines) if self._shown is None else len(self._shown)

    @property
    def total_count(self) -> int:
        return len(self._lines)

    @property
    def filter_text(self) -> str:
        return self._filter

    def visible_text(self) -> list[str]:
        """The shown lines as plain text, for tests and copying."""
        return [self._plain(self._record(i)) for i in range(self.line_count)]

    def add_records(self, records: Iterable[LogRecord]) -> None:
        """Append a batch; one repaint and one scroll for the whole batch."""
        following = self.is_following
        for record in records:
            if record.stream is not None and self._extend_stream(record):
                continue
            opened = self._streams.pop(record.executor, None) if record.executor else None
            if opened is not None and record.tone is Tone.AGENT and record.stream is None:
                # The whole reply: its chunks are on screen already; ``v`` shows it whole.
                if opened >= self._first_seq:
                    self._lines[opened - self._first_seq].detail = record.whole_text
                continue
            self._append(record)
        self._trim()
        self._update_size(following)

    def clear(self) -> None:
        """Empty, to tell another run's story (the filter stays)."""
        self._first_seq += len(self._lines)
        self._lines.clear()
        self._streams.clear()
        if self._shown is not None:
            self._shown.clear()
        self._width = 0
        self._update_size(True)

    def set_filter(self, text: str) -> None:
        """Show only lines containing ``text`` (case-insensitive); empty shows everything."""
        self._filter = text.lower()
        if not self._filter:
            self._shown = None
        else:
            self._shown = [
                self._first_seq + index
                for index, record in enumerate(self._lines)
                if self._matches(record)
            ]
        # The highlighted line stays highlighted (or the next one shown, if it is filtered out).
        self._update_size(self._cursor is None)
        if self._cursor is not None:
            self.move_cursor(self.cursor_line)

    # ----- the cursor -----

    @property
    def cursor_line(self) -> int:
        """The highlighted line's index among the shown lines (-1 when there is none)."""
        count = self.line_count
        if self._cursor is None or not count:
            return count - 1
        if self._shown is None:
            return max(0, min(self._cursor - self._first_seq, count - 1))
        return min(bisect_left(self._shown, self._cursor), count - 1)

    def cursor_record(self) -> LogRecord | None:
        index = self.cursor_line
        return self._record(index) if index >= 0 else None

    def move_cursor(self, index: int) -> None:
        """Highlight shown line ``index`` (clamped) and bring it into view; the last line
        follows new lines again."""
        count = self.line_count
        if not count:
            return
        index = max(0, min(index, count - 1))
        if index == count - 1:
            self._cursor = None
            self._scroll_to_tail()
        else:
            self._cursor = self._seq(index)
            self._follow = False
            self.scroll_to_region(
                Region(0, index, 1, 1), animate=False, immediate=True, force=True, x_axis=False
            )
        self.refresh()

    def action_move(self, step: int) -> None:
        start = self.cursor_line
        if self._cursor is None and not self._follow:
            # Scrolled up with the cursor still on the tail: start from the lines in view.
            start = min(start, int(self.scroll_y) + max(self.size.height - 1, 0))
        self.move_cursor(start + step)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.size.height - 1, 1))

    def action_move_to(self, index: int) -> None:
        self.move_cursor(index if index >= 0 else self.line_count - 1)

    def action_view_line(self) -> None:
        """The highlighted event whole: every character, wrapped, in the searchable viewer."""
        record = self.cursor_record()
        if record is None:
            self.notify("The log is empty.", severity="warning")
            return
        title = " ".join(part.strip() for part in self._prefix(record) if part.strip())
        # A line with no detail of its own (``invoked``) shows itself rather than nothing.
        self.app.push_screen(ValueViewer(title, record.whole_text or self._plain(record)))

    def action_follow(self) -> None:
        self._cursor = None
        self._scroll_to_tail()
        self.refresh()

    @property
    def is_following(self) -> bool:
        """True while the cursor is on the last line and the user has not scrolled up."""
        return self._follow and self._cursor is None

    def on_focus(self) -> None:
        self.refresh()  # the cursor shows only while the log has focus

    def on_blur(self) -> None:
        self.refresh()

    async def _on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < self.line_count:
            self.move_cursor(index)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y

    # ----- internals -----

    def _append(self, record: LogRecord) -> None:
        seq = self._first_seq + len(self._lines)
        self._lines.append(record)
        if record.stream is not None:
            self._streams[record.stream] = seq
        if self._shown is not None and self._matches(record):
            self._shown.append(seq)
        self._width = max(self._width, self._line_width(record))

    def _extend_stream(self, chunk: LogRecord) -> bool:
        assert chunk.stream is not None
        seq = self._streams.get(chunk.stream)
        if seq is None or seq < self._first_seq:
            return False
        record = self._lines[seq - self._first_seq]
        if len(record.text) < MAX_STREAM_CHARS:
            record.text += chunk.text
            self._width = max(self._width, self._line_width(record))
        self.refresh()
        return True

    def _trim(self) -> None:
        excess = len(self._lines) - self.max_lines
        if excess <= 0:
            return
        del self._lines[:excess]
        self._first_seq += excess
        dropped = excess
        if self._shown is not None:
            dropped = bisect_left(self._shown, self._first_seq)
            del self._shown[:dropped]
        if not self.is_following and dropped:
            # Keep the lines the user is reading where they are.
            self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)

    def _update_size(self, follow: bool) -> None:
        self.virtual_size = Size(self._width, self.line_count)
        if follow:
            self._scroll_to_tail()
        self.refresh()

    def _scroll_to_tail(self) -> None:
        # Forced: the scrollbar that would allow it appears only after the next layout.
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self._follow = True

    def _matches(self, record: LogRecord) -> bool:
        return self._filter in self._plain(record).lower()

    def _seq(self, index: int) -> int:
        return index + self._first_seq if self._shown is None else self._shown[index]

    def _record(self, index: int) -> LogRecord:
        return self._lines[self._seq(index) - self._first_seq]

    def _prefix(self, record: LogRecord) -> tuple[str, str, str]:
        return (
            self.clock.time_of_day(record.time) + " ",
            f"{record.kind:<{KIND_WIDTH}} ",
            f"{record.executor:<{self.executor_width}} ",
        )

    def _plain(self, record: LogRecord) -> str:
        return ("".join(self._prefix(record)) + record.text).rstrip()

    def _line_width(self, record: LogRecord) -> int:
        return (
            13
            + KIND_WIDTH
            + 1
            + max(self.executor_width, len(record.executor))
            + 1
            + cell_len(record.text)
        )

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index = scroll_y + y
        if index >= self.line_count:
            return Strip.blank(width, base)
        record = self._record(index)
        time_text, kind_text, executor_text = self._prefix(record)
        tone = base + self._style(f"event-log--{record.tone.value}")
        time_style, executor_style = (
            base + self._style("event-log--time"),
            base + self._style("event-log--executor"),
        )
        if self.has_focus and index == self.cursor_line:
            cursor = self._style("event-log--cursor")
            base, tone, time_style, executor_style = (
                style + cursor for style in (base, tone, time_style, executor_style)
            )
        segments = [
            Segment(time_text, time_style),
            Segment(kind_text, tone),
            Segment(executor_text, executor_style),
            Segment(record.text, tone),
        ]
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)
