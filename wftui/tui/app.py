"""The wftui terminal app: watch a pipeline run, browse its checkpoints, resume any of them.

The engine runs as an async worker on the App (never on a screen, which would cancel it when a
dialog closes, and never in a thread): events reach the panes through ``bridge.EventBridge``.
Every worker is started here with ``exit_on_error=False``; ``on_worker_state_changed`` is the one
place their errors are reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from wftui.agents.client import ChatClient, describe_chat_client
from wftui.checkpoint.storage import CheckpointError, CheckpointStorage
from wftui.engine import (
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    Workflow,
    WorkflowEvent,
    WorkflowOutputEvent,
    WorkflowStatusEvent,
)
from wftui.loader import PipelineSpec
from wftui.tui.bridge import EngineEvents, EventBridge, LogRecord, RunStatus, Tone, describe
from wftui.tui.graph_layout import graph_from_workflow
from wftui.tui.screens.dialogs import ConfirmScreen, PromptScreen, request_prompt
from wftui.tui.screens.help import HelpScreen
from wftui.tui.screens.main import MainScreen
from wftui.tui.text import Clock, one_line, short_id
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser, CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.pipeline_graph import NodeStatus, PipelineGraph, PreviewLine

# How long the cursor must rest on a row before the inspector decodes that checkpoint.
INSPECT_DELAY = 0.05
ENGINE = "engine"
KEYMAP_VARIABLE = "WFTUI_KEYMAP"


@dataclass(frozen=True)
class RunStart:
    """What a run worker does: a new run, a resume, or answers to the current run's requests."""

    label: str
    message: Any = None
    checkpoint_id: str | None = None
    responses: Mapping[str, Any] = field(default_factory=dict)
    ran: frozenset[str] = frozenset()

    @property
    def continues_current(self) -> bool:
        """Answers go to the workflow instance that asked; everything else gets a fresh one."""
        return self.checkpoint_id is None and bool(self.responses)

    def open(self, workflow: Workflow, storage: CheckpointStorage) -> AsyncIterator[WorkflowEvent]:
        if self.checkpoint_id is not None:
            return workflow.run_stream_from_checkpoint(
                self.checkpoint_id, checkpoint_storage=storage, responses=self.responses or None
            )
        if self.responses:
            return workflow.send_responses_streaming(self.responses)
        return workflow.run_stream(self.message)


class WftuiApp(App[None]):
    """One pipeline, one checkpoint store, one run at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "wftui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n",
            "new_run",
            "New run",
            id="wftui.new_run",
            tooltip="Start a run; the prompt holds the pipeline's default input",
        ),
        Binding(
            "enter,r",
            "resume",
            "Resume",
            key_display="⏎/r",
            id="wftui.resume",
            tooltip="Resume from the highlighted checkpoint (asks first for any pending answer)",
        ),
        Binding(
            "x",
            "cancel_run",
            "Cancel",
            id="wftui.cancel",
            tooltip="Cancel the running run; its last checkpoint stays resumable",
        ),
        Binding(
            "d",
            "delete_checkpoint",
            "Delete",
            id="wftui.delete",
            tooltip="Delete the highlighted checkpoint (asks first)",
        ),
        Binding("question_mark", "help", "Help", id="wftui.help", tooltip="Every key, by pane"),
        Binding("q", "quit", "Quit", id="wftui.quit", tooltip="Quit (asks when a run is active)"),
    ]

    def __init__(
        self,
        pipeline: PipelineSpec,
        storage: CheckpointStorage,
        chat_client: ChatClient | None = None,
        *,
        checkpoint_label: str | None = None,
        clock: Clock | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})
        self.set_keymap(self.keymap)
        self.pipeline = pipeline
        self.storage = storage
        self.chat_client = chat_client
        self.clock = clock or Clock()
        # Built once for the graph and its signature; every run builds a fresh one.
        self._shape = pipeline.create_workflow(storage, chat_client)
        self._workflow: Workflow | None = None
        self._run_worker: Worker[None] | None = None
        self._answers: dict[str, Any] = {}
        self._open_requests = 0  # live request dialogs not yet closed
        self._running_nodes: set[str] = set()
        folder = checkpoint_label or str(getattr(storage, "storage_path", type(storage).__name__))
        chat = describe_chat_client(chat_client) if chat_client else "the pipeline's own"
        short = chat_client.backend_name if chat_client else chat
        self._header = StatusHeader(pipeline.name, chat, folder, short)

    # ----- the parts -----

    def get_default_screen(self) -> Screen[Any]:
        spec = graph_from_workflow(self._shape)
        graph = PipelineGraph(spec, id="graph")
        return MainScreen(self._header, graph, PreviewLine(spec, id="preview-line"), self.clock)

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def graph(self) -> PipelineGraph:
        return self.main.query_one(PipelineGraph)

    @property
    def preview_line(self) -> PreviewLine:
        return self.main.query_one(PreviewLine)

    @property
    def browser(self) -> CheckpointBrowser:
        return self.main.query_one(CheckpointBrowser)

    @property
    def inspector(self) -> CheckpointInspector:
        return self.main.query_one(CheckpointInspector)

    @property
    def event_log(self) -> EventLog:
        return self.main.query_one(EventLog)

    @property
    def status(self) -> RunStatus:
        return self._header.status

    @property
    def run_active(self) -> bool:
        return self._run_worker is not None and not self._run_worker.is_finished

    def on_ready(self) -> None:
        width = max((len(info.id) for info in self._shape.graph.executors), default=8)
        self.event_log.executor_width = min(width, 28)
        self.main.watch(self.main, "focused", self._update_preview, init=False)
        self._load_store()

    # ----- workers -----

    @work(group="store", exit_on_error=False)
    async def _load_store(self) -> None:
        """List the store once; later checkpoints arrive as events, never by re-scanning."""
        summaries = await self.storage.list_summaries()
        signature = self._shape.signature
        mine = [s for s in summaries if s.graph_signature in ("", signature)]
        notes = [f"skipped {p.path}: {p.reason}" for p in self.storage.problems[:3]]
        if len(self.storage.problems) > 3:
            notes.append(f"and {len(self.storage.problems) - 3} more unreadable files")
        if len(mine) < len(summaries):
            notes.append(f"{len(summaries) - len(mine)} checkpoints of other pipelines not shown")
        self.browser.set_notes(notes)
        await self.browser.load(mine)

    @work(group=ENGINE, exit_on_error=False)
    async def _drive(self, start: RunStart) -> None:
        if not start.continues_current or self._workflow is None:
            self._workflow = self.pipeline.create_workflow(self.storage, self.chat_client)
        await EventBridge(self).pump(start.open(self._workflow, self.storage))

    @work(group="inspect", exclusive=True, exit_on_error=False)
    async def _inspect(self, checkpoint_id: str) -> None:
        await asyncio.sleep(INSPECT_DELAY)  # holding j should not decode every row it passes
        try:
            checkpoint = await self.storage.load_checkpoint(checkpoint_id)
        except CheckpointError as error:
            self.inspector.show_message(f"cannot read {short_id(checkpoint_id)}: {error}")
            return
        if checkpoint is None:
            self.inspector.show_message(f"checkpoint {short_id(checkpoint_id)} is gone")
        else:
            self.inspector.show_checkpoint(checkpoint)

    @work(group="checkpoints", exit_on_error=False)
    async def _add_checkpoints(self, checkpoint_ids: list[str]) -> None:
        for checkpoint_id in checkpoint_ids:
            checkpoint = await self.storage.load_checkpoint(checkpoint_id)
            if checkpoint is not None:
                self.browser.add(checkpoint.summary())

    @work(group="checkpoints", exit_on_error=False)
    async def _delete(self, checkpoint_id: str) -> None:
        await self.storage.delete_checkpoint(checkpoint_id)
        self.browser.drop(checkpoint_id)
        self.notify(f"Deleted checkpoint {short_id(checkpoint_id)}")

    @work(group="ask", exit_on_error=False)
    async def _ask_live(self, event: RequestInfoEvent) -> None:
        """A running workflow asks: the answer continues that same workflow instance."""
        asking = self._workflow
        self._open_requests += 1
        try:
            answer = await self.push_screen_wait(request_prompt(event))
        finally:
            self._open_requests -= 1
        if answer is None:
            self._note("request", f"left pending: {event.request_id}", Tone.REQUEST)
        elif asking is not self._workflow:
            self.notify(
                "That run was replaced; resume its checkpoint to answer.", severity="warning"
            )
        else:
            self._answers[event.request_id] = answer
        self._continue_with_answers()

    @work(group="ask", exit_on_error=False)
    async def _resume_with_answers(self, checkpoint_id: str, ran: frozenset[str]) -> None:
        """Resuming a checkpoint that waits for a human asks each answer first."""
        checkpoint = await self.storage.load_checkpoint(checkpoint_id)
        if checkpoint is None:
            self.notify(f"Checkpoint {short_id(checkpoint_id)} is gone", severity="warning")
            return
        answers: dict[str, Any] = {}
        for record in checkpoint.pending_requests.values():
            event = RequestInfoEvent(
                request_id=record["request_id"],
                source_executor_id=record.get("source_executor_id", ""),
                request_type=record.get("request_type", ""),
                data=record.get("data"),
            )
            answer = await self.push_screen_wait(request_prompt(event))
            if answer is None:
                self.notify("Resume cancelled; the request stays pending.")
                return
            answers[event.request_id] = answer
        self._start(
            RunStart(f"resume {short_id(checkpoint_id)}", None, checkpoint_id, answers, ran)
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors are reported; also notices when a run ends."""
        if not self.is_running:
            return  # shutting down: the panes are gone, and so is anyone to tell
        worker = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            text = f"{type(error).__name__}: {error}"
            self._note("error", text, Tone.FAILURE)
            self.notify(one_line(text, 300), title="Error", severity="error", timeout=8)
            if worker.group == ENGINE:
                self._header.status = RunStatus.FAILED
        if worker is self._run_worker and worker.is_finished:
            if event.state is WorkerState.CANCELLED:
                self._header.status = RunStatus.CANCELLED
                self._note(
                    "status", "■ cancelled; the last checkpoint stays resumable", Tone.FAILURE
                )
            for executor_id in self._running_nodes:  # interrupted: they run again on resume
                self.graph.set_status(executor_id, NodeStatus.PENDING)
            self._running_nodes.clear()
            self.refresh_bindings()
            self._continue_with_answers()

    # ----- engine events -----

    def on_engine_events(self, message: EngineEvents) -> None:
        if not self.is_running:
            return
        self.event_log.add_records(describe(event) for event in message.events)
        self.main.update_log_title()
        saved: list[str] = []
        outputs: list[Any] = []
        graph = self.graph
        for event in message.events:
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
                    self._ask_live(event)
                case WorkflowStatusEvent(state=state):
                    self._header.status = RunStatus.from_run_state(state)
                case CheckpointSavedEvent(checkpoint_id=checkpoint_id):
                    saved.append(checkpoint_id)
                case WorkflowOutputEvent(data=data):
                    outputs.append(data)
        if outputs:  # one toast per batch, however many outputs a flood brings
            more = f" (+{len(outputs) - 1} more in the log)" if len(outputs) > 1 else ""
            self.notify(one_line(outputs[-1], 300) + more, title="Output")
        if saved:
            self._add_checkpoints(saved)

    # ----- actions -----

    def action_new_run(self) -> None:
        if self._refuse_while_running():
            return
        lines = [self.pipeline.description] if self.pipeline.description else []
        lines.append("Input for the start executor:")
        prompt = PromptScreen(
            f"New run of {self.pipeline.name}", lines, self.pipeline.default_input
        )

        def started(text: str | None) -> None:
            if text is not None:
                self._start(RunStart("new run", text))

        self.push_screen(prompt, started)

    def action_resume(self) -> None:
        checkpoint_id = self.browser.highlighted_id
        if checkpoint_id is None:
            self.notify("No checkpoint highlighted.", severity="warning")
            return
        self._resume(checkpoint_id)

    def on_checkpoint_browser_selected(self, message: CheckpointBrowser.Selected) -> None:
        self._resume(message.checkpoint_id)

    def _resume(self, checkpoint_id: str) -> None:
        if self._refuse_while_running():
            return
        summary = self.browser.summaries[checkpoint_id]
        ran = frozenset(self.browser.preview(checkpoint_id)[0])
        if summary.pending_request_ids:
            self._resume_with_answers(checkpoint_id, ran)
        else:
            self._start(RunStart(f"resume {short_id(checkpoint_id)}", None, checkpoint_id, {}, ran))

    def action_cancel_run(self) -> None:
        if self._run_worker is None or not self.run_active:
            self.notify("No run is active.")
            return
        self._note("cancel", "cancelling the run…", Tone.QUIET)
        self._run_worker.cancel()

    def action_delete_checkpoint(self) -> None:
        checkpoint_id = self.browser.highlighted_id
        if checkpoint_id is None:
            return
        summary = self.browser.summaries[checkpoint_id]
        question = (
            f"Delete checkpoint {checkpoint_id} (run {short_id(summary.workflow_id, 6)}, "
            f"superstep {summary.iteration_count})? This cannot be undone."
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(checkpoint_id)

        self.push_screen(ConfirmScreen("Delete checkpoint", question), confirmed)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    async def action_quit(self) -> None:
        if not self.run_active:
            self.exit()
            return

        async def confirmed(yes: bool | None) -> None:
            if yes:
                await self.cancel_run_and_wait()
                self.exit()

        question = "A run is active. Cancel it and quit? Its last checkpoint stays resumable."
        self.push_screen(ConfirmScreen("Quit", question), confirmed)

    async def cancel_run_and_wait(self) -> None:
        """Cancel the run, if any, and wait until its worker has let go of the engine."""
        worker = self._run_worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            with contextlib.suppress(Exception):
                await worker.wait()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot apply; dim what must wait for the run to end."""
        if action in _OWN_ACTIONS and self.screen is not self.screen_stack[0]:
            return False  # a dialog is open: its keys win
        highlighted = action in ("resume", "delete_checkpoint") and self._has_highlight()
        if action == "resume":
            return None if self.run_active else highlighted
        if action == "delete_checkpoint":
            return highlighted
        if action == "new_run":
            return None if self.run_active else True
        if action == "cancel_run":
            return self.run_active
        return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette lists every wftui action, with the binding's tooltip as help."""
        yield from super().get_system_commands(screen)
        for node, bindings in ((self, self.BINDINGS), (self.main, MainScreen.BINDINGS)):
            for binding in bindings:
                if isinstance(binding, Binding) and binding.action != "quit":
                    run = partial(self.run_action, binding.action, node)
                    yield SystemCommand(binding.description, binding.tooltip, run)

    def help_sections(self) -> list[tuple[str, list[BindingType]]]:
        """The bindings by pane, with the keys a keymap gave them."""

        def keyed(bindings: Iterable[BindingType]) -> list[BindingType]:
            return [
                binding.with_key(self.keymap[binding.id])
                if isinstance(binding, Binding) and binding.id in self.keymap
                else binding
                for binding in bindings
            ]

        return [
            ("Anywhere", keyed([*self.BINDINGS, *MainScreen.BINDINGS])),
            ("Checkpoint browser", keyed(CheckpointTable.BINDINGS)),
            ("Event log", keyed(EventLog.BINDINGS)),
            ("Inspector", keyed(CheckpointInspector.BINDINGS)),
        ]

    # ----- helpers -----

    def _start(self, start: RunStart) -> None:
        if not start.continues_current:
            self._answers.clear()
        self.graph.reset_statuses()
        for executor_id in start.ran:
            self.graph.set_status(executor_id, NodeStatus.DONE)
        self._header.status = RunStatus.RUNNING
        self._note("run", start.label, Tone.QUIET)
        self._run_worker = self._drive(start)
        self._update_preview()  # a run is active now: back to live statuses
        self.refresh_bindings()

    def _continue_with_answers(self) -> None:
        """Continue the run that asked once it has stopped and every open question is closed."""
        ready = self._answers and not self._open_requests and not self.run_active
        if ready and self._workflow is not None:
            answers, self._answers = dict(self._answers), {}
            self._start(RunStart("answered: continuing the run", responses=answers))

    def _refuse_while_running(self) -> bool:
        if self.run_active:
            self.notify("A run is active: wait for it or press x to cancel it.", severity="warning")
        return self.run_active

    def _has_highlight(self) -> bool:
        return self.browser.highlighted_id is not None

    def _note(self, kind: str, text: str, tone: Tone) -> None:
        """A line in the event log from the app itself (not from the engine)."""
        self.event_log.add_records([LogRecord(self.clock.now(), kind, "", text, tone)])
        self.main.update_log_title()

    def on_checkpoint_browser_highlighted(self, message: CheckpointBrowser.Highlighted) -> None:
        self.refresh_bindings()
        if message.moved or message.checkpoint_id is None:
            self._update_preview()
        if message.checkpoint_id is None:
            self.inspector.show_message("no checkpoint selected")
        else:
            self._inspect(message.checkpoint_id)

    def _update_preview(self, _focused: Widget | None = None) -> None:
        """While the browser has focus and nothing runs, the graph shows the highlighted row.

        So does the preview line under the table, for compact layouts that hide the graph.
        Called when the cursor or the focus moves and when a run starts, not when one ends:
        the graph keeps the finished run's statuses until the user looks at a checkpoint again.
        """
        checkpoint_id = self.browser.highlighted_id
        browsing = isinstance(self.main.focused, CheckpointTable)
        views = (self.graph, self.preview_line)
        if checkpoint_id is not None and browsing and not self.run_active:
            ran, next_ids = self.browser.preview(checkpoint_id)
            for view in views:
                view.show_preview(ran, next_ids)
        else:
            for view in views:
                view.clear_preview()


_OWN_ACTIONS = {"new_run", "resume", "cancel_run", "delete_checkpoint", "help", "quit"}


class KeymapError(ValueError):
    """``WFTUI_KEYMAP`` is malformed; the message says which part."""


def parse_keymap(text: str) -> dict[str, str]:
    """``wftui.new_run=ctrl+n; wftui.quit=ctrl+q`` as {binding id: keys}."""
    keymap = {}
    for part in filter(str.strip, text.split(";")):
        binding_id, equals, keys = part.partition("=")
        if not equals or not binding_id.strip() or not keys.strip():
            raise KeymapError(f"{KEYMAP_VARIABLE}: expected BINDING_ID=KEYS, got {part.strip()!r}")
        keymap[binding_id.strip()] = keys.strip()
    return keymap


def make_app(
    pipeline: PipelineSpec,
    storage: CheckpointStorage,
    chat_client: ChatClient | None = None,
    *,
    checkpoint_label: str | None = None,
    clock: Clock | None = None,
    keymap: Mapping[str, str] | None = None,
) -> WftuiApp:
    """The app for ``pipeline`` over ``storage``; the CLI and the tests both start here."""
    return WftuiApp(
        pipeline,
        storage,
        chat_client,
        checkpoint_label=checkpoint_label,
        clock=clock,
        keymap=keymap,
    )


def run_app(
    pipeline: PipelineSpec, storage: CheckpointStorage, chat_client: ChatClient | None = None
) -> None:
    """Run the app in this terminal until the user quits; ``WFTUI_KEYMAP`` remaps keys."""
    keymap = parse_keymap(os.environ.get(KEYMAP_VARIABLE, ""))
    make_app(pipeline, storage, chat_client, keymap=keymap).run()


__all__ = ["KeymapError", "RunStart", "WftuiApp", "make_app", "parse_keymap", "run_app"]
