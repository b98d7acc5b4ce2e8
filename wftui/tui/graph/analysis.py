"""Size-independent analysis: break cycles, layer the nodes, order each layer to cut crossings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wftui.tui.graph.model import GraphSpec

_ORDER_SWEEPS = 3


@dataclass
class Structure:
    """Size-independent analysis: layers of slots (nodes or bend points of long edges)."""

    slots: list[str | None]
    layers: list[list[int]]
    segments: list[tuple[int, int, str]]
    forward: dict[str, list[str]]
    back: list[tuple[str, str]]
    labels: dict[tuple[str, str], str]

    def node_order(self) -> list[str]:
        """Node ids layer by layer, left to right: the order the graph draws them in."""
        return [
            node for row in self.layers for slot in row if (node := self.slots[slot]) is not None
        ]


def analyze(spec: GraphSpec) -> Structure:
    """Break cycles at DFS back edges, layer by longest path, then order layers by barycentre."""
    out: dict[str, list[str]] = {node.id: [] for node in spec.nodes}
    label_lists: dict[tuple[str, str], list[str]] = {}
    for edge in spec.edges:
        key = (edge.source, edge.target)
        if key not in label_lists:
            out[edge.source].append(edge.target)
            label_lists[key] = []
        if edge.label and edge.label not in label_lists[key]:
            label_lists[key].append(edge.label)
    labels = {key: ", ".join(names) for key, names in label_lists.items()}

    on_stack: dict[str, bool] = {}
    discovery: list[str] = []
    postorder: list[str] = []
    back: list[tuple[str, str]] = []
    for root in [spec.start, *(node.id for node in spec.nodes)]:
        if root in on_stack:
            continue
        on_stack[root] = True
        discovery.append(root)
        stack = [(root, iter(out[root]))]
        while stack:
            node, successors = stack[-1]
            target = next(successors, None)
            if target is None:
                on_stack[node] = False
                postorder.append(node)
                stack.pop()
            elif target not in on_stack:
                on_stack[target] = True
                discovery.append(target)
                stack.append((target, iter(out[target])))
            elif on_stack[target]:
                back.append((node, target))

    back_set = set(back)
    forward = {node: [t for t in out[node] if (node, t) not in back_set] for node in out}
    layer = dict.fromkeys(discovery, 0)
    for node in reversed(postorder):  # a topological order of the forward edges
        for target in forward[node]:
            layer[target] = max(layer[target], layer[node] + 1)

    slots: list[str | None] = list(discovery)
    slot_of = {node: index for index, node in enumerate(discovery)}
    layers: list[list[int]] = [[] for _ in range(max(layer.values()) + 1)]
    for node in discovery:
        layers[layer[node]].append(slot_of[node])
    segments: list[tuple[int, int, str]] = []
    for node in discovery:
        for target in forward[node]:
            upper = slot_of[node]
            for level in range(layer[node] + 1, layer[target]):
                slots.append(None)
                layers[level].append(len(slots) - 1)
                segments.append((upper, len(slots) - 1, ""))
                upper = len(slots) - 1
            segments.append((upper, slot_of[target], labels[(node, target)]))

    parents, children = slot_links(segments)
    position = {slot: index for row in layers for index, slot in enumerate(row)}
    for _ in range(_ORDER_SWEEPS):
        _sort_by_barycentre(layers[1:], parents, position)
        _sort_by_barycentre(layers[-2::-1], children, position)
    # Loop ends go right so their return line can reach the lane beside the graph.
    looped = {node for edge in back for node in edge}
    for row in layers:
        row.sort(key=lambda slot: slots[slot] in looped)
    return Structure(slots, layers, segments, forward, back, labels)


def slot_links(
    segments: Iterable[tuple[int, int, str]],
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    parents: dict[int, list[int]] = defaultdict(list)
    children: dict[int, list[int]] = defaultdict(list)
    for upper, lower, _ in segments:
        parents[lower].append(upper)
        children[upper].append(lower)
    return parents, children


def _sort_by_barycentre(
    rows: Iterable[list[int]], neighbours: Mapping[int, list[int]], position: dict[int, int]
) -> None:
    """Reduce crossings: each slot moves towards the mean position of its neighbours."""
    for row in rows:
        keys = {
            slot: sum(position[n] for n in neighbours[slot]) / len(neighbours[slot])
            if neighbours.get(slot)
            else float(position[slot])
            for slot in row
        }
        row.sort(key=keys.__getitem__)
        for index, slot in enumerate(row):
            position[slot] = index


def node_order(spec: GraphSpec) -> list[str]:
    """The executors in the order the graph draws them, for views that list them in a line."""
    return analyze(spec).node_order()
