"""The main screen: header, the four panes, footer; and how the panes share a small terminal.

Wide terminals show every pane at once. Below ``COMPACT_WIDTH`` x ``COMPACT_HEIGHT`` the
screen gets the ``-compact`` class: one pane at a time, a tab strip on top, Tab to switch.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from wftui.tui.text import Clock
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.panes import Pane, PaneTabs

COMPACT_WIDTH = 100
COMPACT_HEIGHT = 32
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
    """Lays out the panes and moves between them; the app owns everything that runs."""

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
        Binding(
            "slash",
            "filter_log",
            "Filter",
            id="wftui.filter",
            tooltip="Filter the event log; Enter keeps the filter, Esc clears it",
        ),
    ]

    def __init__(
        self, header: StatusHeader, graph: Widget, preview_line: Widget, clock: Clock
    ) -> None:
        super().__init__(id="main")
        self._header = header
        self._graph = graph
        self._preview_line = preview_line
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield self._header
        yield PaneTabs(PANE_TITLES, id="pane-tabs")
        with Grid(id="panes"):
            yield Pane(self._graph, title="Graph", id="graph-pane")
            yield Pane(
                CheckpointBrowser(self._clock, id="browser"),
                self._preview_line,
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
        self.show_pane(1)

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        self.set_class(compact, "-compact")
        self.query_one(Footer).compact = compact

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
            self.query_one(EventLog).set_filter(event.value)
            self.update_log_title()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "log-filter":
            self.query_one(EventLog).focus()

    def update_log_title(self) -> None:
        """The events pane's subtitle: line counts, and the filter when one is set."""
        log = self.query_one(EventLog)
        if log.filter_text:
            text = f"{log.line_count} of {log.total_count} match “{log.filter_text}”"
        else:
            text = f"{log.total_count} lines"
        self.query_one("#events-pane", Pane).border_subtitle = text
