"""Runs other processes drive, seen live in this app through the store's run journal.

While this app runs nothing itself, executions running elsewhere (or started elsewhere since
the app opened) are followed: their journal
entries become engine events again and go to the main screen like a local run's, so the graph,
the header, the log and the checkpoint list follow them. Their human requests are answered by
posting the answer to the journal, where the process that waits (or a later resume) finds it.
A finished run's journal replays into the log on request.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.worker import Worker

from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import events as engine_events
from wftui.engine.events import (
    RequestInfoEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowRunState,
)
from wftui.journal import RUNNING, Entry, Execution, journal_for, run_of
from wftui.tui.bridge import EngineEvents, LogRecord, Tone
from wftui.tui.screens.dialogs import request_prompt
from wftui.tui.screens.main import MainScreen
from wftui.tui.text import short_id

POLL_SECONDS = 0.2

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


class RemoteRuns:
    """Follows other processes' executions into ``main``; answers their requests."""

    def __init__(self, app: App[Any], main: MainScreen, storage: CheckpointStorage) -> None:
        self._app = app
        self._main = main
        self._storage = storage
        self._journal = journal_for(storage)
        self._host = socket.gethostname()
        self._seen: dict[str, int] = {}  # execution id -> last entry shown
        self._requests: dict[str, str] = {}  # open request id -> its run
        self._looking: Worker[None] | None = None
        # Executions that start after the app opened are shown even if they end between looks.
        self._opened = time.time()

    def is_mine(self, execution: Execution) -> bool:
        return execution.host == self._host and execution.pid == os.getpid()

    def owns(self, request_id: str) -> bool:
        """Whether a request came from a run followed here (so it is answered through the store)."""
        return request_id in self._requests

    def start(self, local_run_active: Callable[[], bool]) -> None:
        """Look at the journal every ``POLL_SECONDS`` while no local run holds the panes.

        Each look is a short worker, so waiting for "no worker runs" still means idle.
        """

        def look() -> None:
            if not local_run_active() and (self._looking is None or self._looking.is_finished):
                self._looking = self._app.run_worker(
                    self.catch_up(), group="remote", exit_on_error=False
                )

        self._app.set_interval(POLL_SECONDS, look)

    async def catch_up(self) -> None:
        for execution in await self._journal.executions():
            news = execution.started >= self._opened or execution.status() == RUNNING
            if self.is_mine(execution) or not (execution.id in self._seen or news):
                continue
            if execution.id not in self._seen:
                self._seen[execution.id] = 0
                self._main.run_started(
                    f"{execution.kind} of run {short_id(execution.run or '?')} "
                    f"running elsewhere ({execution.where})",
                    set(),
                )
            entries = await self._journal.entries(execution.id, self._seen[execution.id])
            if entries:
                self._seen[execution.id] = entries[-1].seq
                events = [rebuild(entry) for entry in entries]
                for event in events:
                    if isinstance(event, RequestInfoEvent) and execution.run:
                        self._requests[event.request_id] = execution.run
                self._main.post_message(EngineEvents(events))

    def ask(self, event: RequestInfoEvent) -> None:
        self._app.run_worker(self._ask(event), group="ask", exit_on_error=False)

    async def _ask(self, event: RequestInfoEvent) -> None:
        run = self._requests[event.request_id]
        answer = await self._app.push_screen_wait(request_prompt(event))
        if answer is None:
            return
        await self._journal.post_answer(run, event.request_id, str(answer))
        del self._requests[event.request_id]
        self._main.note(
            "request",
            f"answer to {event.request_id} sent to run {short_id(run)}; "
            "the run that waits, or its next resume, takes it",
            Tone.REQUEST,
        )

    async def replay(self, checkpoint_id: str) -> None:
        """The journal of the highlighted checkpoint's run, into the log as it happened."""
        run = await run_of(self._storage, checkpoint_id)
        executions = await self._journal.executions(run) if run else []
        if not executions:
            self._main.note("journal", f"no journal for run {short_id(run or '?')}", Tone.QUIET)
            return
        # A past run's timeline is drawn from its journal too, unless a run is live in it now.
        timeline = None if self._main.timeline.live else self._main.timeline
        if timeline is not None:
            timeline.reset()
        for execution in executions:
            self._main.note(
                "journal",
                f"{execution.kind} on {execution.where}: {execution.status()}",
                Tone.QUIET,
            )
            entries = await self._journal.entries(execution.id)
            self._main.event_log.add_records(
                LogRecord(e.time, e.kind, e.executor, e.text, Tone(e.tone)) for e in entries
            )
            if timeline is not None:
                for entry in entries:
                    timeline.see_json({"timestamp": entry.time, **entry.event})
        if timeline is not None:
            timeline.ended()
        self._main.update_log_title()
