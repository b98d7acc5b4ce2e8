"""Journaling an execution: events are read off the stream the caller already consumes, so the
engine never knows; entries are written in batches (superstep ends close together share one, a
short run's go with its end), with a heartbeat while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, cast

from wftui.agents.events import AgentRunUpdateEvent
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)
from wftui.events_text import data_text, describe, event_fields
from wftui.journal.model import Entry, Execution, Journal
from wftui.journal.redact import Redactor

# Entries wait for their superstep's end at most this long, so a slow step shows while it runs.
FLUSH_SECONDS = 0.25
# Written soon rather than at the superstep's end: someone may be waiting to see them.
_FLUSH_SOON = (SuperStepCompletedEvent, WorkflowStatusEvent)
# Written before the event goes on to the caller: a request someone elsewhere answers, and a
# run's failure. A superstep's end (and the run's start, ``BEGIN_AFTER_SECONDS``) is written
# while the run goes on: waiting for that write held up every superstep by a thread hop and a
# file append. The run's last entries go with its end, in one write, as the stream stops.
_WRITTEN_FIRST = (RequestInfoEvent, WorkflowFailedEvent)
# Superstep ends this close together share one write: followers poll every 50 ms, and a short
# run (a few milliseconds) then writes only its start and its end, both as it ends.
COALESCE_SECONDS = 0.05
# The execution's first record waits this long, for its first write, or for the run to wait on
# its saves after a superstep (``_use_rest``): a short run's is made by the loop while the run
# waits for its last saves, or with its end, instead of a worker thread making the
# file while the run starts (the hop and the GIL it contends for were a quarter of a short run's
# journal). A follower sees a run up to 50 ms later for it (they poll every 50 ms anyway); a
# run killed before then leaves its checkpoints, but no journal of its own.
BEGIN_AFTER_SECONDS = 0.05
# Events made into entries only when they are written, all at once: made one at a time, as
# each passed between two steps of the run, the same work cost several times more. Only kinds
# whose shown fields are plain values, and only while their data cannot change meanwhile.
_FORMATTED_LATER = frozenset(
    (
        WorkflowStartedEvent,
        WorkflowStatusEvent,
        SuperStepStartedEvent,
        SuperStepCompletedEvent,
        ExecutorInvokedEvent,
        ExecutorCompletedEvent,
        CheckpointSavedEvent,
        WorkflowOutputEvent,
        AgentRunUpdateEvent,
    )
)
_UNCHANGING = (str, int, float, type(None))
# A timer is due this close to its time: the loop runs timers up to its clock's resolution early.
_SLACK = 0.001

# What ``add`` does with an event, by the event's class (worked out once per class: a few
# ``isinstance`` calls per event were most of what ``add`` cost).
_LATER, _STATUS, _FAILED, _SAVED, _FIRST, _SOON, _STEP_END = (1 << bit for bit in range(7))
_traits: dict[type[WorkflowEvent], int] = {}


def _traits_of(kind: type[WorkflowEvent]) -> int:
    """Worked out for a class ``add`` has not seen yet, and kept."""
    traits = _traits[kind] = (
        (_LATER if kind in _FORMATTED_LATER else 0)
        | (_STATUS if issubclass(kind, WorkflowStatusEvent) else 0)
        | (_FAILED if issubclass(kind, WorkflowFailedEvent) else 0)
        | (_SAVED if issubclass(kind, CheckpointSavedEvent) else 0)
        | (_FIRST if issubclass(kind, _WRITTEN_FIRST) else 0)
        | (_SOON if issubclass(kind, _FLUSH_SOON) else 0)
        | (_STEP_END if issubclass(kind, SuperStepCompletedEvent) else 0)
    )
    return traits


_OUTCOMES = {
    WorkflowRunState.IDLE: "completed",
    WorkflowRunState.IDLE_WITH_PENDING_REQUESTS: "waiting",
    WorkflowRunState.FAILED: "failed",
    WorkflowRunState.CANCELLED: "cancelled",
    WorkflowRunState.PAUSED: "paused",  # a step or rerun stopped as asked
}


async def stored_fields(storage: CheckpointStorage, checkpoint_id: str) -> dict[str, Any]:
    """A stored checkpoint's top-level fields, values left as typed JSON (nothing decoded, so
    no pipeline's types are needed); empty when it is missing or unreadable."""
    document = await storage.load_document(checkpoint_id)
    try:
        fields = json.loads(document) if document is not None else {}
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


async def run_of(storage: CheckpointStorage, checkpoint_id: str) -> str | None:
    """The run (workflow id) a stored checkpoint belongs to."""
    run = (await stored_fields(storage, checkpoint_id)).get("workflow_id")
    return run if isinstance(run, str) else None


class JournalWriter:
    """Collects one execution's entries and writes them in batches, plus its heartbeat."""

    def __init__(self, journal: Journal, execution: Execution, storage: CheckpointStorage) -> None:
        self.journal = journal
        self.execution = execution
        self._storage = storage
        self._redact = Redactor()
        self._pending: list[Entry | tuple[int, WorkflowEvent]] = []  # (seq, event): see add
        self._seq = 0
        self._writing = asyncio.Lock()  # batches reach the journal in order
        # When the begin, the heartbeat, the drain of pending entries and a coalesced flush
        # are due, and one timer for the soonest: tasks started, cancelled and awaited cost a
        # run more than its writes, and so did a timer for each (all but one cancelled unfired
        # at a short run's end, and every later timer sorted among them).
        self._due: dict[str, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        # Writes the run does not wait for (superstep ends, beats), awaited by ``close``.
        self._background: set[asyncio.Task[None]] = set()
        self._naming: asyncio.Task[None] | None = None  # finds the run's id in its checkpoint
        self._run_unwritten = False  # the run's id is known, not yet given to the journal
        self._begun: asyncio.Task[None] | None = None
        self._resting: asyncio.Handle | None = None  # see ``_use_rest``
        self._closed = False
        self.outcome = "cancelled"  # until a final status says otherwise

    async def open(self) -> None:
        if self.execution.input is not None:
            self.execution.input = self._redact.text(self.execution.input)
        now = asyncio.get_running_loop().time()
        self._due = {
            "begin": now + BEGIN_AFTER_SECONDS,
            "beat": now + self.execution.beat_every,
            "drain": now + FLUSH_SECONDS,
        }
        self._arm()

    def _arm(self) -> None:
        """The timer set for the soonest thing due."""
        soonest = min(self._due.values(), default=None)
        timer = self._timer
        if soonest is None or (timer is not None and timer.when() <= soonest):
            return
        if timer is not None:
            timer.cancel()
        self._timer = asyncio.get_running_loop().call_at(soonest, self._on_time)

    def _on_time(self) -> None:
        """Start what is due: the begin and a coalesced flush once, beats and drains again
        and again."""
        self._timer = None
        now = asyncio.get_running_loop().time() + _SLACK
        due = self._due
        if due.get("begin", now) < now:
            self._start_begin()
        if due.get("beat", now) < now:
            due["beat"] = now + self.execution.beat_every
            self._start(self._beat())
        if due.get("soon", now) < now or due.get("drain", now) < now:
            due.pop("soon", None)
            due["drain"] = now + FLUSH_SECONDS
            self._start(self._quiet_flush())
        self._arm()

    async def _beat(self) -> None:
        # A missed beat is only a late one; the next tries again.
        with contextlib.suppress(Exception):
            await self._begin_written()
            await self.journal.beat(self.execution.id, time.time())

    async def _quiet_flush(self) -> None:
        with contextlib.suppress(Exception):  # kept pending: the next flush (or the end) retries
            await self.flush()

    def add(self, event: WorkflowEvent) -> bool:
        """Take the event in; True when it must be written (``flush``) before it goes on.
        Not a coroutine: one made and awaited per event cost more than most events' entry."""
        self._seq += 1
        traits = _traits.get(type(event))
        if traits is None:
            traits = _traits_of(type(event))
        if traits & _LATER and isinstance(event.data, _UNCHANGING):
            self._pending.append((self._seq, event))
        else:
            self._pending.append(self._entry(self._seq, event))
        if traits & _STATUS:
            self.outcome = _OUTCOMES.get(cast(WorkflowStatusEvent, event).state, self.outcome)
        elif traits & _FAILED:
            self.outcome = "failed"
        if traits & _SAVED and self.execution.run is None:
            self._run_from(cast(CheckpointSavedEvent, event))
        if traits & _FIRST:
            return True
        if traits & _SOON:
            self._flush_soon()
            if traits & _STEP_END and self._resting is None:
                self._resting = asyncio.get_running_loop().call_soon(self._use_rest, self._seq)
        return False

    def _run_from(self, event: CheckpointSavedEvent) -> None:
        """The run, as a saved checkpoint's event names it (or, failing that, its file)."""
        if event.workflow_id:
            self._name_run(event.workflow_id)
        elif self._naming is None:
            self._naming = self._start(self._look_up_run(event.checkpoint_id))

    def _use_rest(self, seq: int) -> None:
        """Runs once the loop is free after a superstep's end. If no event came since, the run
        is waiting (for its saves, at its end or in ``sync`` mode), so the loop would idle:
        write the begin and then make the entries now, not after the wait, when the run's end
        waits for them. The begin goes first: its system calls let the save thread take the GIL
        to send the saves the run now waits for (the other order measured 3-4% slower). When
        the next superstep has started instead, this only cost a look."""
        self._resting = None
        if seq != self._seq or self._closed:
            return
        self._start_begin(inline=True).add_done_callback(self._make_entries)

    def _make_entries(self, _: object) -> None:
        """The pending events made into entries (``_FORMATTED_LATER``), while nothing waits."""
        self._pending = list(self._entries(self._pending))  # typed as the pending list holds

    def _entries(self, pending: list[Entry | tuple[int, WorkflowEvent]]) -> list[Entry]:
        """``pending`` as entries, the events held back (see ``add``) made into theirs."""
        return [item if isinstance(item, Entry) else self._entry(*item) for item in pending]

    def _entry(self, seq: int, event: WorkflowEvent) -> Entry:
        """The event's journal entry, its secrets redacted."""
        record = describe(event)
        fields = event_fields(event)
        if isinstance(event, RequestInfoEvent):  # whoever answers from elsewhere must see it
            fields["data"] = data_text(event.data)
        text, fields = self._redact.line(record.text, fields)
        # ``_value_``, the member's own attribute: ``value`` is a property written in Python.
        return Entry(
            seq, record.time, record.kind, record.executor, text, record.tone._value_, fields
        )

    def _start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _name_run(self, run: str) -> None:
        """Note the run (workflow id) the execution belongs to; it goes to the journal with
        the next batch (the checkpoint's own entry is in it)."""
        if self.execution.run is None:
            self.execution.run = run
            self._run_unwritten = True

    async def _look_up_run(self, checkpoint_id: str) -> None:
        """The run as the execution's first checkpoint says it, when its event did not."""
        with contextlib.suppress(Exception):  # unknown until then: it is only a label
            run = await run_of(self._storage, checkpoint_id)
            if run is not None:
                self._name_run(run)
                self._flush_soon()

    def _start_begin(self, *, inline: bool = False) -> asyncio.Task[None]:
        """The execution's first record on its way (``inline``: its writer waits for it now)."""
        if self._begun is None:
            self._due.pop("begin", None)
            self._begun = asyncio.create_task(self.journal.begin(self.execution, inline=inline))
        return self._begun

    async def _begin_written(self) -> None:
        """The execution's first record is written (or its error raised, at every write)."""
        begun = self._start_begin(inline=True)
        if begun.done():
            begun.result()  # a shield and an await cost more than the write they wait for
        else:
            await asyncio.shield(begun)

    def _flush_soon(self) -> None:
        """Write what is pending within ``COALESCE_SECONDS``, without the run waiting; what is
        asked for meanwhile goes with it (``close`` writes what is left)."""
        if "soon" not in self._due and not self._closed:
            self._due["soon"] = asyncio.get_running_loop().time() + COALESCE_SECONDS
            self._arm()

    async def flush(self, outcome: str | None = None) -> None:
        """Write what is pending; with ``outcome``, the execution's end in the same write."""
        async with self._writing:
            await self._begin_written()
            pending, self._pending = self._pending, []
            try:
                batch = self._entries(pending)
                if self._run_unwritten and self.execution.run is not None:
                    await self.journal.set_run(self.execution.id, self.execution.run)
                    self._run_unwritten = False
                if outcome is not None:
                    await self.journal.end(self.execution.id, outcome, time.time(), batch)
                elif batch:
                    await self.journal.append(self.execution.id, batch)
            except BaseException:
                self._pending[:0] = pending  # kept for the next flush, still in order
                raise

    async def close(self, outcome: str) -> None:
        self._closed = True
        if self._resting is not None:
            self._resting.cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()
        if self._background:
            await asyncio.wait(self._background)
        await self.flush(outcome)


async def journaled(
    events: AsyncIterator[WorkflowEvent],
    journal: Journal,
    execution: Execution,
    storage: CheckpointStorage,
) -> AsyncIterator[WorkflowEvent]:
    """``events`` unchanged, journaled on the way; the execution's end is written however the
    stream stops (finished, failed, cancelled)."""
    writer = JournalWriter(journal, execution, storage)
    await writer.open()
    outcome = "cancelled"
    try:
        async for event in events:
            if writer.add(event):
                await writer.flush()
            yield event
        outcome = writer.outcome
    except Exception:
        outcome = "failed"
        raise
    finally:
        await asyncio.shield(writer.close(outcome))
