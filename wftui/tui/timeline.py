"""The run as time bars, Textual-free: events in, lines of styled segments out.

One row per executor and a bar per invocation (from its invoked/completed/failed events),
superstep starts as ticks, failures, replays and human waits as marks. Every mark is a symbol
as well as a style, so the drawing reads under NO_COLOR. The screen (``screens.timeline``)
paints the segments; ``Timeline.see`` takes the same events the event log gets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wftui.engine import (
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.tui.status import Mark

LABEL_MIN, LABEL_MAX = 8, 22
_BY_NAME: dict[str, type[WorkflowEvent]] = {
    kind.__name__: kind
    for kind in (
        ExecutorCompletedEvent,
        ExecutorFailedEvent,
        ExecutorInvokedEvent,
        RequestInfoEvent,
        SuperStepStartedEvent,
        WorkflowStatusEvent,
    )
}


class Paint(StrEnum):
    """What a segment shows; the screen maps each to a style (component class)."""

    LABEL = "label"
    TICK = "tick"
    DONE = "done"
    RUNNING = "running"
    FAILED = "failed"
    REPLAYED = "replayed"
    WAITING = "waiting"
    AXIS = "axis"


GLYPHS: dict[Paint, str] = {
    Paint.DONE: "█",
    Paint.RUNNING: "▒",
    Paint.FAILED: Mark.FAILED.value,
    Paint.REPLAYED: Mark.LOOP.value,
    Paint.WAITING: Mark.WAITING.value,
    Paint.TICK: "┆",
}
LEGEND = (
    (Paint.DONE, "ran"),
    (Paint.RUNNING, "running"),
    (Paint.FAILED, "failed"),
    (Paint.REPLAYED, "replayed"),
    (Paint.WAITING, "human wait"),
    (Paint.TICK, "superstep"),
)

Segment = tuple[str, Paint]
Line = list[Segment]


@dataclass
class Bar:
    """One invocation: from ``start`` to ``end`` (None while it runs)."""

    start: float
    end: float | None = None
    paint: Paint = Paint.RUNNING


@dataclass
class Timeline:
    """What the drawing needs of one run, kept up to date event by event."""

    rows: dict[str, list[Bar]] = field(default_factory=dict)
    ticks: list[tuple[float, int]] = field(default_factory=list)
    waits: list[tuple[float, str]] = field(default_factory=list)
    first: float | None = None
    last: float | None = None
    live: bool = False
    # Bumped on every change, so a screen repaints only when there is something new.
    version: int = 0

    def reset(self, order: Iterable[str] = ()) -> None:
        """A new run: empty rows, in the graph's order, so rows do not jump as bars arrive."""
        self.rows = {executor_id: [] for executor_id in order}
        self.ticks, self.waits = [], []
        self.first = self.last = None
        self.live = True
        self.version += 1

    def see_all(self, events: Iterable[WorkflowEvent]) -> None:
        for event in events:
            self.see(event)

    def see(self, event: WorkflowEvent) -> None:
        at = event.timestamp
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)
        self.version += 1
        match event:
            case SuperStepStartedEvent(iteration=iteration):
                self.ticks.append((at, iteration))
            case ExecutorInvokedEvent(executor_id=executor_id):
                self.rows.setdefault(executor_id, []).append(Bar(at))
            case ExecutorCompletedEvent(executor_id=executor_id, data=note):
                if note:  # replayed from a checkpoint: no invocation, a mark
                    self.rows.setdefault(executor_id, []).append(Bar(at, at, Paint.REPLAYED))
                else:
                    self._close(executor_id, at, Paint.DONE)
            case ExecutorFailedEvent(executor_id=executor_id):
                self._close(executor_id, at, Paint.FAILED)
            case RequestInfoEvent(source_executor_id=executor_id):
                self.rows.setdefault(executor_id, [])
                self.waits.append((at, executor_id))
            case WorkflowStatusEvent(state=state):
                self.live = state is WorkflowRunState.IN_PROGRESS

    def see_json(self, fields: Mapping[str, Any]) -> None:
        """An event in its JSON form (``wftui run --json``, a run journal's entries): how a
        past run's timeline is drawn from what was written while it ran."""
        kind = _BY_NAME.get(str(fields.get("event")), WorkflowEvent)  # others: only a time
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        values = {name: value for name, value in fields.items() if name in names}
        if kind is WorkflowStatusEvent:
            values["state"] = WorkflowRunState(values.get("state", "IN_PROGRESS"))
        self.see(kind(**values))

    def _close(self, executor_id: str, at: float, paint: Paint) -> None:
        bars = self.rows.setdefault(executor_id, [])
        open_bar = next((bar for bar in reversed(bars) if bar.end is None), None)
        if open_bar is None:  # a failure with no invocation seen (the log started late)
            open_bar = Bar(at)
            bars.append(open_bar)
        open_bar.end, open_bar.paint = at, paint

    def ended(self) -> None:
        """The run's worker stopped (cancelled or finished): nothing is running any more."""
        self.live = False
        self.version += 1

    # -- drawing -------------------------------------------------------------------------------

    def render(self, width: int, now: float) -> list[Line]:
        """The timeline in ``width`` columns; a live run's open bars reach ``now``."""
        if self.first is None:
            return [[("No run yet: start one (n) or resume a checkpoint.", Paint.AXIS)]]
        label = max(LABEL_MIN, min(LABEL_MAX, max((len(e) for e in self.rows), default=0)))
        label = min(label, max(LABEL_MIN, width // 3))
        track = max(10, width - label - 1)
        start = self.first
        end = max(now if self.live else (self.last or start), self.last or start)
        span = max(end - start, 1e-6)

        def column(at: float) -> int:
            return max(0, min(track - 1, int((at - start) / span * track)))

        tick_columns = {column(at): number for at, number in self.ticks}
        lines = [self._step_header(label, track, tick_columns)]
        for executor_id, bars in self.rows.items():
            cells = [
                (GLYPHS[Paint.TICK], Paint.TICK) if c in tick_columns else (" ", Paint.AXIS)
                for c in range(track)
            ]
            for bar in bars:
                first, last = column(bar.start), column(bar.end if bar.end is not None else end)
                fill = Paint.RUNNING if bar.end is None else bar.paint
                glyph = GLYPHS[Paint.RUNNING] if bar.end is None else GLYPHS[Paint.DONE]
                for c in range(first, last + 1):
                    cells[c] = (glyph, fill)
                if bar.paint in (Paint.FAILED, Paint.REPLAYED):
                    cells[last] = (GLYPHS[bar.paint], bar.paint)
            for at, asker in self.waits:
                if asker == executor_id:
                    cells[column(at)] = (GLYPHS[Paint.WAITING], Paint.WAITING)
            lines.append([(_fit(executor_id, label) + " ", Paint.LABEL), *_merge(cells)])
        lines.append(self._axis(label, track, span))
        lines.append(_legend(width))
        return lines

    @staticmethod
    def _step_header(label: int, track: int, ticks: dict[int, int]) -> Line:
        cells = [" "] * track
        for c, number in sorted(ticks.items()):
            text = str(number)
            if all(cells[i] == " " for i in range(c, min(track, c + len(text) + 1))):
                cells[c : c + len(text)] = list(text)[: track - c]
        return [(_fit("superstep", label) + " ", Paint.AXIS), ("".join(cells), Paint.TICK)]

    @staticmethod
    def _axis(label: int, track: int, span: float) -> Line:
        right = _seconds(span)
        left = "0s"
        middle = " " * max(1, track - len(left) - len(right))
        return [(" " * (label + 1) + left + middle + right, Paint.AXIS)]


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _merge(cells: list[Segment]) -> list[Segment]:
    """Neighbouring cells of one paint as one segment."""
    merged: list[Segment] = []
    for text, paint in cells:
        if merged and merged[-1][1] is paint:
            merged[-1] = (merged[-1][0] + text, paint)
        else:
            merged.append((text, paint))
    return merged


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.1f}s"


def _legend(width: int) -> Line:
    line: Line = []
    used = 0
    for paint, meaning in LEGEND:
        text = f"{GLYPHS[paint]} {meaning}  "
        if used + len(text) > width:
            break
        line += [(GLYPHS[paint], paint), (f" {meaning}  ", Paint.AXIS)]
        used += len(text)
    return line
