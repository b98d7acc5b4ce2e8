"""Placement: box sizes and positions for a pane width, and the choice of the drawing that fits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from wftui.tui.graph.analysis import Structure, analyze, slot_links
from wftui.tui.graph.model import (
    CompactRow,
    GraphLayout,
    GraphSpec,
    LayoutMode,
    NodeBox,
    truncate,
)
from wftui.tui.graph.routing import DOWN, UP, Canvas, route_band, route_loops
from wftui.tui.status import Mark

_GAP = 1  # columns between neighbouring boxes in a layer
_BOX_CHROME = 6  # "│ ✓ " before the label and " │" after it
_MIN_BOX_WIDTH = _BOX_CHROME + 3  # odd, like every box: edges then leave from the true middle
_MAX_BOX_WIDTH = 40


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


def box_centre(left: int, width: int) -> int:
    return left + (width - 1) // 2


def layout_boxes(
    spec: GraphSpec, width: int, *, show_types: bool = False, tight: bool = False
) -> GraphLayout:
    """Boxes in layers top to bottom; siblings side by side; loops return on the right.

    `show_types` adds the executor type under the id; `tight` puts arrows into the target's top
    border instead of a row of their own (kept where edge labels need that row).
    """
    structure = analyze(spec)
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
    lefts = place(structure, widths, available)

    def centre(slot: int) -> int:
        return box_centre(lefts[slot], widths[slot])

    height = 4 if show_types else 3
    canvas = Canvas()
    extent = max(lefts[slot] + widths[slot] - 1 for slot in lefts)
    _, children = slot_links(structure.segments)
    tops: dict[int, int] = {}
    y = 0
    for index, row in enumerate(layers):
        for slot in row:
            tops[slot] = y
            if slots[slot] is None:
                canvas.vline(centre(slot), y, y + height - 1)
                canvas.join(centre(slot), y, UP)
                canvas.join(centre(slot), y + height - 1, DOWN)
        y += height
        if index + 1 < len(layers):
            band = [seg for seg in structure.segments if seg[0] in row]
            y += route_band(canvas, band, y, centre, slots, extent, tight)

    frames = {
        node: (lefts[slot], tops[slot], widths[slot])
        for slot, node in enumerate(slots)
        if node is not None
    }
    entries = {target for _, target in routed}
    # A node both leaving and receiving loops in a one-line box leaves from its bottom corner.
    exits = {source: 2 if show_types or source in entries else 1 for source, _ in routed}
    right = route_loops(canvas, routed, structure.labels, frames, exits, extent, width)
    boxes = tuple(
        NodeBox(
            node_id=node,
            x=lefts[slot],
            y=tops[slot],
            width=widths[slot],
            height=height,
            label=truncate(node, widths[slot] - _BOX_CHROME),
            type_label=truncate(types[node], widths[slot] - _BOX_CHROME) if show_types else "",
            exit_down=bool(children.get(slot)),
            exit_right=exits.get(node),
            marker=truncate(f"{Mark.LOOP} {', '.join(markers[node])}", (widths[slot] - 1) // 2 - 1)
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


def place(structure: Structure, widths: Mapping[int, int], limit: int) -> dict[int, int]:
    """Left edges: packed, then sweeps pull each slot under its parents and over its children."""
    layers = structure.layers
    lefts: dict[int, int] = {}
    for row in layers:
        lefts.update(
            zip(row, _fit_row([widths[s] for s in row], [0.0] * len(row), limit), strict=True)
        )
    parents, children = slot_links(structure.segments)
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
                    sum(box_centre(lefts[n], widths[n]) for n in near) / len(near)
                    if near
                    else box_centre(lefts[slot], widths[slot])
                )
                wishes.append(centre - (widths[slot] - 1) // 2)
            lefts.update(zip(row, _fit_row([widths[s] for s in row], wishes, limit), strict=True))
    return lefts


def layout_compact(spec: GraphSpec, width: int) -> GraphLayout:
    """One line per node in layer order; edges are spelled out unless it is simply the next line."""
    structure = analyze(spec)
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
            suffix += f" {Mark.LOOP} {', '.join(backs[node])}"
        room = max(width - 2, 1)
        label = truncate(node, room)
        rows.append(CompactRow(node, label, truncate(suffix, room - len(label))))
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


# Wider than any pane: the width at which nothing is cut.
_UNBOUNDED = 10_000


def natural_size(spec: GraphSpec) -> tuple[int, int]:
    """Width and height of the richest drawing (boxes with type names) with no label cut."""
    richest = layout_boxes(spec, _UNBOUNDED, show_types=any(n.type_name for n in spec.nodes))
    return richest.width, richest.height
