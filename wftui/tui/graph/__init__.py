"""The pipeline graph, laid out and drawn as text: Textual-free, so any front end can use it.

``model`` holds the types, ``analysis`` layers the graph, ``placement`` sizes and places boxes,
``routing`` draws the edges, ``render`` paints statuses on the result.
"""

from wftui.tui.graph.analysis import node_order
from wftui.tui.graph.model import (
    CompactRow,
    GraphEdge,
    GraphLayout,
    GraphNode,
    GraphSpec,
    LayoutMode,
    NodeBox,
    Preview,
    RenderedLine,
    Role,
    Run,
    graph_from_workflow,
)
from wftui.tui.graph.placement import layout_boxes, layout_compact, layout_graph, natural_size
from wftui.tui.graph.render import plain_text, preview_text, render
from wftui.tui.status import NodeStatus

__all__ = [
    "CompactRow",
    "GraphEdge",
    "GraphLayout",
    "GraphNode",
    "GraphSpec",
    "LayoutMode",
    "NodeBox",
    "NodeStatus",
    "Preview",
    "RenderedLine",
    "Role",
    "Run",
    "graph_from_workflow",
    "layout_boxes",
    "layout_compact",
    "layout_graph",
    "natural_size",
    "node_order",
    "plain_text",
    "preview_text",
    "render",
]
