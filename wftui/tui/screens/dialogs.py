"""Modal dialogs: the new-run prompt, yes/no confirmations, and a human's answer to a request."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from wftui.engine import RequestInfoEvent
from wftui.tui.bridge import data_text


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line of text; Enter answers, Esc cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="wftui.dialog.cancel")
    ]

    def __init__(
        self,
        title: str,
        lines: list[str],
        value: str = "",
        placeholder: str = "",
        hint: str = "enter: start   esc: cancel",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._lines = lines
        self._value = value
        self._placeholder = placeholder
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self._title
            for line in self._lines:
                yield Static(Text(line), classes="dialog-line")
            yield Input(self._value, placeholder=self._placeholder, id="dialog-input")
            yield Static(Text(self._hint), classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def request_prompt(event: RequestInfoEvent) -> PromptScreen:
    """The dialog for a human-in-the-loop request; Esc leaves it pending."""
    lines = [
        f"{event.source_executor_id} asks for an answer ({event.request_type or 'request'}):",
        data_text(event.data),
        f"request id: {event.request_id}",
    ]
    hint = "enter: answer   esc: leave it pending (resume its checkpoint later to answer)"
    return PromptScreen("Human input needed", lines, placeholder="your answer", hint=hint)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or the Yes button confirms, n or Esc declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="wftui.dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="wftui.dialog.no"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self._title
            yield Static(Text(self._question), classes="dialog-line")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class LineConfirmScreen(ModalScreen[bool]):
    """A one-line question over the footer: Enter confirms, Esc declines.

    For a quick "are you sure" that should not hide the panes (what a resume will run).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", "Confirm", id="wftui.dialog.confirm"),
        Binding("escape", "answer(False)", "Cancel", id="wftui.dialog.cancel_line"),
    ]

    def __init__(self, line: str) -> None:
        super().__init__(classes="line-confirm-screen")
        self.line = line

    def compose(self) -> ComposeResult:
        yield Static(Text(self.line), classes="line-confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
