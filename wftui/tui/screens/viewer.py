"""A full-screen viewer for one long value: wrapped, scrollable, searchable; Esc closes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets.text_area import Selection

from wftui.tui.text import counted


class ValueViewer(Screen[None]):
    """``title`` over ``text`` in a read-only, soft-wrapped text area; ``/`` searches, n repeats."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="wftui.viewer.close"),
        Binding("slash", "search", "Search", id="wftui.viewer.search"),
        Binding("n", "next_match", "Next match", id="wftui.viewer.next"),
    ]
    DEFAULT_CSS = """
    ValueViewer {
        #viewer-title { height: 1; background: $panel; color: $foreground; text-style: bold; padding: 0 1; }
        #viewer-text { height: 1fr; border: none; }
        #viewer-search { display: none; height: 1; border: none; padding: 0 1; }
        #viewer-search.-shown { display: block; }
        #viewer-status { height: 1; color: $foreground-muted; padding: 0 1; }
    }
    """

    def __init__(self, title: str, text: str, *, at_end: bool = False) -> None:
        super().__init__(classes="value-viewer")
        self._at_end = at_end  # a log is read from its newest line
        self._title = title
        self.text = text
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="viewer-title", markup=False)
        yield TextArea(
            self.text, read_only=True, soft_wrap=True, show_line_numbers=False, id="viewer-text"
        )
        yield Input(placeholder="search (enter: find, esc: back)", id="viewer-search")
        yield Static(
            f"{counted(len(self.text), 'character')}   /: search   n: next   esc: close",
            id="viewer-status",
        )
        yield Footer()

    def on_mount(self) -> None:
        area = self.area
        area.focus()
        if self._at_end:
            area.move_cursor(area.document.end)

    @property
    def area(self) -> TextArea:
        return self.query_one("#viewer-text", TextArea)

    def action_close(self) -> None:
        search = self.query_one("#viewer-search", Input)
        if search.has_class("-shown"):
            search.remove_class("-shown")
            self.area.focus()
        else:
            self.dismiss(None)

    def action_search(self) -> None:
        search = self.query_one("#viewer-search", Input)
        search.add_class("-shown")
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_text = event.value
        event.input.remove_class("-shown")
        self.area.focus()
        self._find(from_start=True)

    def action_next_match(self) -> None:
        self._find(from_start=False)

    def _find(self, *, from_start: bool) -> None:
        """Select the next match after the cursor (wrapping to the top), case-insensitive."""
        status = self.query_one("#viewer-status", Static)
        needle = self.query_text.lower()
        if not needle:
            return
        area = self.area
        haystack = self.text.lower()
        start = 0 if from_start else _offset(self.text, area.selection.end)
        found = haystack.find(needle, start)
        if found < 0:
            found = haystack.find(needle)
        if found < 0:
            status.update(f"no match for “{self.query_text}”")
            return
        area.selection = _selection(self.text, found, found + len(needle))
        area.scroll_cursor_visible(center=True)
        count = haystack.count(needle)
        status.update(
            f"“{self.query_text}”: {counted(count, 'match', 'matches')}   n: next   esc: close"
        )


def _location(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    row = before.count("\n")
    return row, offset - (before.rfind("\n") + 1)


def _offset(text: str, location: tuple[int, int]) -> int:
    row, column = location
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[:row]) + column


def _selection(text: str, start: int, end: int) -> Selection:
    return Selection(_location(text, start), _location(text, end))
