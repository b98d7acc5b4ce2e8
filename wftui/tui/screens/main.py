"""The main screen: header, the four panes, footer; it feeds the panes and shares the terminal.

Wide terminals show every pane at once. Below ``COMPACT_WIDTH`` x ``COMPACT_HEIGHT`` the
screen gets the ``-compact`` class: one pane at a time, a tab strip on top, Tab to switch.
Engine events arrive here (``EngineEvents``) and go to the panes; the store is read here too.
Workers are started on the App, whose ``on_worker_state_changed`` reports their errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Set
from typing import Any, ClassVar

from textual import events, getters
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from wftui.checkpoint.document import parse_checkpoint
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.references import CheckpointReferencedError, delete_alone
from wftui.checkpoint.storage import CheckpointError, CheckpointStorage
from wftui.engine import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowStatusEvent,
)
from wftui.tui.bridge import EngineEvents, LogRecord, Tone, describe, echoes_a_failure
from wftui.tui.graph import GraphSpec, natural_size
from wftui.tui.spending import LiveSpending, app_prices, run_spending
from wftui.tui.status import Mark, NodeStatus, RunStatus
from wftui.tui.text import Clock, one_line, short_id
from wftui.tui.timeline import Timeline
from wftui.tui.travel_keys import TRAVEL_BINDINGS
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser, CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.panes import Pane, PaneTabs
from wftui.tui.widgets.pipeline_graph import PipelineGraph, PreviewLine

# Checkpoints listed before the whole store, so the first rows do not wait for it.
FIRST_ROWS = 100
# How long the cursor must rest on a row before the inspector decodes that checkpoint.
INSPECT_DELAY = 0.05

COMPACT_WIDTH = 100
COMPACT_HEIGHT = 32
# The graph pane takes the width its drawing needs, between these bounds (share of the width).
GRAPH_MIN_WIDTH = 30
GRAPH_MAX_SHARE = 0.55
# The event log keeps at least this many rows; on tall terminals it gets the spare ones.
LOG_MIN_ROWS = 14
TOP_ROW_CAP = 14  # rows of the browser and of the inspector before the log gets the rest
PANE_TITLES = ["Graph", "Checkpoints", "Inspector", "Events"]
PANE_IDS = ["graph-pane", "checkpoints-pane", "inspector-pane", "events-pane"]


class LogFilter(Input):
    """The ``/`` filter line under the event log; Esc clears it and hides it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="wftui.filter.clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.query_one(EventLog).focus()


class MainScreen(Screen[None]):
    """Lays out the panes, moves between them, and keeps them fed; the app owns the actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "tab",
            "cycle_pane(1)",
            "Next pane",
            show=False,
            id="wftui.next_pane",
            tooltip="Move to the next pane (graph, checkpoints, inspector, events)",
        ),
        Binding(
            "shift+tab",
            "cycle_pane(-1)",
            "Previous pane",
            show=False,
            id="wftui.previous_pane",
            tooltip="Move to the previous pane",
        ),
        *(
            Binding(
                str(index + 1),
                f"show_pane({index})",
                f"{title} pane",
                show=False,
                id=f"wftui.pane.{title.lower()}",
                tooltip=f"Jump to the {title.lower()} pane",
            )
            for index, title in enumerate(PANE_TITLES)
        ),
        # Works from any pane, but the footer offers it only in the event log, which it filters.
        Binding(
            "slash",
            "filter_log",
            "Filter",
            show=False,
            id="wftui.filter",
            tooltip="Filter the event log; Enter keeps the filter, Esc clears it",
        ),
        *TRAVEL_BINDINGS,
    ]

    graph = getters.query_one(PipelineGraph)
    preview_line = getters.query_one(PreviewLine)
    browser = getters.query_one(CheckpointBrowser)
    inspector = getters.query_one(CheckpointInspector)
    event_log = getters.query_one(EventLog)

    def __init__(
        self,
        header: StatusHeader,
        graph: GraphSpec,
        clock: Clock,
        storage: CheckpointStorage,
        *,
        signature: str,
        run_active: Callable[[], bool],
    ) -> None:
        super().__init__(id="main")
        self.header = header  # kept: the app reads the run status even after the screen closes
        self._spec = graph
        self._clock = clock
        self._storage = storage
        self._signature = signature
        self._run_active = run_active
        self._running_nodes: set[str] = set()
        self.timeline = Timeline()  # the current run's bars, for the timeline screen
        # What a failed checkpoint's file says failed, learnt when the inspector reads it.
        self._failed: dict[str, frozenset[str]] = {}
        self._replayed: dict[str, frozenset[str]] = {}
        self._run_failed = False  # this run failed: its failed checkpoint gets the cursor
        self._spending = LiveSpending(app_prices())

    def compose(self) -> ComposeResult:
        yield self.header
        yield PaneTabs(PANE_TITLES, id="pane-tabs")
        with Grid(id="panes"):
            yield Pane(PipelineGraph(self._spec, id="graph"), title="Graph", id="graph-pane")
            yield Pane(
                CheckpointBrowser(self._clock, id="browser"),
                PreviewLine(self._spec, id="preview-line"),
                title="Checkpoints",
                id="checkpoints-pane",
            )
            yield Pane(CheckpointInspector(id="inspector"), title="Inspector", id="inspector-pane")
            yield Pane(
                EventLog(self._clock, id="event-log"),
                LogFilter(placeholder="filter the event log", id="log-filter"),
                title="Events",
                id="events-pane",
            )
        yield Footer()

    def on_mount(self) -> None:
        width = max((len(node.id) for node in self._spec.nodes), default=8)
        self.event_log.executor_width = min(width, 28)
        self.watch(self, "focused", self.update_preview, init=False)
        self.show_pane(1)

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        self.set_class(compact, "-compact")
        self.query_one(Footer).compact = compact
        self._share_the_screen(width, height)

    def _share_the_screen(self, width: int, height: int) -> None:
        """Size the grid to the content: the graph's width, the spare rows to the log."""
        graph_width, graph_height = natural_size(self._spec)
        pane_width = graph_width + 2  # the pane's border
        columns = max(GRAPH_MIN_WIDTH, min(pane_width, int(width * GRAPH_MAX_SHARE)))
        rows = height - 2  # header and footer
        # Each top row holds a pane (border included); the graph spans both rows.
        top = max(TOP_ROW_CAP, (graph_height + 2 + 1) // 2)
        top = max(1, min(top, (rows - LOG_MIN_ROWS) // 2))
        grid = self.query_one("#panes", Grid)
        grid.styles.grid_columns = f"{columns} 1fr"
        grid.styles.grid_rows = f"{top} {top} 1fr"

    def set_graph(self, graph: GraphSpec, signature: str) -> None:
        """The pipeline was reloaded and its graph changed: draw the new one."""
        self._spec = graph
        self._signature = signature
        self._share_the_screen(*self.size)
        self.graph.set_graph(graph)
        self.preview_line.set_graph(graph)

    # ----- panes -----

    @property
    def panes(self) -> list[Pane]:
        return [self.query_one(f"#{pane_id}", Pane) for pane_id in PANE_IDS]

    @property
    def active_index(self) -> int:
        for index, pane in enumerate(self.panes):
            if pane.has_class("-active"):
                return index
        return 0

    def show_pane(self, index: int) -> None:
        """Make pane ``index`` the active one and focus it (after a compact layout shows it)."""
        self._mark_active(index)
        pane = self.panes[index]
        self.call_after_refresh(lambda: pane.focus_target().focus())

    def _mark_active(self, index: int) -> None:
        for position, pane in enumerate(self.panes):
            pane.set_class(position == index, "-active")
        self.query_one(PaneTabs).set_active(index)

    def action_cycle_pane(self, step: int) -> None:
        self.show_pane((self.active_index + step) % len(PANE_IDS))

    def action_show_pane(self, index: int) -> None:
        self.show_pane(index)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Clicking or a dialog can move focus; the active pane follows it."""
        for index, pane in enumerate(self.panes):
            if event.widget is pane or pane in event.widget.ancestors:
                if not pane.has_class("-active"):
                    self._mark_active(index)
                return

    def on_pane_tabs_chosen(self, message: PaneTabs.Chosen) -> None:
        self.show_pane(message.index)

    # ----- the log filter -----

    def action_filter_log(self) -> None:
        self._mark_active(PANE_IDS.index("events-pane"))
        log_filter = self.query_one(LogFilter)
        log_filter.add_class("-shown")
        self.call_after_refresh(log_filter.focus)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "log-filter":
            self.event_log.set_filter(event.value)
            self.update_log_title()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "log-filter":
            self.event_log.focus()

    def update_log_title(self) -> None:
        """The events pane's subtitle: line counts, and the filter when one is set."""
        log = self.event_log
        if log.filter_text:
            text = f"{log.line_count} of {log.total_count} match “{log.filter_text}”"
        else:
            text = f"{log.total_count} lines"
        self.query_one("#events-pane", Pane).border_subtitle = text

    # ----- the store -----

    def load_store(self) -> None:
        self.app.run_worker(self._load_store(), group="store", exit_on_error=False)

    async def _load_store(self) -> None:
        """List the store; later checkpoints arrive as events, never by re-scanning.

        The newest few come first, so a big store shows its first rows at once.
        """
        for limit in (FIRST_ROWS, None):
            summaries = await self._storage.list_summaries(limit=limit)
            mine = [s for s in summaries if s.graph_signature in ("", self._signature)]
            await self.browser.load(mine)
        notes = []
        if len(mine) < len(summaries):
            notes.append(f"{len(summaries) - len(mine)} checkpoints of other pipelines not shown")
        self.browser.set_notes(notes)
        self.browser.set_problems(self._storage.problems)

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
        self.app.refresh_bindings()
        if message.moved or message.checkpoint_id is None:
            self.update_preview()
        if message.checkpoint_id is None:
            self.inspector.show_message("no checkpoint selected")
        else:
            inspect = self._inspect(message.checkpoint_id)
            self.app.run_worker(inspect, group="inspect", exclusive=True, exit_on_error=False)

    def update_preview(self, _focused: Widget | None = None) -> None:
        """While the browser has focus and nothing runs, the graph shows the highlighted row.

        So does the preview line under the table, for compact layouts that hide the graph.
        Called when the cursor or the focus moves and when a run starts, not when one ends:
        the graph keeps the finished run's statuses until the user looks at a checkpoint again.
        """
        checkpoint_id = self.browser.highlighted_id
        browsing = isinstance(self.focused, CheckpointTable)
        views: tuple[PipelineGraph | PreviewLine, ...] = (self.graph, self.preview_line)
        if checkpoint_id is not None and browsing and not self._run_active():
            ran, next_ids = self.browser.preview(checkpoint_id)
            failed = self._failed.get(checkpoint_id, frozenset())
            replayed = self._replayed.get(checkpoint_id, frozenset())
            for view in views:
                view.show_preview(ran | replayed, next_ids - replayed - failed, failed)
        else:
            for view in views:
                view.clear_preview()

    # ----- runs -----

    def run_started(self, label: str, ran: Set[str]) -> None:
        """A run starts: live statuses from scratch, except what a resume will not run again."""
        self.graph.reset_statuses()
        self._spending.reset()
        for executor_id in ran:
            self.graph.set_status(executor_id, NodeStatus.DONE)
        self.header.status = RunStatus.RUNNING
        self._run_failed = False
        self.timeline.reset()
        self.note("run", label, Tone.QUIET)

    def run_ended(self, *, cancelled: bool) -> None:
        if cancelled:
            self.header.status = RunStatus.CANCELLED
            text = f"{Mark.CANCELLED} cancelled; the last checkpoint stays resumable"
            self.note("status", text, Tone.FAILURE)
        self.timeline.ended()
        for executor_id in self._running_nodes:  # interrupted: they run again on resume
            self.graph.set_status(executor_id, NodeStatus.PENDING)
        self._running_nodes.clear()

    def note(self, kind: str, text: str, tone: Tone) -> None:
        """A line in the event log from the app itself (not from the engine)."""
        self.event_log.add_records([LogRecord(self._clock.now(), kind, "", text, tone)])
        self.update_log_title()

    def on_engine_events(self, message: EngineEvents) -> None:
        """Each event to the panes it concerns; the message then bubbles on to the App."""
        if not self.app.is_running:
            return  # shutting down: the panes are gone, and so is anyone to tell
        self.event_log.add_records(
            describe(event) for event in message.events if not echoes_a_failure(event)
        )
        self.update_log_title()
        self.timeline.see_all(message.events)
        saved: list[str] = []
        outputs: list[Any] = []
        graph = self.graph
        for event in message.events:
            if (spender := self._spending.feed(event)) is not None:
                graph.set_note(spender, self._spending.note(spender))
            match event:
                case ExecutorInvokedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.RUNNING)
                    self._running_nodes.add(executor_id)
                case ExecutorCompletedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.DONE)
                    self._running_nodes.discard(executor_id)
                case ExecutorFailedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.FAILED)
                    self._running_nodes.discard(executor_id)
                case RequestInfoEvent(source_executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.WAITING)
                case WorkflowStatusEvent(state=state):
                    self.header.status = RunStatus.from_run_state(state)
                case CheckpointSavedEvent(checkpoint_id=checkpoint_id):
                    saved.append(checkpoint_id)
                case WorkflowOutputEvent(data=data):
                    outputs.append(data)
                case WorkflowFailedEvent():
                    self._run_failed = True
        if outputs:  # one toast per batch, however many outputs a flood brings
            more = f" (+{len(outputs) - 1} more in the log)" if len(outputs) > 1 else ""
            self.notify(one_line(outputs[-1], 300) + more, title="Output")
        if saved:
            adding = self._add_checkpoints(saved)
            self.app.run_worker(adding, group="checkpoints", exit_on_error=False)
