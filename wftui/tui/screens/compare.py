"""The comparison of two checkpoints: every added, removed and changed value, one per line.

Each line starts with its symbol (+ added, - removed, ~ changed), so it reads the same without
colour (NO_COLOR); colour only repeats what the symbol says.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from wftui.checkpoint.diff import Change, ChangeKind, CheckpointDiff
from wftui.tui.text import counted

STYLES = {ChangeKind.ADDED: "green", ChangeKind.REMOVED: "red", ChangeKind.CHANGED: "yellow"}


def diff_text(result: CheckpointDiff) -> Text:
    """The whole comparison as styled text: header, sections, one line per change."""
    text = Text()
    text.append(result.header() + "\n", style="bold")
    if not result.changes:
        text.append("no changes: both hold the same state\n")
        return text
    count = len(result.changes)
    text.append(f"{counted(count, 'change')}   (+ added  - removed  ~ changed)\n")
    section = None
    for change in result.changes:
        if change.section != section:
            section = change.section
            text.append(f"\n{section}\n", style="bold underline")
        _append_change(text, change)
    return text


def _append_change(text: Text, change: Change) -> None:
    style = STYLES[change.kind]
    text.append(f"  {change.kind.symbol} ", style=f"bold {style}")
    text.append(change.path, style=style)
    if not change.text_diff:
        if change.kind is ChangeKind.CHANGED:
            text.append(f": {change.before_text} → ")
            text.append(change.after_text, style=style)
        else:
            text.append(f": {change.after_text or change.before_text}")
    text.append("\n")
    for line in change.text_diff:
        mark = line[:1] if not line.startswith(("+++", "---")) else ""
        line_style = {"+": "green", "-": "red"}.get(mark, "dim")
        text.append(f"      {line}\n", style=line_style)


class CompareScreen(Screen[None]):
    """Full screen, scrollable; esc (or q) closes it."""

    DEFAULT_CSS = """
    CompareScreen #compare-body { padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="wftui.compare.close"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, result: CheckpointDiff) -> None:
        super().__init__(id="compare")
        self.result = result

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="compare-scroll") as scroll:
            scroll.border_title = "Compare checkpoints"
            yield Static(diff_text(self.result), id="compare-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-scroll").focus()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#compare-scroll", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
