"""What the main screen's parts share: the pane lookups, declared once, and the screen's state.

``StoreFeed`` and ``RunFeed`` (the store side and the engine side) and ``MainScreen`` (the
layout) build on this, so each finds the panes the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import getters
from textual.screen import Screen

from wftui.checkpoint.storage import CheckpointStorage
from wftui.tui.late_checkpoints import LateCheckpoints
from wftui.tui.spending import LiveSpending
from wftui.tui.text import Clock
from wftui.tui.timeline import Timeline
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.pipeline_graph import PipelineGraph, PreviewLine

PANE_TITLES = ["Graph", "Checkpoints", "Inspector", "Events"]
PANE_IDS = ["graph-pane", "checkpoints-pane", "inspector-pane", "events-pane"]


class MainScreenBase(Screen[None]):
    """The panes by type, and the state ``MainScreen.__init__`` sets up for its parts."""

    graph = getters.query_one(PipelineGraph)
    preview_line = getters.query_one(PreviewLine)
    browser = getters.query_one(CheckpointBrowser)
    inspector = getters.query_one(CheckpointInspector)
    event_log = getters.query_one(EventLog)

    header: StatusHeader
    timeline: Timeline
    _clock: Clock
    _storage: CheckpointStorage
    _signatures: tuple[str, ...]  # a checkpoint carrying one of these is this graph's
    _run_active: Callable[[], bool]
    _running_nodes: set[str]
    _late: LateCheckpoints
    _failed: dict[str, frozenset[str]]
    _replayed: dict[str, frozenset[str]]
    _run_failed: bool
    _spending: LiveSpending

    def show_pane(self, index: int) -> None:
        raise NotImplementedError

    def update_log_title(self) -> None:
        raise NotImplementedError
