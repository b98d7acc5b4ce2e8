"""Checkpoint lines that the log receives after the run moved on, said as such.

With async durability (the default) the engine announces a checkpoint once it is durable,
which for a fast run is after later supersteps ran, often just before the run's status line.
The log keeps lines in the order they came (its cursor and filter count on it), so a late line
says what it is, ``30978368 superstep 2 · durable now (saved in the background)``, instead of
seeming to belong to the supersteps printed above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from wftui.engine import CheckpointSavedEvent, SuperStepStartedEvent, WorkflowEvent
from wftui.tui.bridge import LogRecord

LATE = " · durable now (saved in the background)"


class LateCheckpoints:
    """Follows one run's supersteps; ``reset`` when the log starts on another run."""

    def __init__(self) -> None:
        self._superstep = -1  # the newest superstep started

    def reset(self) -> None:
        self._superstep = -1

    def lines(self, pairs: Iterable[tuple[WorkflowEvent, LogRecord]]) -> Iterator[LogRecord]:
        """Each event's log line, a late checkpoint's saying so.

        A checkpoint of superstep N comes in order before superstep N + 1 starts.
        """
        for event, record in pairs:
            match event:
                case SuperStepStartedEvent(iteration=iteration):
                    self._superstep = max(self._superstep, iteration)
                case CheckpointSavedEvent(iteration=iteration) if iteration < self._superstep:
                    if not record.text.endswith(LATE):
                        record.text += LATE
            yield record
