"""The run state machine: start a run or a resume, ask for answers, continue, cancel.

One run at a time. The engine runs as an async worker on the App (never on a screen, which
would cancel it when a dialog closes, and never in a thread); its events go to the main screen
through ``bridge.EventBridge``, and the screen routes them to the panes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerState

from wftui.agents.client import ChatClient
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import RequestInfoEvent, Workflow, WorkflowEvent
from wftui.engine.execution import ExecutionInfo
from wftui.engine.request_info import expected_answer_type
from wftui.journal import Execution, journal_for, journaled, run_of
from wftui.loader import PipelineSpec
from wftui.tracing import traced
from wftui.tui.bridge import EventBridge, Tone
from wftui.tui.screens.dialogs import request_prompt
from wftui.tui.screens.main import MainScreen
from wftui.tui.text import one_line, short_id

ENGINE = "engine"


@dataclass(frozen=True)
class RunStart:
    """What a run worker does: a new run, a resume, or answers to the current run's requests."""

    label: str
    message: Any = None
    checkpoint_id: str | None = None
    responses: Mapping[str, Any] = field(default_factory=dict)
    ran: frozenset[str] = frozenset()
    steps: int | None = None  # stop after this many supersteps (PAUSED)
    rerun: str | None = None  # run only this executor at the checkpoint

    @property
    def continues_current(self) -> bool:
        """Answers go to the workflow instance that asked; everything else gets a fresh one."""
        return self.checkpoint_id is None and bool(self.responses)

    @property
    def kind(self) -> str:
        """What the journal calls this execution (``wftui runs`` lists it so)."""
        if self.checkpoint_id is None:
            return "answer" if self.responses else "run"
        return "rerun" if self.rerun else "step" if self.steps else "resume"

    def open(
        self, workflow: Workflow, storage: CheckpointStorage, execution: ExecutionInfo
    ) -> AsyncIterator[WorkflowEvent]:
        """The run's event stream; ``execution`` is recorded in the checkpoints it writes."""
        # The app shows a failed run from its events, so the stream must not raise at its end.
        if self.checkpoint_id is not None and self.rerun is not None:
            return workflow.rerun_stream(
                self.checkpoint_id, self.rerun, checkpoint_storage=storage, execution=execution
            )
        if self.checkpoint_id is not None:
            return workflow.run_stream_from_checkpoint(
                self.checkpoint_id,
                checkpoint_storage=storage,
                responses=self.responses or None,
                max_supersteps=self.steps,
                raise_on_failure=False,
                execution=execution,
            )
        if self.responses:
            # An answer continues the execution that asked; it records no new one.
            return workflow.send_responses_streaming(self.responses, raise_on_failure=False)
        return workflow.run_stream(self.message, raise_on_failure=False, execution=execution)


class RunControl:
    """Starts, answers, continues and cancels runs; every worker it starts belongs to ``app``."""

    def __init__(
        self,
        app: App[Any],
        main: MainScreen,
        pipeline: PipelineSpec,
        storage: CheckpointStorage,
        chat_client: ChatClient | None,
    ) -> None:
        self._app = app
        self._main = main
        self.pipeline = pipeline
        self._storage = storage
        self._chat_client = chat_client
        self._workflow: Workflow | None = None
        self._worker: Worker[None] | None = None
        self._answers: dict[str, Any] = {}
        self._open_requests = 0  # live request dialogs not yet closed
        self._run: str | None = None  # the run answers continue (journaled per execution)

    @property
    def active(self) -> bool:
        return self._worker is not None and not self._worker.is_finished

    def start(self, start: RunStart) -> None:
        if not start.continues_current:
            self._answers.clear()
        self._main.run_started(start.label, start.ran)
        self._worker = self._app.run_worker(self._drive(start), group=ENGINE, exit_on_error=False)
        self._main.update_preview()  # a run is active now: back to live statuses
        self._app.refresh_bindings()

    def resume(self, checkpoint_id: str, ran: frozenset[str], waits_for_answers: bool) -> None:
        """Resume from a checkpoint; one that waits for a human asks each answer first."""
        if waits_for_answers:
            self._app.run_worker(
                self._resume_with_answers(checkpoint_id, ran), group="ask", exit_on_error=False
            )
        else:
            self.start(RunStart(f"resume {short_id(checkpoint_id)}", None, checkpoint_id, {}, ran))

    def ask(self, event: RequestInfoEvent) -> None:
        """A running workflow asks: the answer continues that same workflow instance."""
        self._app.run_worker(self._ask_live(event), group="ask", exit_on_error=False)

    def cancel(self) -> bool:
        """Cancel the active run; False when there is none."""
        if self._worker is None or not self.active:
            return False
        self._main.note("cancel", "cancelling the run…", Tone.QUIET)
        self._worker.cancel()
        return True

    async def cancel_and_wait(self) -> None:
        """Cancel the run, if any, and wait until its worker has let go of the engine."""
        worker = self._worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            with contextlib.suppress(Exception):
                await worker.wait()

    def worker_changed(self, worker: Worker[Any], state: WorkerState) -> None:
        """A worker changed state: the run's end shows, and answers given meanwhile continue it."""
        if worker is self._worker and worker.is_finished:
            self._main.run_ended(cancelled=state is WorkerState.CANCELLED)
            self._app.refresh_bindings()
            self._continue_with_answers()

    # ----- workers -----

    async def _drive(self, start: RunStart) -> None:
        if not start.continues_current or self._workflow is None:
            self._workflow = self.pipeline.create_workflow(self._storage, self._chat_client)
        kind = start.kind
        # A new run's input, as `wftui runs` lists it (the CLI's runs record theirs too).
        text = one_line(start.message, 500) if kind == "run" else None
        execution = Execution.here(kind, self.pipeline.name, input=text)
        if start.checkpoint_id is not None:
            execution.run = await run_of(self._storage, start.checkpoint_id)
        elif start.responses:
            execution.run = self._run
        # One id for the execution in the journal and in its checkpoints' metadata.
        same = ExecutionInfo(id=execution.id, pipeline=self._workflow.pipeline)
        events = start.open(self._workflow, self._storage, same)
        events = traced(events, name=self._workflow.name, chat_client=self._chat_client)
        await EventBridge(self._main).pump(
            journaled(events, journal_for(self._storage), execution, self._storage)
        )
        self._run = execution.run

    async def _ask_live(self, event: RequestInfoEvent) -> None:
        asking = self._workflow
        self._open_requests += 1
        try:
            prompt = request_prompt(event, self._expected_answer(asking, event))
            answer = await self._app.push_screen_wait(prompt)
        finally:
            self._open_requests -= 1
        if answer is None:
            self._main.note("request", f"left pending: {event.request_id}", Tone.REQUEST)
        elif asking is not self._workflow:
            self._app.notify(
                "That run was replaced; resume its checkpoint to answer.", severity="warning"
            )
        else:
            self._answers[event.request_id] = answer
        self._continue_with_answers()

    async def _resume_with_answers(self, checkpoint_id: str, ran: frozenset[str]) -> None:
        checkpoint = await self._storage.load_checkpoint(checkpoint_id)
        if checkpoint is None:
            self._app.notify(f"Checkpoint {short_id(checkpoint_id)} is gone", severity="warning")
            return
        answers: dict[str, Any] = {}
        shape = self.pipeline.create_workflow(None, self._chat_client)
        records = list(checkpoint.pending_requests.values())
        for number, record in enumerate(records, start=1):
            event = RequestInfoEvent(
                request_id=record["request_id"],
                source_executor_id=record.get("source_executor_id", ""),
                request_type=record.get("request_type", ""),
                data=record.get("data"),
            )
            expected = self._expected_answer(shape, event)
            prompt = request_prompt(event, expected, (number, len(records)))
            answer = await self._app.push_screen_wait(prompt)
            if answer is None:
                self._app.notify("Resume cancelled; the request stays pending.")
                return
            answers[event.request_id] = answer
        self.start(RunStart(f"resume {short_id(checkpoint_id)}", None, checkpoint_id, answers, ran))

    @staticmethod
    def _expected_answer(workflow: Workflow | None, event: RequestInfoEvent) -> Any:
        """The answer type the asking executor declares, so the dialog can check an answer."""
        asker = workflow.executors.get(event.source_executor_id) if workflow else None
        return expected_answer_type(asker, event.data) if asker else Any

    def _continue_with_answers(self) -> None:
        """Continue the run that asked once it has stopped and every open question is closed."""
        ready = self._answers and not self._open_requests and not self.active
        if ready and self._workflow is not None:
            answers, self._answers = dict(self._answers), {}
            self.start(RunStart("answered: continuing the run", responses=answers))
