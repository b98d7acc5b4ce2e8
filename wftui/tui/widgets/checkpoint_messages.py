"""The checkpoint browser's messages, shared by the table that posts them and the browser.

They live apart so the table and the browser import them without importing each other; the
``checkpoint_browser`` namespace keeps the handler names (``on_checkpoint_browser_selected``)
and the browser re-exports them as ``CheckpointBrowser.Selected`` and so on.
"""

from __future__ import annotations

from textual.message import Message

from wftui.tui.browser.model import Row


class Highlighted(Message, namespace="checkpoint_browser"):
    """The cursor moved to a checkpoint (None on a run or problems row, or when empty).

    ``moved`` is False when the first row of an empty table got the cursor by itself.
    """

    def __init__(self, checkpoint_id: str | None, moved: bool) -> None:
        super().__init__()
        self.checkpoint_id = checkpoint_id
        self.moved = moved


class Selected(Message, namespace="checkpoint_browser"):
    """A double click on a checkpoint row: resume from it."""

    def __init__(self, checkpoint_id: str) -> None:
        super().__init__()
        self.checkpoint_id = checkpoint_id


class Moved(Message, namespace="checkpoint_browser"):
    """The table's cursor is on ``row`` (internal: the browser turns it into Highlighted)."""

    def __init__(self, row: Row | None) -> None:
        super().__init__()
        self.row = row


class FilterOpened(Message, namespace="checkpoint_browser"):
    """``/`` in the table: show the filter line."""
