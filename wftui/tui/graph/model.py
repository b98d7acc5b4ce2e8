"""The graph as the pane sees it, and the drawing's data types; built from the engine's graph.

Textual-free, like the whole package: the drawing is testable as plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from wftui.engine import EdgeKind, Workflow


class Role(StrEnum):
    """What a drawn cell means; front ends map each role to a style (colour is optional)."""

    PLAIN = "plain"
    EDGE = "edge"
    EDGE_LABEL = "edge-label"
    LABEL = "label"
    TYPE_NAME = "type-name"
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WAITING = "waiting"
    RAN = "ran"
    NEXT = "next"


@dataclass(frozen=True)
class GraphNode:
    """One executor as the pane shows it."""

    id: str
    type_name: str = ""


@dataclass(frozen=True)
class GraphEdge:
    """One edge; `label` names a switch case or condition and is drawn next to the arrow."""

    source: str
    target: str
    kind: EdgeKind = EdgeKind.DIRECT
    label: str = ""


@dataclass(frozen=True)
class GraphSpec:
    """A graph independent of the engine's classes, so the pane can be built and tested alone."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    start: str

    def __post_init__(self) -> None:
        ids = [node.id for node in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("node ids must be unique")
        known = set(ids)
        if self.start not in known:
            raise ValueError(f"start node {self.start!r} is not a node")
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in known:
                    raise ValueError(
                        f"edge {edge.source!r} -> {edge.target!r}: unknown node {end!r}"
                    )


def graph_from_workflow(workflow: Workflow) -> GraphSpec:
    """Read `workflow.graph` (executors, edges, start) into a `GraphSpec`."""
    graph = workflow.graph
    return GraphSpec(
        nodes=tuple(GraphNode(info.id, info.type_name) for info in graph.executors),
        edges=tuple(
            GraphEdge(info.source_id, info.target_id, info.kind, info.label or "")
            for info in graph.edges
        ),
        start=graph.start_executor_id,
    )


@dataclass(frozen=True)
class Preview:
    """A checkpoint seen from the graph: executors that already ran and those that run next."""

    ran: frozenset[str]
    next_ids: frozenset[str]
    # A failed checkpoint's failed executors: they run again on resume, drawn as failed.
    failed: frozenset[str] = frozenset()


class LayoutMode(StrEnum):
    """Boxes and edges when there is room, one line per node when the pane is short."""

    BOXES = "boxes"
    COMPACT = "compact"


@dataclass(frozen=True)
class NodeBox:
    """Where a node's box sits; its border and symbol are painted at render time from the status."""

    node_id: str
    x: int
    y: int
    width: int
    height: int
    label: str
    type_label: str
    exit_down: bool  # forward edges leave from the middle of the bottom border
    exit_right: int | None  # row (from the top) where a drawn loop leaves the right border
    marker: str  # "↺ target" for loops with no clear path, in the top border's left half


@dataclass(frozen=True)
class CompactRow:
    """One node in compact mode: the symbol goes first, then the id and its non-obvious edges."""

    node_id: str
    label: str
    suffix: str


@dataclass(frozen=True)
class GraphLayout:
    """Everything that depends on the graph and the pane size but not on statuses."""

    mode: LayoutMode
    width: int
    height: int
    boxes: tuple[NodeBox, ...] = ()
    rows: tuple[CompactRow, ...] = ()
    cells: Mapping[tuple[int, int], tuple[str, Role]] = field(default_factory=dict)

    def fits(self, width: int, height: int) -> bool:
        """Whether the pane shows it all without scrolling."""
        return self.width <= width and self.height <= height


@dataclass(frozen=True)
class Run:
    """A stretch of one line drawn in one role."""

    text: str
    role: Role


RenderedLine = tuple[Run, ...]


def truncate(text: str, room: int) -> str:
    """``text`` cut to ``room`` columns, ending in … when cut."""
    if len(text) <= room:
        return text
    return text[: room - 1] + "…" if room > 0 else ""
