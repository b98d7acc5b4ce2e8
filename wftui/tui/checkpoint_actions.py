"""The app's actions on the highlighted checkpoint: resume, copy its id or resume line, delete,
replay its run's journal.

A mixin on the App (like ``TravelActions``, which it extends), so the keys and the palette
reach them as app actions; ``WftuiApp`` provides the state they read.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from wftui.engine import Workflow
from wftui.tui.remote import RemoteRuns
from wftui.tui.resume_plan import plan_resume
from wftui.tui.screens.dialogs import ConfirmScreen, LineConfirmScreen
from wftui.tui.text import short_id
from wftui.tui.travel import NO_CHECKPOINT, TravelActions
from wftui.tui.widgets.checkpoint_browser import CheckpointBrowser


class CheckpointActions(TravelActions):
    """Resume, copy, delete and journal replay for the browser's highlighted checkpoint."""

    confirm_resume: bool
    command_options: Sequence[str] | None
    remote: RemoteRuns
    _shape: Workflow
    _order: list[str]

    def _fresh_pipeline(self, *, force: bool = False) -> bool:
        """Provided by ``WftuiApp``: re-import the pipeline if its file changed."""
        raise NotImplementedError

    def action_resume(self) -> None:
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is None:
            self.notify(NO_CHECKPOINT, severity="warning")
            return
        self._resume(checkpoint_id)

    def on_checkpoint_browser_selected(self, message: CheckpointBrowser.Selected) -> None:
        self._resume(message.checkpoint_id)

    def _resume(self, checkpoint_id: str) -> None:
        if self._busy() or not self._fresh_pipeline():
            return
        browser = self.main.browser
        summary = browser.summaries[checkpoint_id]
        waits = bool(summary.pending_request_ids)
        if not waits and not summary.next_executor_ids:
            self.notify(
                f"Checkpoint {short_id(checkpoint_id)} is the end of its run: "
                "nothing is left to run from it.",
                title="Nothing to resume",
            )
            return
        ran = frozenset(browser.preview(checkpoint_id)[0])
        plan = plan_resume(
            self._shape,
            checkpoint_id,
            summary.next_executor_ids,
            self._order,
            self.main.replayed(checkpoint_id),
        )
        if not (self.confirm_resume and plan.calls_a_model):
            self.runs.resume(checkpoint_id, ran, waits)
            return

        def confirmed(yes: bool | None) -> None:
            if yes and not self._busy():
                self.runs.resume(checkpoint_id, ran, waits)

        self.push_screen(LineConfirmScreen(plan.confirm_line()), confirmed)

    def resume_command(self, checkpoint_id: str) -> str:
        """The ``wftui resume ...`` line a user pastes into a shell to resume headless."""
        words = ["wftui", "resume", checkpoint_id, self.pipeline_reference]
        if self.command_options is not None:  # as the CLI that opened the app was given them
            words += self.command_options
        elif (folder := getattr(self.storage, "storage_path", None)) is not None:
            words += ["--checkpoint-dir", str(folder)]
        return shlex.join(words)

    @property
    def pipeline_reference(self) -> str:
        """The pipeline as the CLI takes it: its file relative to here when it has one."""
        source = getattr(self.pipeline.module, "__file__", None)
        if not source:
            return self.pipeline.module.__name__
        path = Path(source).resolve()
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def action_copy_id(self) -> None:
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is not None:
            self._copy(checkpoint_id, "checkpoint id")

    def action_copy_resume_command(self) -> None:
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is not None:
            self._copy(self.resume_command(checkpoint_id), "resume command")

    def _copy(self, text: str, what: str) -> None:
        """OSC 52 through the terminal, so it reaches the clipboard over SSH too."""
        self.copy_to_clipboard(text)
        self.notify(text, title=f"Copied {what}")

    def action_delete_checkpoint(self) -> None:
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is None:
            return
        summary = self.main.browser.summaries[checkpoint_id]
        question = (
            f"Delete checkpoint {short_id(checkpoint_id)} (run {short_id(summary.workflow_id)}, "
            f"superstep {summary.iteration_count})? This cannot be undone."
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.main.delete(checkpoint_id)

        self.push_screen(ConfirmScreen("Delete checkpoint", question), confirmed)

    def action_replay_journal(self) -> None:
        """The highlighted run's journal again, from its start (not while a run is active here:
        the panes are that run's)."""
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is None:
            return
        if self.run_active:
            self.notify("A run is active here: its log is live.", severity="warning")
            return
        self.remote.select(self.main.browser.model.record(checkpoint_id).workflow_id, again=True)
