"""The checkpoint browser: a tree of runs and branches, a notes line and a filter.

The store's checkpoints are kept as compact tuples (``wftui.tui.browser.model``) and drawn by
``CheckpointTable`` (``checkpoint_table``), so every row is reachable as soon as the listing is
in. New checkpoints go into their run without rebuilding the others, and the cursor stays on
the row it was on. The table, the filter line and the messages are re-exported from here.

The filter narrows the rows at once by what the listing holds (ids, names, status, next
executors); given the store's documents, it also searches the values, in a worker that starts
when typing pauses, adds matches as it finds them and is cancelled by the next key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeAlias

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary, ListingProblem
from wftui.tui.browser.model import CheckpointTree, RowKind, SummaryView
from wftui.tui.browser.value_search import LoadDocument, ValueSearch
from wftui.tui.text import Clock
from wftui.tui.widgets.checkpoint_messages import FilterOpened, Highlighted, Moved, Selected
from wftui.tui.widgets.checkpoint_table import TONES, BrowserFilter, CheckpointTable
from wftui.tui.workers import when_started

__all__ = ["LOAD_CHUNK", "TONES", "BrowserFilter", "CheckpointBrowser", "CheckpointTable"]

# Summaries added between two yields to the event loop while a big store loads.
LOAD_CHUNK = 5_000
# Typing pauses this long before values are searched; a shorter text searches no values
# (one character would read every document for matches in almost all).
SEARCH_DELAY = 0.25
SEARCH_MIN_CHARS = 2
SEARCH_GROUP = "value-search"
PROGRESS_EVERY = 0.2  # seconds between two redraws of a search's progress


class CheckpointBrowser(Vertical):
    """The tree of checkpoints, a notes line (other pipelines, an empty store) and a filter."""

    DEFAULT_CSS = """
    CheckpointBrowser {
        height: 1fr;
        #checkpoint-notes { color: $text-warning; display: none; }
        #checkpoint-notes.-shown { display: block; }
        #browser-filter { display: none; height: 1; border: none; padding: 0 1; }
        #browser-filter.-shown { display: block; }
    }
    """

    Highlighted: TypeAlias = Highlighted
    Selected: TypeAlias = Selected
    Moved: TypeAlias = Moved
    FilterOpened: TypeAlias = FilterOpened

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        documents: LoadDocument | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self.model = CheckpointTree()
        self.summaries: Mapping[str, CheckpointSummary] = SummaryView(self.model)
        self._announced: str | None = None  # the last id a Highlighted message gave
        self._notes: list[str] = []
        self._values = ValueSearch(documents) if documents is not None else None
        self._searched: tuple[int, int] | None = None  # values read: (so far, of); None: done

    def compose(self) -> ComposeResult:
        yield Static(id="checkpoint-notes")
        yield CheckpointTable(self.model, self.clock, id="checkpoint-table")
        placeholder = "filter by id, run, executor, status" + (
            " or text in values" if self._values is not None else ""
        )
        yield BrowserFilter(placeholder=placeholder, id="browser-filter")

    @property
    def table(self) -> CheckpointTable:
        return self.query_one(CheckpointTable)

    @property
    def highlighted_id(self) -> str | None:
        """The checkpoint under the cursor now (read from the table, not from a message that
        may still be queued, so a key pressed right after a move acts on the new row)."""
        row = self.table.cursor
        return row.key if row is not None and row.kind is RowKind.CHECKPOINT else None

    def set_notes(self, notes: Sequence[str]) -> None:
        """Warnings above the tree, such as checkpoints of other pipelines left out."""
        self._notes = list(notes)
        self._show_notes()

    def set_problems(self, problems: Iterable[ListingProblem]) -> None:
        """Files the store could not read: one ``⚠ N unreadable files`` row that opens the list."""
        self.model.set_problems(problems)
        self.table.rows_changed()

    async def load(self, summaries: Sequence[CheckpointSummary]) -> None:
        """Add a listing (any order); yields between chunks so keys stay answered meanwhile.

        Until the user moves, the cursor rests on the newest run's first checkpoint.
        """
        for start in range(0, len(summaries), LOAD_CHUNK):
            self.model.add_all(
                s
                for s in summaries[start : start + LOAD_CHUNK]
                if s.checkpoint_id not in self.model
            )
            self._after_load()
            await asyncio.sleep(0)
        self._after_load()

    def add(self, summary: CheckpointSummary) -> None:
        """A checkpoint the engine just saved: a new row in its run, the cursor unmoved (and,
        while a filter is set, its values searched too)."""
        if self.model.add(summary):
            table = self.table
            table.rows_changed()
            if self.highlighted_id is None and not table.user_moved:
                table.reset_cursor()  # the store's first checkpoint: put the cursor on it
            self._show_notes()
            if self.model.filter_text:
                self._search_values()

    def drop(self, checkpoint_id: str) -> None:
        if self.model.remove(checkpoint_id):
            self.table.rows_changed()
            self._show_notes()

    def select_checkpoint(self, checkpoint_id: str) -> bool:
        """Move the cursor to ``checkpoint_id`` (e.g. a run's failed checkpoint); False if absent."""
        row = self.table.model.reveal(checkpoint_id)
        if row is None:
            return False
        self.table.rows_changed()
        self.table.move_cursor(row)
        return True

    def preview(self, checkpoint_id: str) -> tuple[set[str], set[str]]:
        """Executors that ran before ``checkpoint_id`` and those that run next if resumed there.

        What ran is read from the ancestors: each one's "next" ran in the superstep after it. A
        failed checkpoint holds its parent's state, so its parent's "next" did not finish.
        """
        tree = self.model
        record = tree.record(checkpoint_id)
        node: str | None = checkpoint_id
        if record.status is CheckpointStatus.FAILED:
            parent = tree.parent(checkpoint_id)
            node = parent.checkpoint_id if parent else None
        ran: set[str] = set()
        for _ in range(len(tree)):
            parent = tree.parent(node) if node else None
            if parent is None:
                break
            ran.update(parent.next_ids)
            node = parent.checkpoint_id
        return ran, set(record.next_ids)

    # ----- messages -----

    def on_checkpoint_browser_moved(self, message: Moved) -> None:
        message.stop()
        row = message.row
        checkpoint_id = row.key if row is not None and row.kind is RowKind.CHECKPOINT else None
        if checkpoint_id != self._announced:
            moved = self._announced is not None
            self._announced = checkpoint_id
            self.post_message(self.Highlighted(checkpoint_id, moved))

    def on_checkpoint_browser_filter_opened(self, message: FilterOpened) -> None:
        message.stop()
        box = self.query_one(BrowserFilter)
        box.add_class("-shown")
        self.call_after_refresh(box.focus)

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, BrowserFilter):
            event.stop()
            self.model.set_filter(event.value)
            self.table.rows_changed()
            self._search_values()
            self._show_notes()

    # ----- searching values -----

    @property
    def searching_values(self) -> bool:
        """A search of the values is waiting for typing to pause, or reading documents."""
        return any(
            worker.node is self and worker.group == SEARCH_GROUP and worker.is_running
            for worker in self.workers
        )

    def _search_values(self) -> None:
        """Search the values for the filter's text once typing pauses; the previous search,
        if any, is cancelled (it was for other text, or before new checkpoints came)."""
        self.workers.cancel_group(self, SEARCH_GROUP)
        self._searched = None
        needle = self.model.filter_text
        if self._values is None or len(needle) < SEARCH_MIN_CHARS:
            return
        self._searched = (0, 0)  # waiting for typing to pause
        self.run_worker(
            when_started(self._value_worker, self._values, needle),
            group=SEARCH_GROUP,
            exit_on_error=False,
        )

    async def _value_worker(self, values: ValueSearch, needle: str) -> None:
        await asyncio.sleep(SEARCH_DELAY)
        ids = list(self._search_order())
        shown_at = 0.0
        async for hits, seen in values.search(needle, ids):
            self._searched = (seen, len(ids))
            if hits:
                self.model.add_value_hits(hits)
                self.table.rows_changed()
            if hits or time.monotonic() - shown_at >= PROGRESS_EVERY:
                shown_at = time.monotonic()  # progress redrawn a few times a second, no more
                self._show_notes()
        self._searched = None
        self._show_notes()

    def _search_order(self) -> Iterator[str]:
        """The newest run's checkpoints first: its matches show where the user looks."""
        runs = sorted(self.model.runs.values(), key=lambda r: (r.start, r.workflow_id))
        for run in reversed(runs):
            yield from reversed(run.records)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, BrowserFilter):
            event.stop()
            self.table.focus()

    # ----- internals -----

    def _after_load(self) -> None:
        table = self.table
        table.rows_changed()
        if not table.user_moved:
            table.reset_cursor()
        self._show_notes()

    def _show_notes(self) -> None:
        lines = [f"⚠ {note}" for note in self._notes]
        if not len(self.model):
            lines.append("No checkpoints yet: press n to start a run.")
        if self.model.filter_text:
            count = self.model.matched_count()
            line = f"{count} of {len(self.model)} match “{self.model.filter_text}”"
            if self._searched is not None:
                seen, total = self._searched
                line += (
                    f"; searching values {seen:,} of {total:,}…" if total else "; searching values…"
                )
            lines.append(line)
        widget = self.query_one("#checkpoint-notes", Static)
        widget.update(Text("\n".join(lines)))
        widget.set_class(bool(lines), "-shown")
