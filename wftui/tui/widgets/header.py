"""The one-line header: pipeline, chat backend, run status, checkpoint folder."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wftui.tui.status import RunStatus


class StatusHeader(Widget):
    """What is loaded and what it is doing; the folder gives way first when space runs out."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        f"status-header--{status.name.lower()}" for status in RunStatus
    } | {"status-header--name"}
    DEFAULT_CSS = """
    StatusHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        & > .status-header--name { background: $primary; color: $text; text-style: bold; }
        & > .status-header--idle { color: $foreground; text-style: dim; }
        & > .status-header--running { color: $text-success; text-style: bold; }
        & > .status-header--waiting { background: $warning; color: $background; text-style: bold; }
        & > .status-header--completed { color: $text-success; text-style: bold; }
        & > .status-header--failed { background: $error; color: $background; text-style: bold; }
        & > .status-header--cancelled { color: $text-warning; text-style: bold; }
        & > .status-header--lost { color: $text-warning; text-style: bold; }
    }
    """

    status: reactive[RunStatus] = reactive(RunStatus.IDLE)
    spending: reactive[str] = reactive("")  # the run's tokens, cost, and what resuming saved

    def __init__(self, pipeline: str, chat: str, folder: str, chat_short: str = "") -> None:
        super().__init__()
        self.pipeline = pipeline
        self.chat = chat
        self.chat_short = chat_short or chat
        self.folder = folder

    def render(self) -> Text:
        """Status first; when space runs short the chat model goes, then the folder shrinks."""
        status = self.status
        style = self.get_component_rich_style
        width = self.size.width
        head = Text.assemble(
            (" wftui ", style("status-header--name")),
            " ",
            (self.pipeline, "bold"),
            " ",
            (f" {status.symbol} {status.value} ", style(f"status-header--{status.name.lower()}")),
            " ",
        )
        if self.spending:
            head.append(f"{self.spending} ", "bold")
        chat = f" chat: {self.chat} "
        if head.cell_len + len(chat) + 12 > width:
            chat = f" chat: {self.chat_short} "
        head.append(chat)
        room = width - head.cell_len - 1
        folder = self.folder
        if len(folder) > room:
            folder = "…" + folder[-(room - 1) :] if room > 8 else ""
        head.append(" " + folder, style="dim")
        head.truncate(width)
        return head
