"""The wftui terminal app: watch a pipeline run, browse its checkpoints, resume any of them.

The app holds the actions and their keys; the main screen lays out and feeds the panes,
``run_control`` runs the engine, ``commands`` fills the palette, ``keymap`` remaps keys.
Every worker is started on the App with ``exit_on_error=False``; ``on_worker_state_changed`` is
the one place their errors are reported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from wftui.agents.client import ChatClient, describe_chat_client
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import RequestInfoEvent
from wftui.loader import PipelineSpec
from wftui.tui.bridge import EngineEvents, Tone
from wftui.tui.commands import WftuiCommands
from wftui.tui.graph import graph_from_workflow
from wftui.tui.keymap import KEYMAP_VARIABLE, KeymapError, parse_keymap, with_keymap
from wftui.tui.remote import RemoteRuns
from wftui.tui.run_control import ENGINE, RunControl, RunStart
from wftui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from wftui.tui.screens.help import HelpScreen
from wftui.tui.screens.main import MainScreen
from wftui.tui.status import RunStatus
from wftui.tui.text import Clock, one_line, short_id
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser, CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.header import StatusHeader
from wftui.tui.widgets.inspector import CheckpointInspector


class WftuiApp(App[None]):
    """One pipeline, one checkpoint store, one run at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "wftui"
    COMMANDS = App.COMMANDS | {WftuiCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n",
            "new_run",
            "New run",
            id="wftui.new_run",
            tooltip="Start a run; the prompt holds the pipeline's default input",
        ),
        Binding(
            "x",
            "cancel_run",
            "Cancel",
            id="wftui.cancel",
            tooltip="Cancel the running run; its last checkpoint stays resumable",
        ),
        Binding(
            "J",
            "replay_journal",
            "Journal",
            show=False,
            id="wftui.journal",
            tooltip="Replay the highlighted run's journal into the event log",
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
        shape = pipeline.create_workflow(storage, chat_client)
        folder = checkpoint_label or str(getattr(storage, "storage_path", type(storage).__name__))
        chat = describe_chat_client(chat_client) if chat_client else "the pipeline's own"
        short = chat_client.backend_name if chat_client else chat
        self._main = MainScreen(
            StatusHeader(pipeline.name, chat, folder, short),
            graph_from_workflow(shape),
            self.clock,
            storage,
            signature=shape.signature,
            run_active=lambda: self.run_active,
        )
        self.runs = RunControl(self, self._main, pipeline, storage, chat_client)
        self.remote = RemoteRuns(self, self._main, storage)

    def get_default_screen(self) -> Screen[Any]:
        return self._main

    @property
    def main(self) -> MainScreen:
        """The screen with the panes; it stays at the bottom of the stack while dialogs come and go."""
        return self._main

    @property
    def status(self) -> RunStatus:
        return self._main.header.status

    @property
    def run_active(self) -> bool:
        return self.runs.active

    def on_ready(self) -> None:
        self._main.load_store()
        self.remote.start(lambda: self.run_active)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors are reported; also notices when a run ends."""
        if not self.is_running:
            return  # shutting down: the panes are gone, and so is anyone to tell
        worker = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            text = f"{type(error).__name__}: {error}"
            self._main.note("error", text, Tone.FAILURE)
            self.notify(one_line(text, 300), title="Error", severity="error", timeout=8)
            if worker.group == ENGINE:
                self._main.header.status = RunStatus.FAILED
        self.runs.worker_changed(worker, event.state)

    def on_engine_events(self, message: EngineEvents) -> None:
        """The main screen has shown the events; a request also needs someone to answer it."""
        if not self.is_running:
            return
        for event in message.events:
            if isinstance(event, RequestInfoEvent):
                (self.remote if self.remote.owns(event.request_id) else self.runs).ask(event)

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
                self.runs.start(RunStart("new run", text))

        self.push_screen(prompt, started)

    def action_resume(self) -> None:
        checkpoint_id = self._main.browser.highlighted_id
        if checkpoint_id is None:
            self.notify("No checkpoint highlighted.", severity="warning")
            return
        self._resume(checkpoint_id)

    def on_checkpoint_browser_selected(self, message: CheckpointBrowser.Selected) -> None:
        self._resume(message.checkpoint_id)

    def _resume(self, checkpoint_id: str) -> None:
        if self._refuse_while_running():
            return
        browser = self._main.browser
        waits = bool(browser.summaries[checkpoint_id].pending_request_ids)
        self.runs.resume(checkpoint_id, frozenset(browser.preview(checkpoint_id)[0]), waits)

    def action_cancel_run(self) -> None:
        if not self.runs.cancel():
            self.notify("No run is active.")

    def action_delete_checkpoint(self) -> None:
        checkpoint_id = self._main.browser.highlighted_id
        if checkpoint_id is None:
            return
        summary = self._main.browser.summaries[checkpoint_id]
        question = (
            f"Delete checkpoint {checkpoint_id} (run {short_id(summary.workflow_id, 6)}, "
            f"superstep {summary.iteration_count})? This cannot be undone."
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._main.delete(checkpoint_id)

        self.push_screen(ConfirmScreen("Delete checkpoint", question), confirmed)

    def action_replay_journal(self) -> None:
        checkpoint_id = self._main.browser.highlighted_id
        if checkpoint_id is not None:
            self.run_worker(self.remote.replay(checkpoint_id), group="journal", exit_on_error=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    async def action_quit(self) -> None:
        if not self.run_active:
            self.exit()
            return

        async def confirmed(yes: bool | None) -> None:
            if yes:
                await self.runs.cancel_and_wait()
                self.exit()

        question = "A run is active. Cancel it and quit? Its last checkpoint stays resumable."
        self.push_screen(ConfirmScreen("Quit", question), confirmed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot apply; dim what must wait for the run to end."""
        if action in _OWN_ACTIONS and self.screen is not self._main:
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

    def help_sections(self) -> list[tuple[str, list[BindingType]]]:
        """The bindings by pane, with the keys a keymap gave them."""
        return [
            ("Anywhere", with_keymap([*self.BINDINGS, *MainScreen.BINDINGS], self.keymap)),
            ("Checkpoint browser", with_keymap(CheckpointTable.BINDINGS, self.keymap)),
            ("Event log", with_keymap(EventLog.BINDINGS, self.keymap)),
            ("Inspector", with_keymap(CheckpointInspector.BINDINGS, self.keymap)),
        ]

    def _refuse_while_running(self) -> bool:
        if self.run_active:
            self.notify("A run is active: wait for it or press x to cancel it.", severity="warning")
        return self.run_active

    def _has_highlight(self) -> bool:
        return self._main.browser.highlighted_id is not None


_OWN_ACTIONS = {
    "new_run",
    "resume",
    "cancel_run",
    "delete_checkpoint",
    "replay_journal",
    "help",
    "quit",
}


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


__all__ = ["KeymapError", "WftuiApp", "make_app", "run_app"]
