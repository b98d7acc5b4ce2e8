"""The pipeline graph pane: the layout from `wftui.tui.graph`, live statuses painted on top.

A Line API widget, so it scrolls when the graph outgrows the pane and a status change only
repaints (the layout is recomputed on resize alone). `PreviewLine` is the graph's checkpoint
preview in one line, for layouts that hide the pane.
"""

from __future__ import annotations

from collections.abc import Set
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from wftui.tui.graph import (
    GraphLayout,
    GraphSpec,
    NodeStatus,
    Preview,
    RenderedLine,
    Role,
    layout_graph,
    node_order,
    preview_text,
    render,
)

__all__ = ["NodeStatus", "PipelineGraph", "PreviewLine"]


def _component(role: Role) -> str:
    return f"pipeline-graph--{role.value}"


class PipelineGraph(ScrollView, can_focus=True):
    """Executors as boxes joined by edges, each showing its status as a symbol and a colour."""

    # Component styles lose a colour's alpha, so muted parts are the foreground dimmed: readable
    # on dark and light themes alike ("auto" colours such as $text-muted turn white here).
    DEFAULT_CSS = """
    PipelineGraph {
        scrollbar-size: 1 1;
        & > .pipeline-graph--edge { color: $foreground; text-style: dim; }
        & > .pipeline-graph--edge-label { color: $text-secondary; text-style: italic; }
        & > .pipeline-graph--type-name { color: $foreground; text-style: dim; }
        & > .pipeline-graph--pending { color: $foreground; text-style: dim; }
        & > .pipeline-graph--running { color: $text-warning; text-style: bold; }
        & > .pipeline-graph--done { color: $text-success; }
        & > .pipeline-graph--failed { color: $text-error; text-style: bold; }
        & > .pipeline-graph--waiting { color: $text-accent; text-style: bold; }
        & > .pipeline-graph--ran { color: $text-success; text-style: dim; }
        & > .pipeline-graph--next { color: $text-primary; text-style: bold; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {_component(role) for role in Role}

    def __init__(
        self,
        graph: GraphSpec,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._graph = graph
        self._statuses: dict[str, NodeStatus] = {}
        self._notes: dict[str, str] = {}  # what each executor spent, on its box's border
        self._preview: Preview | None = None
        self._layout: GraphLayout | None = None
        self._lines: list[RenderedLine] | None = None

    @property
    def graph_layout(self) -> GraphLayout | None:
        """The drawing in use (boxes or compact), None until the pane has a size."""
        return self._layout

    def set_graph(self, graph: GraphSpec) -> None:
        """Draw another graph (the pipeline was reloaded with different executors or edges)."""
        self._graph = graph
        self._statuses.clear()
        self._relayout()

    def set_status(self, executor_id: str, status: NodeStatus) -> None:
        """Show an executor's live status; ids not in the graph are kept but not drawn."""
        self._statuses[executor_id] = status
        self._repaint()

    def reset_statuses(self) -> None:
        """Back to all pending, e.g. when a new run starts."""
        self._statuses.clear()
        self._notes.clear()
        self._repaint()

    def set_note(self, executor_id: str, note: str) -> None:
        """What an executor spent (``9 tok $0.0095 1.2s``), shown on its box."""
        self._notes[executor_id] = note
        self._repaint()

    def show_preview(
        self, ran: Set[str], next_ids: Set[str], failed: Set[str] = frozenset()
    ) -> None:
        """Show a checkpoint instead of live statuses: what ran, what failed, what runs next."""
        self._preview = Preview(frozenset(ran), frozenset(next_ids), frozenset(failed))
        self._repaint()

    def clear_preview(self) -> None:
        """Return to live statuses."""
        self._preview = None
        self._repaint()

    def on_resize(self, event: events.Resize) -> None:
        """Pick the layout that fits the new pane size (boxes, boxes with types, or compact)."""
        self._relayout()

    def _relayout(self) -> None:
        size = self.scrollable_content_region.size
        self._layout = layout_graph(self._graph, size.width, size.height)
        self.virtual_size = Size(self._layout.width, self._layout.height)
        self._repaint()

    def _repaint(self) -> None:
        self._lines = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One visible line: the rendered graph line, centred when narrower than the pane."""
        base = self.rich_style
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if self._layout is None or not 0 <= y + scroll_y < self._layout.height:
            return Strip.blank(width, base)
        if self._lines is None:
            self._lines = render(self._layout, self._statuses, self._preview, self._notes)
        indent = max(0, (self.scrollable_content_region.width - self._layout.width) // 2)
        segments = [Segment(" " * indent, base)]
        segments.extend(
            Segment(run.text, base + self._role_style(run.role))
            for run in self._lines[y + scroll_y]
        )
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)

    def _role_style(self, role: Role) -> Style:
        return self.get_component_rich_style(_component(role), partial=True)


class PreviewLine(Static):
    """The graph's checkpoint preview as one line, for layouts that hide the graph pane.

    Fed like the graph (``show_preview`` / ``clear_preview``); the app's CSS decides where it
    shows. Too long a line ends in … rather than wrapping over the table.
    """

    DEFAULT_CSS = """
    PreviewLine {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, graph: GraphSpec, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._order = node_order(graph)

    def set_graph(self, graph: GraphSpec) -> None:
        self._order = node_order(graph)

    def show_preview(
        self, ran: Set[str], next_ids: Set[str], failed: Set[str] = frozenset()
    ) -> None:
        preview = Preview(frozenset(ran), frozenset(next_ids), frozenset(failed))
        self.update(Content(f"resume here: {preview_text(self._order, preview)}"))
        self.add_class("-shown")

    def clear_preview(self) -> None:
        self.remove_class("-shown")
