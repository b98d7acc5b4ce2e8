"""Bordered panes and the one-line tab strip that switches them in compact layouts."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static


class Pane(Vertical):
    """A titled pane. In a compact layout only the pane with the ``-active`` class is shown."""

    def __init__(self, *children: Widget, title: str, id: str) -> None:
        super().__init__(*children, id=id, classes="pane")
        self.border_title = title

    def focus_target(self) -> Widget:
        """The widget that takes focus when the pane is chosen."""
        for widget in self.query("*"):
            if widget.focusable:
                return widget
        return self


class PaneTabs(Horizontal):
    """``1 Graph  2 Checkpoints  ...``: shown only when the panes do not all fit."""

    class Chosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, titles: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._titles = titles

    def compose(self) -> ComposeResult:
        for index, title in enumerate(self._titles):
            yield _Tab(index, title)

    def set_active(self, index: int) -> None:
        for tab in self.query(_Tab):
            tab.set_class(tab.index == index, "-active")


class _Tab(Static):
    def __init__(self, index: int, title: str) -> None:
        super().__init__(Text(f" {index + 1} {title} "), classes="pane-tab")
        self.index = index

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(PaneTabs.Chosen(self.index))
