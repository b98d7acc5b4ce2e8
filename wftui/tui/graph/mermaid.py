"""The pipeline graph as Mermaid text, for docs and pull requests (`wftui graph --mermaid`).

Mermaid node ids must be simple words, so each executor gets ``n0``, ``n1``... in graph order,
with its real id (and class) as the label. Edge kinds read as Mermaid line styles: a fan-in is
dotted into its target, a switch or a condition carries its label on the arrow.
"""

from __future__ import annotations

from wftui.engine import EdgeKind
from wftui.tui.graph.model import GraphEdge, GraphSpec

_ARROWS = {
    EdgeKind.DIRECT: "-->",
    EdgeKind.FAN_OUT: "-->",
    EdgeKind.SWITCH: "-->",
    EdgeKind.FAN_IN: "-.->",
}


def _quoted(text: str) -> str:
    """Mermaid label text: double quotes become the HTML entity Mermaid reads."""
    return '"' + text.replace('"', "#quot;") + '"'


def _arrow(edge: GraphEdge) -> str:
    arrow = _ARROWS[edge.kind]
    if edge.label:
        return f"{arrow}|{_quoted(edge.label)}|"
    return arrow


def to_mermaid(spec: GraphSpec, *, title: str = "") -> str:
    """A ``flowchart TD`` of ``spec``; the start executor is drawn as a rounded box."""
    names = {node.id: f"n{index}" for index, node in enumerate(spec.nodes)}
    lines = []
    if title:
        lines += ["---", f"title: {_quoted(title)}", "---"]
    lines.append("flowchart TD")
    for node in spec.nodes:
        label = _quoted(
            f"{node.id}<br/><small>{node.type_name}</small>" if node.type_name else node.id
        )
        opening, closing = ("(", ")") if node.id == spec.start else ("[", "]")
        lines.append(f"    {names[node.id]}{opening}{label}{closing}")
    for edge in spec.edges:
        lines.append(f"    {names[edge.source]} {_arrow(edge)} {names[edge.target]}")
    return "\n".join(lines) + "\n"
