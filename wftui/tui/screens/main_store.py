"""The main screen's store side: list the store, then keep the browser in step with the store's
``watch()`` (checkpoints any process saves or deletes), inspect the highlighted checkpoint, add
the ones a run saves, delete, and preview on the graph what a resume would run.

Reads go through the storage in workers started on the App, whose ``on_worker_state_changed``
reports their errors; the store's changes come from one of the app's watch loops (``watching``).
"""

from __future__ import annotations

import asyncio

from textual.binding import ActiveBinding
from textual.screen import Screen
from textual.widget import Widget

from wftui.checkpoint.capabilities import Change, SequencedStorage
from wftui.checkpoint.document import parse_checkpoint
from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.references import CheckpointReferencedError, delete_alone
from wftui.checkpoint.storage import CheckpointError
from wftui.tui.screens.main_base import PANE_IDS, MainScreenBase
from wftui.tui.spending import run_spending
from wftui.tui.text import counted, one_line, short_id
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser, CheckpointTable
from wftui.tui.widgets.pipeline_graph import PipelineGraph, PreviewLine
from wftui.tui.workers import when_started

# Checkpoints listed before the whole store, so the first rows do not wait for it.
FIRST_ROWS = 100
# How long the cursor must rest on a row before the inspector decodes that checkpoint.
INSPECT_DELAY = 0.05


class StoreFeed(MainScreenBase):
    """Keeps the browser, the inspector and the graph's preview in step with the store."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.elsewhere: dict[str, str] = {}  # run -> where another process is running it
        self.worked: dict[str, float] = {}  # run -> seconds its executions worked (journal)
        self.showing: str | None = None  # the run whose story the graph and the log tell
        self._others: set[str] = set()  # checkpoints of other pipelines, not shown
        self._listed = asyncio.Event()
        self._watch_from = 0  # the store's change seq its watch starts after
        self._footer_shows: dict[str, ActiveBinding] | None = None  # as last refreshed

    def load_store(self) -> None:
        self.app.run_worker(self._load_store(), group="store", exit_on_error=False)

    async def _load_store(self) -> None:
        """List the store; later checkpoints arrive from its watch, never by re-scanning.

        The newest few come first, so a big store shows its first rows at once.
        """
        if isinstance(self._storage, SequencedStorage):  # before listing: nothing is missed
            self._watch_from = await self._storage.last_seq()
        for limit in (FIRST_ROWS, None):
            summaries = await self._storage.list_summaries(limit=limit)
            mine = [s for s in summaries if s.graph_signature in ("", *self._signatures)]
            await self.browser.load(mine)
        shown = {s.checkpoint_id for s in mine}
        self._others = {s.checkpoint_id for s in summaries if s.checkpoint_id not in shown}
        self._note_others()
        self.browser.set_problems(self._storage.problems)
        self._listed.set()

    def _note_others(self) -> None:
        count = len(self._others)
        notes = [f"{counted(count, 'checkpoint')} of other pipelines not shown"] if count else []
        self.browser.set_notes(notes)

    async def listed(self) -> int:
        """Once the listing is in: the store's changes are read after its newest change when
        the listing began (from the start where a store cannot say), so nothing saved between
        the two is missed and no history is replayed."""
        await self._listed.wait()
        return self._watch_from

    async def take_change(self, change: Change) -> None:
        """A checkpoint any process saved or deleted, as the store's ``watch()`` reports it."""
        checkpoint_id = change.checkpoint_id
        if change.kind == "deleted":
            self.browser.drop(checkpoint_id)
            self._others.discard(checkpoint_id)
        elif checkpoint_id not in self.browser.summaries and checkpoint_id not in self._others:
            await self._add_from_store(checkpoint_id)

    async def _add_from_store(self, checkpoint_id: str) -> None:
        """A row for a checkpoint another process saved (its values stay undecoded)."""
        data = await self._storage.load_document(checkpoint_id)
        if data is None or not self.app.is_running:
            return  # deleted since: its tombstone follows
        try:
            summary = parse_checkpoint(data).summary(len(data))
        except CheckpointDecodingError:
            return  # a damaged row: the next listing reports it
        if summary.graph_signature in ("", *self._signatures):
            self.browser.add(summary)
        else:
            self._others.add(checkpoint_id)
            self._note_others()

    def mark_elsewhere(self, run: str, where: str | None) -> None:
        """Mark ``run``'s row as running in another process (``host:pid``), or unmark it."""
        if self.elsewhere.get(run) == where:
            return
        if where is None:
            del self.elsewhere[run]
        else:
            self.elsewhere[run] = where
        table = self.browser.table
        table.renderer.elsewhere = self.elsewhere
        table.refresh()

    def mark_worked(self, run: str, seconds: float) -> None:
        """How long ``run``'s executions worked, as the journal knows: its row's duration."""
        if self.worked.get(run) == seconds:
            return
        self.worked[run] = seconds
        table = self.browser.table
        table.renderer.worked = self.worked
        table.refresh()

    def show_mark(self, checkpoint_id: str | None) -> None:
        """Show which checkpoint ``m`` marked (None: none), so ``c`` says what it compares."""
        table = self.browser.table
        table.renderer.marked = checkpoint_id
        table.refresh()

    async def _inspect(self, checkpoint_id: str) -> None:
        await asyncio.sleep(INSPECT_DELAY)  # holding j should not decode every row it passes
        try:
            checkpoint = await self._storage.load_checkpoint(checkpoint_id)
        except CheckpointError as error:
            self.inspector.show_message(f"cannot read {short_id(checkpoint_id)}: {error}")
            return
        if checkpoint is None:
            self.inspector.show_message(f"checkpoint {short_id(checkpoint_id)} is gone")
            return
        self.inspector.show_checkpoint(checkpoint)
        if checkpoint.error is not None:
            self._learn_failure(checkpoint)
            self.update_preview()

    def replayed(self, checkpoint_id: str) -> frozenset[str]:
        """A failed checkpoint's executors a resume replays (known once its file was read)."""
        return self._replayed.get(checkpoint_id, frozenset())

    def _learn_failure(self, checkpoint: WorkflowCheckpoint) -> None:
        error = checkpoint.error or {}
        executor = error.get("executor_id")
        self._failed[checkpoint.checkpoint_id] = frozenset([executor] if executor else [])
        self._replayed[checkpoint.checkpoint_id] = frozenset(checkpoint.completed_writes)

    async def _add_checkpoints(self, checkpoint_ids: list[str]) -> None:
        for checkpoint_id in checkpoint_ids:
            checkpoint = await self._storage.load_checkpoint(checkpoint_id)
            if checkpoint is None:
                continue
            self.showing = checkpoint.workflow_id  # this app's own run holds the panes
            self.browser.add(checkpoint.summary())
            self.header.spending = run_spending(checkpoint.metadata, self._spending.prices)
            if checkpoint.error is not None and self._run_failed:
                self._run_failed = False
                self._learn_failure(checkpoint)
                self._show_failure(checkpoint)

    def _show_failure(self, checkpoint: WorkflowCheckpoint) -> None:
        """Failure first: the cursor on the failed checkpoint, the browser focused, a toast."""
        error = checkpoint.error or {}
        where = error.get("executor_id") or "the run"
        what = f"{error.get('error_type', 'error')}: {error.get('message', '')}"
        self.show_pane(PANE_IDS.index("checkpoints-pane"))
        self.browser.select_checkpoint(checkpoint.checkpoint_id)
        self.notify(
            f"{where} failed: {one_line(what, 200)}\n"
            f"Enter retries from {short_id(checkpoint.checkpoint_id)}.",
            title="Run failed",
            severity="error",
            timeout=10,
        )

    def delete(self, checkpoint_id: str) -> None:
        self.app.run_worker(self._delete(checkpoint_id), group="checkpoints", exit_on_error=False)

    async def _delete(self, checkpoint_id: str) -> None:
        try:
            await delete_alone(self._storage, checkpoint_id, parse_checkpoint)
        except CheckpointReferencedError as error:
            self.notify(str(error), severity="error")
            return
        self.browser.drop(checkpoint_id)
        self.notify(f"Deleted checkpoint {short_id(checkpoint_id)}")

    def on_checkpoint_browser_highlighted(self, message: CheckpointBrowser.Highlighted) -> None:
        self._refresh_footer()
        if message.moved or message.checkpoint_id is None:
            self.update_preview()
        if message.checkpoint_id is None:
            self.inspector.show_message("no checkpoint selected")
        else:
            self.app.run_worker(
                when_started(self._inspect, message.checkpoint_id),
                group="inspect",
                exclusive=True,
                exit_on_error=False,
            )

    def _refresh_footer(self) -> None:
        """Refresh the footer's keys only when the highlight changed which ones it shows.

        Textual's footer remounts every key on each refresh (a CSS pass and two layouts of
        the screen, ~10-20 ms here); done on every cursor move, a key pressed during a flood
        of engine events waited behind the previous key's footer (bench_tui's paced flood:
        p95 ~60 ms; ~15 ms without).
        """
        if self.active_bindings != self._footer_shows:
            self.refresh_bindings()

    def bindings_refreshed(self, _screen: Screen[None]) -> None:
        """Any refresh of this screen's keys (ours, or Textual's on a focus change) is what
        the footer shows next."""
        self._footer_shows = self.active_bindings

    def _followed_live(self, checkpoint_id: str) -> bool:
        """Whether the graph shows a run live: this app's, or the highlighted one elsewhere."""
        run = self.browser.model.record(checkpoint_id).workflow_id
        return self._run_active() or (run == self.showing and run in self.elsewhere)

    def update_preview(self, _focused: Widget | None = None) -> None:
        """While the browser has focus and nothing runs, the graph shows the highlighted row
        (unless that row's run is running elsewhere: then its live statuses show).

        So does the preview line under the table, for compact layouts that hide the graph.
        Called when the cursor or the focus moves and when a run starts, not when one ends:
        the graph keeps the finished run's statuses until the user looks at a checkpoint again.
        """
        checkpoint_id = self.browser.highlighted_id
        browsing = isinstance(self.focused, CheckpointTable)
        views: tuple[PipelineGraph | PreviewLine, ...] = (self.graph, self.preview_line)
        if checkpoint_id is not None and browsing and not self._followed_live(checkpoint_id):
            ran, next_ids = self.browser.preview(checkpoint_id)
            failed = self._failed.get(checkpoint_id, frozenset())
            replayed = self._replayed.get(checkpoint_id, frozenset())
            for view in views:
                view.show_preview(ran | replayed, next_ids - replayed - failed, failed)
        else:
            for view in views:
                view.clear_preview()
