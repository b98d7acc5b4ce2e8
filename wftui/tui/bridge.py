"""The one bridge from the engine to the UI: event streams in, batched Textual messages out.

The engine knows nothing of Textual. A run's events are collected here and posted (to the main
screen, which feeds the panes) as ``EngineEvents`` batches, at most ``FLUSH_INTERVAL`` apart, so a
flood of events costs a few repaints instead of one per event; batches still queued when the next
arrives merge into it. Events a person must react to flush at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from textual.message import Message
from textual.message_pump import MessagePump

from wftui.engine import RequestInfoEvent, WorkflowEvent, WorkflowFailedEvent, WorkflowStatusEvent

# The log's records are made without Textual (the CLI and the journal share them).
from wftui.events_text import LogRecord as LogRecord
from wftui.events_text import Tone as Tone
from wftui.events_text import data_text as data_text
from wftui.events_text import describe as describe
from wftui.events_text import echoes_a_failure as echoes_a_failure

FLUSH_INTERVAL = 1 / 30


@dataclass
class EngineEvents(Message):
    """A batch of one run's events, in the order the engine emitted them."""

    events: list[WorkflowEvent]

    def can_replace(self, message: Message) -> bool:
        """A backlog of batches is handled as one: the next batch takes this one's events first.

        When the app falls behind a flood, queued batches merge instead of each costing a repaint.
        """
        if not isinstance(message, EngineEvents):
            return False
        message.events[:0] = self.events
        return True


_URGENT = (RequestInfoEvent, WorkflowStatusEvent, WorkflowFailedEvent)


class EventBridge:
    """Pumps one run's event stream into ``EngineEvents`` messages for ``target``."""

    def __init__(self, target: MessagePump, interval: float = FLUSH_INTERVAL) -> None:
        self._target = target
        self._interval = interval
        self._pending: list[WorkflowEvent] = []
        self._timer: asyncio.TimerHandle | None = None

    async def pump(self, stream: AsyncIterator[WorkflowEvent]) -> None:
        """Drain ``stream``; whatever happens, the events already seen reach the app."""
        loop = asyncio.get_running_loop()
        try:
            async for event in stream:
                self._pending.append(event)
                if isinstance(event, _URGENT):
                    self.flush()
                elif self._timer is None:
                    self._timer = loop.call_later(self._interval, self.flush)
                # An engine that never has to wait would otherwise starve the keyboard.
                await asyncio.sleep(0)
        finally:
            self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            batch, self._pending = self._pending, []
            self._target.post_message(EngineEvents(batch))
