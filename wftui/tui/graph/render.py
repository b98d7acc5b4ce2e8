"""Rendering: live statuses (or a checkpoint preview) painted onto a layout, as styled runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from wftui.tui.graph.model import GraphLayout, NodeBox, Preview, RenderedLine, Role, Run
from wftui.tui.graph.placement import box_centre
from wftui.tui.status import Mark, NodeStatus

# Where the action is gets a heavy border, a second cue that does not need colour.
_EMPHASISED = frozenset({Role.RUNNING, Role.NEXT})


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


def _look(node_id: str, statuses: Mapping[str, NodeStatus], preview: Preview | None) -> Run:
    if preview is not None:
        if node_id in preview.failed:
            return Run(Mark.FAILED.value, Role.FAILED)
        if node_id in preview.next_ids:
            return Run(Mark.NEXT.value, Role.NEXT)
        if node_id in preview.ran:
            return Run(Mark.DONE.value, Role.RAN)
        return Run(Mark.PENDING.value, Role.PENDING)
    status = statuses.get(node_id, NodeStatus.PENDING)
    return Run(status.symbol, Role(status.value))


def preview_text(order: Iterable[str], preview: Preview) -> str:
    """A checkpoint preview as one line, ``✓ ran ▶ next ○ later``, with the graph's symbols."""
    return " ".join(f"{_look(node_id, {}, preview).text} {node_id}" for node_id in order)


def render(
    layout: GraphLayout,
    statuses: Mapping[str, NodeStatus],
    preview: Preview | None = None,
    notes: Mapping[str, str] | None = None,
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
        _paint_note(put, box, (notes or {}).get(box.node_id, ""))
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
        put(box_centre(box.x, box.width), bottom, chars.exit_down, look.role)
    if box.exit_right is not None:
        corner = box.exit_right == box.height - 1
        junction = chars.exit_corner if corner else chars.exit_right
        put(box.x + box.width - 1, box.y + box.exit_right, junction, look.role)


def _paint_note(put: Callable[[int, int, str, Role], None], box: NodeBox, note: str) -> None:
    """A box's spending (``9 tok $0.0095 1.2s``) on the right of its top border, clear of a
    marker; a narrow box drops words from the end (the tokens stay), then cuts with …."""
    room = box.width - 5 - (len(box.marker) + 1 if box.marker else 0)
    words = note.split()
    while len(words) > 2 and len(" ".join(words)) > room:
        words.pop()
    text = " ".join(words)
    if len(text) > room:
        text = text[: room - 1] + "…" if room > 1 else ""
    if text:
        put(box.x + box.width - 3 - len(text), box.y, f" {text} ", Role.TYPE_NAME)


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
