"""Modal dialogs: the new-run prompt, yes/no confirmations, and a human's answer to a request."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar

from pydantic import BaseModel
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from wftui.engine import RequestInfoEvent
from wftui.engine.request_info import coerce_answer
from wftui.engine.typing_utils import is_catch_all, type_name, union_members
from wftui.tui.bridge import data_text
from wftui.tui.text import one_line


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


class RequestScreen(PromptScreen):
    """A human-in-the-loop request as a small form: its fields, then a typed answer.

    Each field of the request shows labelled, with its type and current value. The answer is
    checked against the type the asking executor expects before the dialog closes: an empty
    answer is refused unless that type allows None. With several requests open, the title
    says "1 of N". Esc leaves the request pending.
    """

    def __init__(
        self,
        event: RequestInfoEvent,
        expected: Any = Any,
        sequence: tuple[int, int] | None = None,
    ) -> None:
        hint = "enter: answer   esc: leave it pending (resume its checkpoint later to answer)"
        asks = f"{event.source_executor_id} asks for an answer ({event.request_type or 'request'})"
        super().__init__("Human input needed", [asks], placeholder="your answer", hint=hint)
        self.event = event
        self.expected = expected
        self._sequence = sequence  # (k, n) when asked one after another; else from the stack

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self._title
            for line in self._lines:
                yield Static(Text(line), classes="dialog-line")
            with Vertical(classes="request-fields"):
                for name, type_label, value in request_fields(self.event.data):
                    yield Static(
                        Text.assemble((name, "bold"), " (", (type_label, "italic"), "): ", value),
                        classes="request-field",
                    )
            yield Static(
                Text.assemble(("answer", "bold"), " (", (type_name(self.expected), "italic"), "):"),
                classes="dialog-line",
            )
            yield Input(placeholder="your answer", id="dialog-input")
            yield Static(id="request-problem", classes="request-problem")
            yield Static(
                Text(f"{self._hint}\nrequest id: {self.event.request_id}"), classes="dialog-hint"
            )

    def on_screen_resume(self) -> None:
        """Number the open requests: the one shown is 1 of N."""
        if self._sequence is not None:
            number, total = self._sequence
        else:
            total = sum(isinstance(screen, RequestScreen) for screen in self.app.screen_stack)
            number = 1
        box = self.query_one(".dialog", Vertical)
        box.border_title = self._title + (f" — {number} of {total}" if total > 1 else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # PromptScreen's handler would accept any answer
        problem = answer_problem(self.expected, event.value)
        if problem is None:
            self.dismiss(event.value)
        else:
            self.query_one("#request-problem", Static).update(Text(problem))


def answer_problem(expected: Any, answer: str) -> str | None:
    """Why ``answer`` does not fit ``expected``, or None when it does."""
    if not answer.strip():
        if is_catch_all(expected) or type(None) in union_members(expected):
            return None
        return f"an answer is needed: {type_name(expected)} cannot be empty"
    try:
        coerce_answer(expected, answer)
    except ValueError as error:
        reason = str(error).splitlines()[-1].strip() if str(error) else type(error).__name__
        return f"{answer!r} is not a {type_name(expected)}: {reason}"
    return None


def request_fields(data: object) -> list[tuple[str, str, str]]:
    """(label, type, current value) per field of a request payload; one row for a plain value."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        try:
            hints = typing.get_type_hints(type(data))
        except (NameError, TypeError):
            hints = {}  # an annotation that does not resolve: show the value's own type
        return [
            _field_row(field.name, hints.get(field.name), getattr(data, field.name))
            for field in dataclasses.fields(data)
            if field.name != "request_id"
        ]
    if isinstance(data, BaseModel):
        return [
            _field_row(name, info.annotation, getattr(data, name))
            for name, info in type(data).model_fields.items()
        ]
    return [("value", type_name(type(data)), one_line(data_text(data), 300))]


def _field_row(name: str, declared: Any, value: object) -> tuple[str, str, str]:
    shown_type = type_name(declared if declared is not None else type(value))
    return name, shown_type, one_line(repr(value), 300)


def request_prompt(
    event: RequestInfoEvent, expected: Any = Any, sequence: tuple[int, int] | None = None
) -> RequestScreen:
    """The dialog for a human-in-the-loop request; Esc leaves it pending."""
    return RequestScreen(event, expected, sequence)


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
