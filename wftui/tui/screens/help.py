"""The ``?`` screen: every key, grouped by where it works, written from the bindings themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeGuard

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
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
    """Lists bindings by section, keys in one aligned column; any of Esc, q or ? closes it.

    Each binding is a row of two columns, so a long description wraps inside its own column
    instead of under the keys; the whole list scrolls when it does not fit.
    """

    DEFAULT_CSS = """
    HelpScreen {
        .help-title { text-style: bold; margin: 1 0 0 0; }
        .help-row { height: auto; }
        .help-keys { color: $text-accent; }
        .help-what { width: 1fr; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="wftui.help.close"),
    ]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__(classes="dialog-screen")
        self._sections = sections

    def compose(self) -> ComposeResult:
        rows = [
            (title, [(self._keys(b), self._what(b)) for b in bindings if _described(b)])
            for title, bindings in self._sections
        ]
        width = max((len(keys) for _, lines in rows for keys, _ in lines), default=0) + 2
        with VerticalScroll(classes="dialog help") as box:
            box.border_title = "Help: keys"
            yield Static(Text(INTRO), classes="dialog-line")
            for title, lines in rows:
                yield Static(Text(title), classes="help-title")
                for keys, what in lines:
                    with Horizontal(classes="help-row"):
                        yield Static(Text(keys), classes="help-keys").set_styles(f"width: {width};")
                        yield Static(what, classes="help-what")
            yield Static(Text("esc, q or ?: close"), classes="dialog-hint")

    def _keys(self, binding: Binding) -> str:
        return " / ".join(
            self.app.get_key_display(Binding(key.strip(), binding.action))
            for key in binding.key.split(",")
        )

    @staticmethod
    def _what(binding: Binding) -> Text:
        what = Text(binding.description + (f": {binding.tooltip}" if binding.tooltip else ""))
        if binding.id:
            what.append(f"  [{binding.id}]", style="dim")
        return what

    def action_close(self) -> None:
        self.dismiss(None)


def _described(binding: BindingType) -> TypeGuard[Binding]:
    return isinstance(binding, Binding) and bool(binding.description)
