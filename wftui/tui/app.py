"""The wftui terminal app: watch a pipeline run, browse its checkpoints, resume any of them.

The app holds the run and pipeline actions; its keys and their help groups are in ``app_keys``,
the actions on a checkpoint in ``checkpoint_actions`` and ``travel``. The main screen lays out and
feeds the panes, ``run_control`` runs the engine, ``commands`` fills the palette, ``keymap``
remaps keys.
Every worker is started on the App with ``exit_on_error=False``; ``on_worker_state_changed`` is
the one place their errors are reported.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from wftui.agents.client import ChatClient, describe_chat_client
from wftui.checkpoint.capabilities import WatchableStorage
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import GraphMismatchError, RequestInfoEvent
from wftui.journal import HEARTBEAT_SECONDS
from wftui.loader import PipelineSpec
from wftui.settings import SettingsError, load_settings
from wftui.tui.app_keys import APP_BINDINGS, OWN_ACTIONS, binding_scopes, help_sections
from wftui.tui.bridge import EngineEvents, Tone
from wftui.tui.checkpoint_actions import CheckpointActions
from wftui.tui.commands import BROWSER_ACTIONS, WftuiCommands
from wftui.tui.graph import graph_from_workflow, node_order
from wftui.tui.graph_changes import mismatch_lines, mismatch_text
from wftui.tui.keymap import KeymapError, check_keymap, parse_keymap
from wftui.tui.pipeline_source import PipelineSource
from wftui.tui.remote import RemoteRuns
from wftui.tui.run_control import ENGINE, RunControl, RunStart
from wftui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from wftui.tui.screens.help import HelpScreen
from wftui.tui.screens.main import MainScreen
from wftui.tui.screens.timeline import TimelineScreen
from wftui.tui.status import RunStatus
from wftui.tui.text import Clock, one_line
from wftui.tui.watching import Watches
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser, CheckpointTable
from wftui.tui.widgets.header import StatusHeader


class WftuiApp(CheckpointActions):
    """One pipeline, one checkpoint store, one run at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "wftui"
    COMMANDS = App.COMMANDS | {WftuiCommands}
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self,
        pipeline: PipelineSpec,
        storage: CheckpointStorage,
        chat_client: ChatClient | None = None,
        *,
        checkpoint_label: str | None = None,
        clock: Clock | None = None,
        keymap: Mapping[str, str] | None = None,
        confirm_resume: bool = True,
        command_options: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self._frozen = False  # startup's objects out of the collector's walks (on_ready)
        self.confirm_resume = confirm_resume
        self.command_options = command_options
        self.keymap = dict(keymap or {})
        check_keymap(self.keymap, self.binding_scopes())
        self.set_keymap(self.keymap)
        self.pipeline = pipeline
        self.source = PipelineSource(pipeline)
        self.storage = storage
        self.chat_client = chat_client
        self.clock = clock or Clock()
        # Built once for the graph and its signature; every run builds a fresh one.
        shape = pipeline.create_workflow(storage, chat_client)
        self._shape = shape
        self._graph_spec = graph_from_workflow(shape)
        self._order = node_order(self._graph_spec)
        folder = checkpoint_label or type(storage).__name__
        chat = describe_chat_client(chat_client) if chat_client else "the pipeline's own"
        short = chat_client.backend_name if chat_client else chat
        self._main = MainScreen(
            StatusHeader(pipeline.name, chat, folder, short),
            self._graph_spec,
            self.clock,
            storage,
            signatures=shape.signatures,
            run_active=lambda: self.run_active,
        )
        self.runs = RunControl(self, self._main, pipeline, storage, chat_client)
        self.remote = RemoteRuns(self, self._main, storage, lambda: self.run_active)
        self.watches = Watches(
            lambda: self.is_running, lambda text: self._main.note("watch", text, Tone.FAILURE)
        )

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
        """List the store, then follow its checkpoints and its journal from any process."""
        self._main.load_store()
        main, remote = self._main, self.remote
        if isinstance(self.storage, WatchableStorage):
            self.watches.follow(
                "watching the store", main.listed, self.storage.watch, main.take_change
            )
        self.watches.follow("watching the journal", remote.learn, remote.watch, remote.take)
        self.set_interval(HEARTBEAT_SECONDS, self.remote.check_heartbeats)
        self.call_after_refresh(self._keep_startup_out_of_collections)

    def _keep_startup_out_of_collections(self) -> None:
        """What startup made (about 100,000 objects that live as long as the app) is left out of
        the collector's full collections: walked by each, they made 2-3 pauses of 45-100 ms in
        a flood of events, the slowest keys. Collected once first, so no garbage is kept."""
        gc.collect()
        gc.freeze()
        self._frozen = True

    async def on_unmount(self) -> None:
        self.watches.stop()
        await self.remote.close()
        if self._frozen:  # collected as usual again (another app may follow in this process)
            gc.unfreeze()
            self._frozen = False

    def on_checkpoint_browser_highlighted(self, message: CheckpointBrowser.Highlighted) -> None:
        """Highlighting a checkpoint selects its run: the panes tell that run's story."""
        if message.checkpoint_id is None:
            return
        try:
            browser = self._main.browser
        except NoMatches:  # a highlight queued while the app shuts down: the panes are gone
            return
        self.remote.select(browser.model.record(message.checkpoint_id).workflow_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors are reported; also notices when a run ends."""
        if not self.is_running:
            return  # shutting down: the panes are gone, and so is anyone to tell
        worker = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            if isinstance(error, GraphMismatchError):
                # A list of what differs, one per line, instead of one long line.
                head, lines = mismatch_lines(error)
                for line in [head, *lines]:
                    self._main.note("mismatch", line, Tone.FAILURE)
                self.notify(mismatch_text(error), title="Cannot resume", severity="error")
            else:
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
                self.runs.ask(event)

    # ----- actions -----

    def action_new_run(self) -> None:
        if self._busy() or not self._fresh_pipeline():
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

    def action_reload_pipeline(self) -> None:
        if not self._busy():
            self._fresh_pipeline(force=True)

    def _fresh_pipeline(self, *, force: bool = False) -> bool:
        """Re-import the pipeline when its file changed (or when forced); False if that failed.

        So a user fixes the code in an editor and resumes the failed checkpoint, no restart.
        A broken edit keeps the code that was loaded and says why; nothing runs.
        """
        if not (force or self.source.changed()):
            return True
        where = self.source.path.name if self.source.path else self.pipeline.name
        try:
            spec = self.source.reload()
            shape = spec.create_workflow(self.storage, self.chat_client)
        except Exception as error:  # the user's code: any error, reported in one line
            text = f"cannot reload {where}: {type(error).__name__}: {error}"
            self._main.note("reload", text, Tone.FAILURE)
            self.notify(one_line(text, 300), title="Pipeline not reloaded", severity="error")
            return False
        changed = shape.signature != self._shape.signature
        self.pipeline = self.runs.pipeline = spec
        self._shape = shape
        if changed:
            self._graph_spec = graph_from_workflow(shape)
            self._order = node_order(self._graph_spec)
            self._main.set_graph(self._graph_spec, shape.signatures)
        text = f"reloaded {where}" + (" (the graph changed)" if changed else "")
        self._main.note("reload", text, Tone.QUIET)
        self.notify(text)
        return True

    def action_cancel_run(self) -> None:
        if not self.runs.cancel():
            self.notify("No run is active.")

    def action_timeline(self) -> None:
        title = f"Timeline: {self.pipeline.name} (esc closes)"
        self.push_screen(TimelineScreen(self._main.timeline, self.clock, title))

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
        if action in OWN_ACTIONS and self.screen is not self._main:
            return False  # a dialog is open: its keys win
        if action in BROWSER_ACTIONS and not isinstance(self.focused, CheckpointTable):
            return False  # browser keys work, and show, only in the browser
        highlighted = action in BROWSER_ACTIONS and self._has_highlight()
        if action == "resume":
            return None if self.run_active else highlighted
        if action in ("delete_checkpoint", "copy_id", "copy_resume_command"):
            return highlighted
        if action == "new_run":
            return None if self.run_active else True
        if action == "cancel_run":
            return self.run_active
        return True

    @classmethod
    def binding_scopes(cls) -> list[tuple[str, list[BindingType]]]:
        """The bindings active together: the global ones with each pane's, and each dialog's."""
        return binding_scopes(cls.BINDINGS)

    def help_sections(self) -> list[tuple[str, list[BindingType]]]:
        """The bindings by pane, with the keys a keymap gave them."""
        return help_sections(self.BINDINGS, self.keymap)

    def _has_highlight(self) -> bool:
        return self._main.browser.highlighted_id is not None


def make_app(
    pipeline: PipelineSpec,
    storage: CheckpointStorage,
    chat_client: ChatClient | None = None,
    *,
    checkpoint_label: str | None = None,
    clock: Clock | None = None,
    keymap: Mapping[str, str] | None = None,
    confirm_resume: bool = True,
    command_options: Sequence[str] | None = None,
) -> WftuiApp:
    """The app for ``pipeline`` over ``storage``; the CLI and the tests both start here.

    ``command_options`` are what a copied ``wftui resume`` needs to reach the same store with
    the same chat backend (the CLI's own options); without them, the store's folder."""
    return WftuiApp(
        pipeline,
        storage,
        chat_client,
        checkpoint_label=checkpoint_label,
        clock=clock,
        keymap=keymap,
        confirm_resume=confirm_resume,
        command_options=command_options,
    )


def run_app(
    pipeline: PipelineSpec,
    storage: CheckpointStorage,
    chat_client: ChatClient | None = None,
    *,
    store_label: str | None = None,
    command_options: Sequence[str] | None = None,
) -> None:
    """Run the app in this terminal until the user quits, with the settings (``wftui.settings``).

    ``WFTUI_KEYMAP`` (or ``keymap`` in the settings) remaps keys; ``WFTUI_CONFIRM_RESUME``
    (``confirm_resume``) turns off the question before a resume that calls a model.
    ``store_label`` is the store as the header shows it (a URL without its password).
    """
    settings = load_settings()
    keymap = parse_keymap(settings.keymap)
    app = make_app(
        pipeline,
        storage,
        chat_client,
        checkpoint_label=store_label,
        keymap=keymap,
        confirm_resume=settings.confirm_resume,
        command_options=command_options,
    )
    app.run()


__all__ = ["KeymapError", "SettingsError", "WftuiApp", "make_app", "run_app"]
