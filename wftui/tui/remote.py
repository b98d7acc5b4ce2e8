"""Runs in the store's journal, as this app sees them: other processes' runs marked live in the
browser, and the selected run's story told in the panes.

One loop follows the journal's ``watch()``: an execution that begins, beats or ends in another
process marks its run's row as running there (``host:pid``), or unmarks it; a killed one is
unmarked once its heartbeats stop. Highlighting a checkpoint selects its run: the graph, the
header, the timeline and the log start over on that run's journal from its first entry (a
finished run replays as it happened) and go on live while it runs elsewhere. A run this app
drives keeps the panes; selecting waits until it ends. A request of a run followed here is
answered by posting the answer to the journal, where the process that waits for it, or the
run's next resume, takes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from textual.app import App

from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import events as engine_events
from wftui.engine.events import (
    RequestInfoEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowRunState,
)
from wftui.journal import LOST, RUNNING, Entry, Execution, JournalChange, journal_for
from wftui.tui.bridge import LogRecord, Tone
from wftui.tui.screens.dialogs import request_prompt
from wftui.tui.screens.main import MainScreen
from wftui.tui.text import short_id
from wftui.tui.workers import when_started

# The cursor rests this long on a run before its journal is read (holding j passes runs by).
SELECT_DELAY = 0.1

_EVENT_TYPES: dict[str, type[WorkflowEvent]] = {
    name: value
    for name, value in vars(engine_events).items()
    if isinstance(value, type) and issubclass(value, WorkflowEvent)
} | {"AgentRunEvent": AgentRunEvent, "AgentRunUpdateEvent": AgentRunUpdateEvent}


def rebuild(entry: Entry) -> WorkflowEvent:
    """The event a journal entry recorded, with its values as the journal kept them (text)."""
    fields = dict(entry.event)
    kind = _EVENT_TYPES.get(str(fields.pop("event", "")), engine_events.WorkflowWarningEvent)
    names = {field.name for field in dataclasses.fields(kind)}
    arguments: dict[str, Any] = {k: v for k, v in fields.items() if k in names}
    if "state" in arguments:
        arguments["state"] = WorkflowRunState(arguments["state"])
    if "error" in fields and "details" in names:
        error_type, _, message = str(fields["error"]).partition(": ")
        arguments["details"] = WorkflowErrorDetails(error_type=error_type, message=message)
    if kind is engine_events.WorkflowWarningEvent and not arguments:
        arguments["data"] = entry.text
    arguments["timestamp"] = entry.time
    return kind(**arguments)


def worked(execution: Execution) -> float:
    """Seconds an execution ran: to its end, or to its last heartbeat while it runs."""
    end = execution.ended if execution.ended is not None else execution.heartbeat
    return max(end - execution.started, 0.0)


class RemoteRuns:
    """The journal's executions by run; tells the selected run's story in ``main``."""

    def __init__(
        self,
        app: App[Any],
        main: MainScreen,
        storage: CheckpointStorage,
        local_active: Callable[[], bool],
    ) -> None:
        self._app = app
        self._main = main
        self._journal = journal_for(storage)
        self._local_active = local_active
        self._host = socket.gethostname()
        self._executions: dict[str, Execution] = {}
        self._runs: dict[str, list[str]] = {}  # run -> its execution ids
        self._indexed = asyncio.Event()  # the journal's executions are known
        self._shown: dict[str, int] = {}  # execution id -> its last entry in the panes
        self._telling = asyncio.Lock()  # entries reach the panes once each, in order
        self._asked: set[str] = set()  # request ids put to the user here already
        # The run selected while the journal knew no execution of it: its rows can arrive
        # (the store's watch) before the journal says who drives it (the journal's watch).
        self._awaited: str | None = None
        # A run that stopped to wait before the app opened is resumed, not asked about.
        self._opened = time.time()

    def is_mine(self, execution: Execution) -> bool:
        return execution.host == self._host and execution.pid == os.getpid()

    def executions_of(self, run: str) -> list[Execution]:
        """``run``'s executions, oldest first."""
        found = [self._executions[each] for each in self._runs.get(run, [])]
        return sorted(found, key=lambda execution: execution.started)

    # ----- the journal's watch -----

    async def learn(self) -> int:
        """The journal's executions as they are; the seq to watch its changes after."""
        start = await self._journal.last_seq()  # first: nothing written meanwhile is missed
        for execution in await self._journal.executions():
            self._learn(execution)
        self._indexed.set()
        return start

    def watch(self, after_seq: int) -> AsyncIterator[JournalChange]:
        return self._journal.watch(after_seq)

    async def take(self, change: JournalChange) -> None:
        """What a journal change says: an execution to learn, a mark, the shown run's news."""
        named = change.execution_id
        if change.kind == "reset":  # changes were dropped: what they said is read again
            for execution in await self._journal.executions():
                self._learn(execution)
            for execution in self.executions_of(self._main.showing or ""):
                await self._news(execution, ended=execution.outcome is not None)
            return
        if named is None:
            return  # an answer posted: the run that waits takes it
        known = self._executions.get(named)
        if known is None or known.run is None or change.kind != "entries":
            found = await self._journal.execution(named)
            if found is None:
                return
            self._learn(found)
        await self._news(self._executions[named], ended=change.kind == "ended")

    async def _news(self, execution: Execution, *, ended: bool) -> None:
        """The execution's new entries in the panes, if they tell its run (and it runs
        elsewhere); the timeline ends with the run's last execution elsewhere."""
        shown = execution.run is not None and execution.run == self._main.showing
        if shown and not self.is_mine(execution) and not self._local_active():
            async with self._telling:
                await self._tell(execution, live=True)
            if ended and not self._running(execution.run):
                self._main.timeline.ended()

    def _learn(self, execution: Execution) -> None:
        before = self._executions.get(execution.id)
        self._executions[execution.id] = execution
        if execution.run is None:
            return
        if before is None or before.run is None:
            self._runs.setdefault(execution.run, []).append(execution.id)
        self._mark(execution.run)
        if execution.run == self._awaited:
            self._awaited = None
            self.select(execution.run, again=True)

    def _running(self, run: str | None) -> list[Execution]:
        """``run``'s executions that run now in another process."""
        executions = self.executions_of(run) if run is not None else []
        return [e for e in executions if e.status() == RUNNING and not self.is_mine(e)]

    def _mark(self, run: str) -> None:
        running = self._running(run)
        ends = tuple((e.started, e.status()) for e in self.executions_of(run))
        table = self._main.browser.table
        if table.renderer.executions.get(run) != ends:  # how the run's lines ended (browser)
            table.renderer.executions[run] = ends
            table.refresh()
        self._main.mark_worked(run, sum(worked(e) for e in self.executions_of(run)))
        was = self._main.elsewhere.get(run)
        self._main.mark_elsewhere(run, running[-1].where if running else None)
        lost = [e for e in self.executions_of(run) if e.status() == LOST]
        if was is not None and not running and lost and run == self._main.showing:
            self._main.run_lost(was, lost[-1].heartbeat)

    def check_heartbeats(self) -> None:
        """Unmark runs whose heartbeats stopped (killed elsewhere): what is known, re-read
        against the clock; nothing is read from the store."""
        for run in list(self._main.elsewhere):
            self._mark(run)

    # ----- selecting a run -----

    def select(self, run: str, *, again: bool = False) -> None:
        """Tell ``run``'s story in the panes (``again``: even if they tell it already)."""
        if self._local_active() or (run == self._main.showing and not again):
            return
        self._awaited = None

        self._app.run_worker(
            when_started(self._follow, run, again),
            group="follow",
            exclusive=True,
            exit_on_error=False,
        )

    async def _follow(self, run: str, again: bool) -> None:
        if not again:
            await asyncio.sleep(SELECT_DELAY)
        await self._indexed.wait()
        executions = self.executions_of(run)
        if not executions:
            if again:
                self._main.note("journal", f"no journal for run {short_id(run)}", Tone.QUIET)
            self._awaited = run  # followed once the journal knows it
            return  # the panes keep what they show
        if self._local_active():
            return
        async with self._telling:
            self._shown = {}
            self._main.show_run(run)
            for execution in executions:
                status = execution.status()
                here = "" if self.is_mine(execution) or status != RUNNING else " elsewhere"
                line = f"{execution.kind} on {execution.where}: {status}{here}"
                self._main.note("journal", line, Tone.QUIET, at=execution.started)
                await self._tell(execution, live=status == RUNNING)
            if executions[-1].status() == LOST:
                self._main.run_lost(executions[-1].where, executions[-1].heartbeat)
        if not self._running(run):
            self._main.timeline.ended()

    async def _tell(self, execution: Execution, *, live: bool) -> None:
        """The execution's entries not in the panes yet (the caller holds ``_telling``)."""
        entries = await self._journal.entries(execution.id, self._shown.get(execution.id, 0))
        if not entries or not self._app.is_running:
            return
        self._shown[execution.id] = entries[-1].seq
        events = [rebuild(entry) for entry in entries]
        self._main.show_journal(
            [LogRecord(e.time, e.kind, e.executor, e.text, Tone(e.tone)) for e in entries],
            [{"timestamp": entry.time, **entry.event} for entry in entries],
            events,
            live=live,
        )
        for event in events:
            if isinstance(event, RequestInfoEvent) and await self._open(execution, event):
                self._asked.add(event.request_id)
                self._app.run_worker(
                    self._asking(execution.run or "", event), group="ask", exit_on_error=False
                )

    # ----- answering -----

    async def _open(self, execution: Execution, event: RequestInfoEvent) -> bool:
        """Whether to ask here: a request of a run that waits in another process now (or
        stopped to wait since the app opened), not asked or answered yet."""
        run = execution.run
        if run is None or self.is_mine(execution) or event.request_id in self._asked:
            return False
        if self.executions_of(run)[-1].id != execution.id:
            return False  # a later execution of the run took it on
        waiting = execution.outcome == "waiting" and execution.started >= self._opened
        if execution.status() != RUNNING and not waiting:
            return False
        return event.request_id not in await self._journal.answers(run)

    def _asking(self, run: str, event: RequestInfoEvent) -> Callable[[], Awaitable[None]]:
        """Asking, for a worker to start (nothing is left unawaited if it never does)."""

        async def asking() -> None:
            await self._ask(run, event)

        return asking

    async def _ask(self, run: str, event: RequestInfoEvent) -> None:
        answer = await self._app.push_screen_wait(request_prompt(event))
        if answer is None:
            self._main.note("request", f"left pending: {event.request_id}", Tone.REQUEST)
            return
        await self._journal.post_answer(run, event.request_id, str(answer))
        self._main.note(
            "request",
            f"answer to {event.request_id} sent to run {short_id(run)}; "
            "the run that waits, or its next resume, takes it",
            Tone.REQUEST,
        )

    async def close(self) -> None:
        await self._journal.close()
