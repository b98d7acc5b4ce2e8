"""Edge routing: lines between layers (buses for fan-out and fan-in) and loop lanes on the right."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from wftui.tui.graph.model import Role, truncate

CentreOf = Callable[[int], int]

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
_JOINS: Mapping[int, str] = {
    UP: "│",
    DOWN: "│",
    UP | DOWN: "│",
    LEFT: "─",
    RIGHT: "─",
    LEFT | RIGHT: "─",
    DOWN | RIGHT: "┌",
    DOWN | LEFT: "┐",
    UP | RIGHT: "└",
    UP | LEFT: "┘",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    DOWN | LEFT | RIGHT: "┬",
    UP | LEFT | RIGHT: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}


class Canvas:
    """Edge cells as sets of directions, so crossings and junctions get the right character."""

    def __init__(self) -> None:
        self._masks: dict[tuple[int, int], int] = defaultdict(int)
        self._overlays: dict[tuple[int, int], tuple[str, Role]] = {}

    def join(self, x: int, y: int, directions: int) -> None:
        self._masks[x, y] |= directions

    def vline(self, x: int, top: int, bottom: int) -> None:
        for y in range(top, bottom + 1):
            self.join(x, y, (UP if y > top else 0) | (DOWN if y < bottom else 0))

    def hline(self, y: int, left: int, right: int) -> None:
        for x in range(left, right + 1):
            self.join(x, y, (LEFT if x > left else 0) | (RIGHT if x < right else 0))

    def put(self, x: int, y: int, text: str, role: Role) -> None:
        for index, char in enumerate(text):
            self._overlays[x + index, y] = (char, role)

    def occupied(self, x: int, y: int) -> bool:
        return bool(self._masks.get((x, y))) or (x, y) in self._overlays

    def cells(self) -> dict[tuple[int, int], tuple[str, Role]]:
        drawn = {pos: (_JOINS[mask], Role.EDGE) for pos, mask in self._masks.items() if mask}
        return drawn | self._overlays


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


def route_band(
    canvas: Canvas,
    segments: Sequence[tuple[int, int, str]],
    top: int,
    centre: CentreOf,
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
        canvas.join(centre(upper), top, UP)
        if slots[lower] is None:
            canvas.join(centre(lower), arrow_row, DOWN)
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
            canvas.put(start, arrow_row, truncate(", ".join(names), end - start), Role.EDGE_LABEL)
    return arrow_row - top + (0 if tight and not labels else 1)


def route_loops(
    canvas: Canvas,
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
        text = truncate(", ".join(names), width - label_x)
        if len(text) >= 2:
            canvas.put(label_x, y, text, Role.EDGE_LABEL)
            right = max(right, label_x + len(text) - 1)
    return right
