"""The ``?`` screen: every key, grouped by where it works, written from the bindings themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "Panes: the pipeline graph (live status; previews a highlighted checkpoint), the checkpoint "
    "browser (newest run first), the inspector (the highlighted checkpoint in full) and the event "
    "log. Pick a checkpoint and press Enter to resume from exactly there. Remap a key by its "
    '[id]: WFTUI_KEYMAP="wftui.new_run=ctrl+n".'
)

HelpSection = tuple[str, Sequence[BindingType]]


class HelpScreen(ModalScreen[None]):
    """Lists bindings by section; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="wftui.help.close"),
    ]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__(classes="dialog-screen")
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help") as box:
            box.border_title = "Help: keys"
            yield Static(Text(INTRO), classes="dialog-line")
            for title, bindings in self._sections:
                yield Static(self._table(title, bindings), classes="dialog-line")
            yield Static(Text("esc, q or ?: close"), classes="dialog-hint")

    def _table(self, title: str, bindings: Sequence[BindingType]) -> Text:
        lines = Text(title, style="bold underline")
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = " / ".join(
                self.app.get_key_display(Binding(key.strip(), binding.action))
                for key in binding.key.split(",")
            )
            what = binding.description + (f": {binding.tooltip}" if binding.tooltip else "")
            lines.append(f"\n  {keys:<18}", style="bold")
            lines.append(what)
            if binding.id:
                lines.append(f"  [{binding.id}]", style="dim")
        return lines

    def action_close(self) -> None:
        self.dismiss(None)
