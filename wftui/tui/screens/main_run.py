"""The main screen's engine side: a run starts and ends, and its events go to the panes.

``EngineEvents`` arrive here first (the bridge posts them to the screen); each event goes to
the log, the timeline, the graph, the header and the browser, then the message bubbles on to
the App, which answers requests. A run read from the journal (another process's, or a past
one) comes through ``show_run`` and ``show_journal`` instead: its log lines as they were
written, its events to the graph, the header and the timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from wftui.engine import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowStatusEvent,
)
from wftui.tui.bridge import EngineEvents, LogRecord, Tone, describe, echoes_a_failure
from wftui.tui.screens.main_store import StoreFeed
from wftui.tui.status import Mark, NodeStatus, RunStatus
from wftui.tui.text import one_line


class RunFeed(StoreFeed):
    """Routes a run's events to the panes that show them."""

    def run_started(self, label: str, ran: Set[str]) -> None:
        """A run starts: live statuses from scratch, except what a resume will not run again."""
        self.graph.reset_statuses()
        self._spending.reset()
        for executor_id in ran:
            self.graph.set_status(executor_id, NodeStatus.DONE)
        self.header.status = RunStatus.RUNNING
        self._run_failed = False
        self.showing = None  # until its first checkpoint names the run
        self.timeline.reset()
        self._late.reset()
        self.note("run", label, Tone.QUIET)

    def run_ended(self, *, cancelled: bool) -> None:
        if cancelled:
            self.header.status = RunStatus.CANCELLED
            text = f"{Mark.CANCELLED} cancelled; the last checkpoint stays resumable"
            self.note("status", text, Tone.FAILURE)
        self.timeline.ended()
        for executor_id in self._running_nodes:  # interrupted: they run again on resume
            self.graph.set_status(executor_id, NodeStatus.PENDING)
        self._running_nodes.clear()

    def run_lost(self, where: str, last_beat: float | None = None) -> None:
        """The shown run's process stopped beating without writing an end (killed, or its
        machine is gone): what was running will run again on resume. The note is timed at
        the last heartbeat, when the run was last known alive."""
        self.header.status = RunStatus.LOST
        text = (
            f"{Mark.CANCELLED} lost: no heartbeat from {where} after this; "
            "the last checkpoint stays resumable"
        )
        self.note("status", text, Tone.FAILURE, at=last_beat)
        self.run_ended(cancelled=False)

    def note(self, kind: str, text: str, tone: Tone, at: float | None = None) -> None:
        """A line in the event log from the app itself (not from the engine), timed ``at``
        what it tells of (an execution's start, a last heartbeat), else now: a note about a
        replayed run then sits among the entries it describes."""
        moment = self._clock.now() if at is None else at
        self.event_log.add_records([LogRecord(moment, kind, "", text, tone)])
        self.update_log_title()

    def on_engine_events(self, message: EngineEvents) -> None:
        """Each event to the panes it concerns; the message then bubbles on to the App."""
        if not self.app.is_running:
            return  # shutting down: the panes are gone, and so is anyone to tell
        self.event_log.add_records(
            self._late.lines(
                (event, describe(event)) for event in message.events if not echoes_a_failure(event)
            )
        )
        self.update_log_title()
        self.timeline.see_all(message.events)
        saved = self._show_events(message.events, toast=True)
        if saved:
            adding = self._add_checkpoints(saved)
            self.app.run_worker(adding, group="checkpoints", exit_on_error=False)

    def show_run(self, run: str) -> None:
        """The panes start over on ``run``'s story, about to be read from the journal."""
        self.showing = run
        self.event_log.clear()
        self.graph.reset_statuses()
        self._running_nodes.clear()
        self._spending.reset()
        self.header.status = RunStatus.IDLE
        self.timeline.reset()
        self._late.reset()
        self.update_preview()  # a run live elsewhere shows its statuses, not a preview

    def show_journal(
        self,
        records: Iterable[LogRecord],
        fields: Iterable[Mapping[str, Any]],
        events: Sequence[WorkflowEvent],
        *,
        live: bool,
    ) -> None:
        """Journal entries of the shown run: the log lines as written, the timeline from the
        entries' fields, the rest from the events they rebuild (the store's watch lists its
        checkpoints). Only ``live`` ones toast their output."""
        if not self.app.is_running:
            return
        self.event_log.add_records(self._late.lines(zip(events, records, strict=True)))
        self.update_log_title()
        for each in fields:
            self.timeline.see_json(each)
        self._show_events(events, toast=live)

    def _show_events(self, events: Sequence[WorkflowEvent], *, toast: bool) -> list[str]:
        """The graph, the header and the toasts; the ids of the checkpoints the events saved."""
        saved: list[str] = []
        outputs: list[Any] = []
        graph = self.graph
        for event in events:
            if (spender := self._spending.feed(event)) is not None:
                graph.set_note(spender, self._spending.note(spender))
            match event:
                case ExecutorInvokedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.RUNNING)
                    self._running_nodes.add(executor_id)
                case ExecutorCompletedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.DONE)
                    self._running_nodes.discard(executor_id)
                case ExecutorFailedEvent(executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.FAILED)
                    self._running_nodes.discard(executor_id)
                case RequestInfoEvent(source_executor_id=executor_id):
                    graph.set_status(executor_id, NodeStatus.WAITING)
                case WorkflowStatusEvent(state=state):
                    self.header.status = RunStatus.from_run_state(state)
                case CheckpointSavedEvent(checkpoint_id=checkpoint_id):
                    saved.append(checkpoint_id)
                case WorkflowOutputEvent(data=data):
                    outputs.append(data)
                case WorkflowFailedEvent():
                    self._run_failed = True
        if outputs and toast:  # one toast per batch, however many outputs a flood brings
            more = f" (+{len(outputs) - 1} more in the log)" if len(outputs) > 1 else ""
            self.notify(one_line(outputs[-1], 300) + more, title="Output")
        return saved
