"""The main screen's layout: header, the four panes, footer, and moving between the panes.

Wide terminals show every pane at once. Below ``COMPACT_WIDTH`` x ``COMPACT_HEIGHT`` the
screen gets the ``-compact`` class: one pane at a time, a tab strip on top, Tab to switch.
Feeding the panes is inherited: the store side from ``main_store`` (``StoreFeed``), the
engine's events from ``main_run`` (``RunFeed``), the pane lookups from ``main_base``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Footer, Input

from wftui.checkpoint.storage import CheckpointStorage
from wftui.tui.graph import GraphSpec, natural_size
from wftui.tui.late_checkpoints import LateCheckpoints
from wftui.tui.screens.main_base import PANE_IDS, PANE_TITLES
from wftui.tui.screens.main_run import RunFeed
from wftui.tui.spending import LiveSpending, app_prices
from wftui.tui.text import Clock, counted
from wftui.tui.timeline import Timeline
from wftui.tui.travel_keys import TRAVEL_BINDINGS
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.panes import Pane, PaneTabs
from wftui.tui.widgets.pipeline_graph import PipelineGraph, PreviewLine

COMPACT_WIDTH = 100
COMPACT_HEIGHT = 32
# The graph pane takes the width its drawing needs, between these bounds (share of the width).
GRAPH_MIN_WIDTH = 30
GRAPH_MAX_SHARE = 0.55
# The event log keeps at least this many rows; on tall terminals it gets the spare ones.
LOG_MIN_ROWS = 14
TOP_ROW_CAP = 14  # rows of the browser and of the inspector before the log gets the rest


class LogFilter(Input):
    """The ``/`` filter line under the event log; Esc clears it and hides it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="wftui.filter.clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-shown")
        self.screen.query_one(EventLog).focus()


class MainScreen(RunFeed):
    """Lays out the panes, moves between them, and keeps them fed; the app owns the actions."""

    # The browser has the keys from the first frame: a key pressed while the store still loads
    # moves its cursor instead of going to whichever pane happens to be first.
    AUTO_FOCUS = "#checkpoint-table"

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

    def __init__(
        self,
        header: StatusHeader,
        graph: GraphSpec,
        clock: Clock,
        storage: CheckpointStorage,
        *,
        signatures: tuple[str, ...],
        run_active: Callable[[], bool],
    ) -> None:
        super().__init__(id="main")
        self.header = header  # kept: the app reads the run status even after the screen closes
        self._spec = graph
        self._clock = clock
        self._storage = storage
        self._signatures = signatures
        self._run_active = run_active
        self._running_nodes: set[str] = set()
        self.timeline = Timeline()  # the current run's bars, for the timeline screen
        self._late = LateCheckpoints()  # checkpoint lines announced after the run moved on
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
                CheckpointBrowser(self._clock, documents=self._storage.load_document, id="browser"),
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
        self.bindings_updated_signal.subscribe(self, self.bindings_refreshed, immediate=True)
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

    def set_graph(self, graph: GraphSpec, signatures: tuple[str, ...]) -> None:
        """The pipeline was reloaded and its graph changed: draw the new one."""
        self._spec = graph
        self._signatures = signatures
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
            text = counted(log.total_count, "line")
        self.query_one("#events-pane", Pane).border_subtitle = text
