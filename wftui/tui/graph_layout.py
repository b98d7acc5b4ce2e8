"""Layered layout and text rendering of a pipeline graph.

Kept free of Textual so the drawing is testable as plain strings and usable by any front end:
the layout is computed once per pane size, and `render` paints live statuses onto it cheaply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

_CentreOf = Callable[[int], int]


class EdgeKind(StrEnum):
    """How the engine wired an edge; only labels are drawn differently, the kind is kept for UIs."""

    DIRECT = "direct"
    FAN_OUT = "fan_out"
    FAN_IN = "fan_in"
    SWITCH = "switch"


class NodeStatus(StrEnum):
    """Live state of an executor during a run."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WAITING = "waiting"


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


# Symbols carry the meaning on their own so the graph reads without colour (NO_COLOR).
STATUS_SYMBOLS: Mapping[NodeStatus, str] = {
    NodeStatus.PENDING: "○",
    NodeStatus.RUNNING: "●",
    NodeStatus.DONE: "✓",
    NodeStatus.FAILED: "✗",
    NodeStatus.WAITING: "?",
}
RAN_SYMBOL = "✓"
NEXT_SYMBOL = "▶"
LOOP_SYMBOL = "↺"
# Where the action is gets a heavy border, a second cue that does not need colour.
_EMPHASISED = frozenset({Role.RUNNING, Role.NEXT})


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


class _ExecutorInfoLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def type_name(self) -> str: ...


class _EdgeInfoLike(Protocol):
    @property
    def source_id(self) -> str: ...

    @property
    def target_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def label(self) -> str: ...


class _WorkflowGraphLike(Protocol):
    @property
    def executors(self) -> Sequence[_ExecutorInfoLike]: ...

    @property
    def edges(self) -> Sequence[_EdgeInfoLike]: ...

    @property
    def start_executor_id(self) -> str: ...


class WorkflowLike(Protocol):
    """Anything shaped like the engine's workflow; duck typed so the pane needs no engine import."""

    @property
    def graph(self) -> _WorkflowGraphLike: ...


def graph_from_workflow(workflow: WorkflowLike) -> GraphSpec:
    """Read `workflow.graph` (executors, edges, start) into a `GraphSpec`."""
    graph = workflow.graph
    return GraphSpec(
        nodes=tuple(GraphNode(info.id, info.type_name) for info in graph.executors),
        edges=tuple(
            GraphEdge(info.source_id, info.target_id, EdgeKind(info.kind), info.label or "")
            for info in graph.edges
        ),
        start=graph.start_executor_id,
    )


@dataclass(frozen=True)
class Preview:
    """A checkpoint seen from the graph: executors that already ran and those that run next."""

    ran: frozenset[str]
    next_ids: frozenset[str]


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

_GAP = 1  # columns between neighbouring boxes in a layer
_BOX_CHROME = 6  # "│ ✓ " before the label and " │" after it
_MIN_BOX_WIDTH = _BOX_CHROME + 3  # odd, like every box: edges then leave from the true middle
_MAX_BOX_WIDTH = 40
_ORDER_SWEEPS = 3

_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_JOINS: Mapping[int, str] = {
    _UP: "│",
    _DOWN: "│",
    _UP | _DOWN: "│",
    _LEFT: "─",
    _RIGHT: "─",
    _LEFT | _RIGHT: "─",
    _DOWN | _RIGHT: "┌",
    _DOWN | _LEFT: "┐",
    _UP | _RIGHT: "└",
    _UP | _LEFT: "┘",
    _UP | _DOWN | _RIGHT: "├",
    _UP | _DOWN | _LEFT: "┤",
    _DOWN | _LEFT | _RIGHT: "┬",
    _UP | _LEFT | _RIGHT: "┴",
    _UP | _DOWN | _LEFT | _RIGHT: "┼",
}


@dataclass(frozen=True)
class _BoxChars:
    top_left: str
    top_right: str
    bottom_left: str
    bottom_right: str
    horizontal: str
    vertical: str
    exit_down: str
    exit_right: str
    exit_corner: str


_LIGHT = _BoxChars("┌", "┐", "└", "┘", "─", "│", "┬", "├", "┴")
_HEAVY = _BoxChars("┏", "┓", "┗", "┛", "━", "┃", "┯", "┠", "┹")


def _truncate(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return text[: room - 1] + "…" if room > 0 else ""


@dataclass
class _Structure:
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


def _analyze(spec: GraphSpec) -> _Structure:
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

    parents, children = _neighbours(segments)
    position = {slot: index for row in layers for index, slot in enumerate(row)}
    for _ in range(_ORDER_SWEEPS):
        _sort_by_barycentre(layers[1:], parents, position)
        _sort_by_barycentre(layers[-2::-1], children, position)
    # Loop ends go right so their return line can reach the lane beside the graph.
    looped = {node for edge in back for node in edge}
    for row in layers:
        row.sort(key=lambda slot: slots[slot] in looped)
    return _Structure(slots, layers, segments, forward, back, labels)


def _neighbours(
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


def _isotonic(targets: Sequence[float]) -> list[float]:
    """Closest non-decreasing sequence (pool adjacent violators): boxes near wishes, no overlap."""
    blocks: list[tuple[float, int]] = []
    for target in targets:
        total, count = target, 1
        while blocks and blocks[-1][0] / blocks[-1][1] > total / count:
            previous_total, previous_count = blocks.pop()
            total, count = total + previous_total, count + previous_count
        blocks.append((total, count))
    return [total / count for total, count in blocks for _ in range(count)]


def _fit_row(widths: Sequence[int], wishes: Sequence[float], limit: int) -> list[int]:
    """Left edges for one layer: in order, `_GAP` apart, inside [0, limit), close to `wishes`."""
    starts: list[int] = []
    offset = 0
    for width in widths:
        starts.append(offset)
        offset += width + _GAP
    spare = max(0, limit - (starts[-1] + widths[-1]))
    shifts = _isotonic([wish - start for wish, start in zip(wishes, starts, strict=True)])
    return [
        start + min(max(round(shift), 0), spare)
        for shift, start in zip(shifts, starts, strict=True)
    ]


def _centre(left: int, width: int) -> int:
    return left + (width - 1) // 2


class _Canvas:
    """Edge cells as sets of directions, so crossings and junctions get the right character."""

    def __init__(self) -> None:
        self._masks: dict[tuple[int, int], int] = defaultdict(int)
        self._overlays: dict[tuple[int, int], tuple[str, Role]] = {}

    def join(self, x: int, y: int, directions: int) -> None:
        self._masks[x, y] |= directions

    def vline(self, x: int, top: int, bottom: int) -> None:
        for y in range(top, bottom + 1):
            self.join(x, y, (_UP if y > top else 0) | (_DOWN if y < bottom else 0))

    def hline(self, y: int, left: int, right: int) -> None:
        for x in range(left, right + 1):
            self.join(x, y, (_LEFT if x > left else 0) | (_RIGHT if x < right else 0))

    def put(self, x: int, y: int, text: str, role: Role) -> None:
        for index, char in enumerate(text):
            self._overlays[x + index, y] = (char, role)

    def occupied(self, x: int, y: int) -> bool:
        return bool(self._masks.get((x, y))) or (x, y) in self._overlays

    def cells(self) -> dict[tuple[int, int], tuple[str, Role]]:
        drawn = {pos: (_JOINS[mask], Role.EDGE) for pos, mask in self._masks.items() if mask}
        return drawn | self._overlays


def layout_boxes(
    spec: GraphSpec, width: int, *, show_types: bool = False, tight: bool = False
) -> GraphLayout:
    """Boxes in layers top to bottom; siblings side by side; loops return on the right.

    `show_types` adds the executor type under the id; `tight` puts arrows into the target's top
    border instead of a row of their own (kept where edge labels need that row).
    """
    structure = _analyze(spec)
    slots, layers = structure.slots, structure.layers
    types = {node.id: node.type_name for node in spec.nodes}
    needed = max(len(node.id) for node in spec.nodes)
    if show_types:
        needed = max(needed, *(len(name) for name in types.values()))
    desired = min(max(needed + _BOX_CHROME, _MIN_BOX_WIDTH), _MAX_BOX_WIDTH) | 1

    rightmost = {
        slots[box[-1]] for row in layers if (box := [s for s in row if slots[s] is not None])
    }
    routed = [edge for edge in structure.back if edge[0] in rightmost and edge[1] in rightmost]
    markers: dict[str, list[str]] = defaultdict(list)
    for source, target in structure.back:
        if (source, target) not in routed:
            markers[source].append(target)
    available = width - 2 * len(routed)

    widths: dict[int, int] = {}
    for row in layers:
        box_count = sum(1 for slot in row if slots[slot] is not None)
        room = (available - (len(row) - box_count) - _GAP * (len(row) - 1)) // max(box_count, 1)
        box_width = max(_MIN_BOX_WIDTH, min(desired, room))
        box_width -= 1 - box_width % 2
        for slot in row:
            widths[slot] = box_width if slots[slot] is not None else 1
    lefts = _place(structure, widths, available)

    def centre(slot: int) -> int:
        return _centre(lefts[slot], widths[slot])

    height = 4 if show_types else 3
    canvas = _Canvas()
    extent = max(lefts[slot] + widths[slot] - 1 for slot in lefts)
    _, children = _neighbours(structure.segments)
    tops: dict[int, int] = {}
    y = 0
    for index, row in enumerate(layers):
        for slot in row:
            tops[slot] = y
            if slots[slot] is None:
                canvas.vline(centre(slot), y, y + height - 1)
                canvas.join(centre(slot), y, _UP)
                canvas.join(centre(slot), y + height - 1, _DOWN)
        y += height
        if index + 1 < len(layers):
            band = [seg for seg in structure.segments if seg[0] in row]
            y += _route_band(canvas, band, y, centre, slots, extent, tight)

    frames = {
        node: (lefts[slot], tops[slot], widths[slot])
        for slot, node in enumerate(slots)
        if node is not None
    }
    entries = {target for _, target in routed}
    # A node both leaving and receiving loops in a one-line box leaves from its bottom corner.
    exits = {source: 2 if show_types or source in entries else 1 for source, _ in routed}
    right = _route_loops(canvas, routed, structure.labels, frames, exits, extent, width)
    boxes = tuple(
        NodeBox(
            node_id=node,
            x=lefts[slot],
            y=tops[slot],
            width=widths[slot],
            height=height,
            label=_truncate(node, widths[slot] - _BOX_CHROME),
            type_label=_truncate(types[node], widths[slot] - _BOX_CHROME) if show_types else "",
            exit_down=bool(children.get(slot)),
            exit_right=exits.get(node),
            marker=_truncate(
                f"{LOOP_SYMBOL} {', '.join(markers[node])}", (widths[slot] - 1) // 2 - 1
            )
            if node in markers
            else "",
        )
        for slot, node in enumerate(slots)
        if node is not None
    )
    return GraphLayout(
        mode=LayoutMode.BOXES,
        width=right + 1,
        height=y,
        boxes=boxes,
        cells=canvas.cells(),
    )


def _route_loops(
    canvas: _Canvas,
    routed: Sequence[tuple[str, str]],
    labels: Mapping[tuple[str, str], str],
    frames: Mapping[str, tuple[int, int, int]],
    exits: Mapping[str, int],
    extent: int,
    width: int,
) -> int:
    """Return lines in lanes right of the graph, short loops innermost; returns the last column.

    A loop leaves its source's right side and enters its target's right side at ◀; its label
    goes right of the lanes on the source's row, if the pane has room for it.
    """

    def span(edge: tuple[str, str]) -> int:
        return frames[edge[0]][1] - frames[edge[1]][1]

    right = extent + 2 * len(routed)
    label_x = right + 2
    texts: dict[int, list[str]] = defaultdict(list)
    for lane_index, (source, target) in enumerate(sorted(routed, key=span)):
        lane = extent + 2 + 2 * lane_index
        source_x, source_y, source_width = frames[source]
        target_x, target_y, target_width = frames[target]
        exit_y = source_y + exits[source]
        canvas.hline(exit_y, source_x + source_width, lane)
        canvas.vline(lane, target_y + 1, exit_y)
        canvas.hline(target_y + 1, target_x + target_width, lane)
        canvas.put(target_x + target_width, target_y + 1, "◀", Role.EDGE)
        if labels[source, target]:
            texts[exit_y].append(labels[source, target])
    for y, names in texts.items():
        text = _truncate(", ".join(names), width - label_x)
        if len(text) >= 2:
            canvas.put(label_x, y, text, Role.EDGE_LABEL)
            right = max(right, label_x + len(text) - 1)
    return right


def _place(structure: _Structure, widths: Mapping[int, int], limit: int) -> dict[int, int]:
    """Left edges: packed, then sweeps pull each slot under its parents and over its children."""
    layers = structure.layers
    lefts: dict[int, int] = {}
    for row in layers:
        lefts.update(
            zip(row, _fit_row([widths[s] for s in row], [0.0] * len(row), limit), strict=True)
        )
    parents, children = _neighbours(structure.segments)
    for neighbours, rows in (
        (parents, layers[1:]),
        (children, layers[-2::-1]),
        (parents, layers[1:]),
    ):
        for row in rows:
            wishes = []
            for slot in row:
                near = neighbours.get(slot)
                centre = (
                    sum(_centre(lefts[n], widths[n]) for n in near) / len(near)
                    if near
                    else _centre(lefts[slot], widths[slot])
                )
                wishes.append(centre - (widths[slot] - 1) // 2)
            lefts.update(zip(row, _fit_row([widths[s] for s in row], wishes, limit), strict=True))
    return lefts


def _band_nets(segments: Sequence[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Group a band's segments into nets that share one horizontal line.

    A group where every upper slot feeds every lower slot (fan-out, fan-in, or both) reads
    correctly as one bus; any other group is split per upper slot so no false link is drawn.
    """
    root: dict[tuple[str, int], tuple[str, int]] = {}

    def find(key: tuple[str, int]) -> tuple[str, int]:
        while root.setdefault(key, key) != key:
            key = root[key]
        return key

    for upper, lower, _ in segments:
        root[find(("u", upper))] = find(("l", lower))
    groups: dict[tuple[str, int], list[tuple[int, int, str]]] = defaultdict(list)
    for segment in segments:
        groups[find(("u", segment[0]))].append(segment)
    nets: list[list[tuple[int, int, str]]] = []
    for group in groups.values():
        uppers = {seg[0] for seg in group}
        lowers = {seg[1] for seg in group}
        if {(seg[0], seg[1]) for seg in group} == {(u, v) for u in uppers for v in lowers}:
            nets.append(group)
        else:
            nets.extend([seg for seg in group if seg[0] == u] for u in sorted(uppers))
    return nets


def _route_band(
    canvas: _Canvas,
    segments: Sequence[tuple[int, int, str]],
    top: int,
    centre: _CentreOf,
    slots: Sequence[str | None],
    extent: int,
    tight: bool,
) -> int:
    """Draw the edges between two layers; returns the rows used (tracks and maybe an arrow row)."""
    bent: list[tuple[int, int, list[tuple[int, int, str]]]] = []
    straight: list[int] = []
    for net in _band_nets(segments):
        columns = [centre(seg[0]) for seg in net] + [centre(seg[1]) for seg in net]
        if min(columns) == max(columns):
            straight.append(columns[0])
        else:
            bent.append((min(columns), max(columns), net))
    track_ends: list[int] = []
    tracks: list[int] = []
    bent.sort(key=lambda item: (item[0], item[1]))
    for low, high, _ in bent:
        free = next((t for t, end in enumerate(track_ends) if low > end + 1), len(track_ends))
        if free == len(track_ends):
            track_ends.append(high)
        track_ends[free] = high
        tracks.append(free)
    arrow_row = top + len(track_ends)

    for column in straight:
        canvas.vline(column, top, arrow_row)
    for (low, high, net), track in zip(bent, tracks, strict=True):
        row = top + track
        for upper in {seg[0] for seg in net}:
            canvas.vline(centre(upper), top, row)
        canvas.hline(row, low, high)
        for lower in {seg[1] for seg in net}:
            canvas.vline(centre(lower), row, arrow_row)

    labels: dict[int, list[str]] = defaultdict(list)
    for upper, lower, label in segments:
        canvas.join(centre(upper), top, _UP)
        if slots[lower] is None:
            canvas.join(centre(lower), arrow_row, _DOWN)
        else:
            canvas.put(centre(lower), arrow_row, "▼", Role.EDGE)
            if label:
                labels[lower].append(label)
    for lower, names in labels.items():
        start = centre(lower) + 2
        end = next(
            (x - 1 for x in range(centre(lower) + 1, extent + 1) if canvas.occupied(x, arrow_row)),
            extent + 1,
        )
        if end - start >= 2:
            canvas.put(start, arrow_row, _truncate(", ".join(names), end - start), Role.EDGE_LABEL)
    return arrow_row - top + (0 if tight and not labels else 1)


def layout_compact(spec: GraphSpec, width: int) -> GraphLayout:
    """One line per node in layer order; edges are spelled out unless it is simply the next line."""
    structure = _analyze(spec)
    order = structure.node_order()
    backs: dict[str, list[str]] = defaultdict(list)
    for source, target in structure.back:
        backs[source].append(target)
    rows: list[CompactRow] = []
    for index, node in enumerate(order):
        targets = [
            f"{t} [{structure.labels[node, t]}]" if structure.labels[node, t] else t
            for t in structure.forward[node]
        ]
        following = order[index + 1] if index + 1 < len(order) else None
        suffix = "" if targets in ([], [following]) else f" → {', '.join(targets)}"
        if backs[node]:
            suffix += f" {LOOP_SYMBOL} {', '.join(backs[node])}"
        room = max(width - 2, 1)
        label = _truncate(node, room)
        rows.append(CompactRow(node, label, _truncate(suffix, room - len(label))))
    return GraphLayout(
        mode=LayoutMode.COMPACT,
        width=max(2 + len(row.label) + len(row.suffix) for row in rows),
        height=len(rows),
        rows=tuple(rows),
    )


def layout_graph(spec: GraphSpec, width: int, height: int) -> GraphLayout:
    """The richest drawing that fits the pane: type names first, then air between boxes.

    Falls back to one line per node, and to scrolling boxes when even that is too tall.
    """
    tight = layout_boxes(spec, width, tight=True)
    candidates = [layout_boxes(spec, width), tight, layout_compact(spec, width)]
    if any(node.type_name for node in spec.nodes):
        candidates[:0] = [
            layout_boxes(spec, width, show_types=True),
            layout_boxes(spec, width, show_types=True, tight=True),
        ]
    return next((layout for layout in candidates if layout.fits(width, height)), tight)


def _look(node_id: str, statuses: Mapping[str, NodeStatus], preview: Preview | None) -> Run:
    if preview is not None:
        if node_id in preview.next_ids:
            return Run(NEXT_SYMBOL, Role.NEXT)
        if node_id in preview.ran:
            return Run(RAN_SYMBOL, Role.RAN)
        return Run(STATUS_SYMBOLS[NodeStatus.PENDING], Role.PENDING)
    status = statuses.get(node_id, NodeStatus.PENDING)
    return Run(STATUS_SYMBOLS[status], Role(status.value))


def node_order(spec: GraphSpec) -> list[str]:
    """The executors in the order the graph draws them, for views that list them in a line."""
    return _analyze(spec).node_order()


def preview_text(order: Iterable[str], preview: Preview) -> str:
    """A checkpoint preview as one line, ``✓ ran ▶ next ○ later``, with the graph's symbols."""
    return " ".join(f"{_look(node_id, {}, preview).text} {node_id}" for node_id in order)


def render(
    layout: GraphLayout,
    statuses: Mapping[str, NodeStatus],
    preview: Preview | None = None,
) -> list[RenderedLine]:
    """Paint statuses (or a checkpoint preview) onto a layout; cheap, so run it on every change."""
    chars = [[" "] * layout.width for _ in range(layout.height)]
    roles = [[Role.PLAIN] * layout.width for _ in range(layout.height)]

    def put(x: int, y: int, text: str, role: Role) -> None:
        for index, char in enumerate(text):
            chars[y][x + index] = char
            roles[y][x + index] = role

    for box in layout.boxes:
        _paint_box(put, box, _look(box.node_id, statuses, preview))
    for (x, y), (char, role) in layout.cells.items():  # after boxes: tight arrows sit on borders
        put(x, y, char, role)
    for y, row in enumerate(layout.rows):
        look = _look(row.node_id, statuses, preview)
        put(0, y, look.text, look.role)
        put(2, y, row.label, Role.LABEL)
        put(2 + len(row.label), y, row.suffix, Role.EDGE)
    return [_runs(line, line_roles) for line, line_roles in zip(chars, roles, strict=True)]


def _paint_box(put: Callable[[int, int, str, Role], None], box: NodeBox, look: Run) -> None:
    chars = _HEAVY if look.role in _EMPHASISED else _LIGHT
    inner = box.width - 2
    bottom = box.y + box.height - 1
    put(box.x, box.y, chars.top_left + chars.horizontal * inner + chars.top_right, look.role)
    if box.marker:
        put(box.x + 1, box.y, box.marker, Role.EDGE)
    for y in range(box.y + 1, bottom):
        put(box.x, y, chars.vertical + " " * inner + chars.vertical, look.role)
    put(box.x + 2, box.y + 1, look.text, look.role)
    put(box.x + 4, box.y + 1, box.label, Role.LABEL)
    if box.type_label:
        put(box.x + 4, box.y + 2, box.type_label, Role.TYPE_NAME)
    put(box.x, bottom, chars.bottom_left + chars.horizontal * inner + chars.bottom_right, look.role)
    if box.exit_down:
        put(_centre(box.x, box.width), bottom, chars.exit_down, look.role)
    if box.exit_right is not None:
        corner = box.exit_right == box.height - 1
        junction = chars.exit_corner if corner else chars.exit_right
        put(box.x + box.width - 1, box.y + box.exit_right, junction, look.role)


def _runs(chars: Sequence[str], roles: Sequence[Role]) -> RenderedLine:
    runs: list[Run] = []
    start = 0
    for index in range(1, len(chars) + 1):
        if index == len(chars) or roles[index] != roles[start]:
            runs.append(Run("".join(chars[start:index]), roles[start]))
            start = index
    return tuple(runs)


def plain_text(lines: Iterable[RenderedLine]) -> list[str]:
    """The drawing without styles: for tests, logs and headless output."""
    return ["".join(run.text for run in line) for line in lines]
