"""Time travel in the app: compare (c, m), edit and fork (e), step (s), rerun one executor (R).

The keys sit on the main screen (``travel_keys``), so a dialog or another screen on top
turns them off; the actions are on the App (``TravelActions``), beside its other actions.
Stepping and rerunning go through the app's run control like any resume, so the log, the graph
and the header follow them; when the run ends the browser's cursor moves to the checkpoint it
saved, so pressing ``s`` again walks on from there.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.worker import Worker

from wftui.agents.client import ChatClient
from wftui.checkpoint.codec import parse_checkpoint
from wftui.checkpoint.diff import diff
from wftui.checkpoint.references import whole_document
from wftui.checkpoint.storage import CheckpointStorage
from wftui.loader import PipelineSpec
from wftui.tui.run_control import ENGINE, RunControl, RunStart
from wftui.tui.screens.compare import CompareScreen
from wftui.tui.screens.dialogs import PromptScreen
from wftui.tui.screens.editor import EditorScreen, ForkSavedScreen
from wftui.tui.screens.main import MainScreen
from wftui.tui.text import short_id

# What a key that needs a checkpoint says on a run's row (or an empty browser).
NO_CHECKPOINT = "Highlight a checkpoint row first (a run's row names no checkpoint)."


class TravelActions(App[None]):
    """The App's time-travel actions; ``WftuiApp`` provides what they use."""

    pipeline: PipelineSpec
    storage: CheckpointStorage
    chat_client: ChatClient | None
    runs: RunControl
    _mark: str | None = None
    # While a step or a rerun runs: the checkpoint it started from.
    _follow: str | None = None

    @property
    def main(self) -> MainScreen:
        raise NotImplementedError

    @property
    def run_active(self) -> bool:
        raise NotImplementedError

    def _highlighted(self) -> str | None:
        checkpoint_id = self.main.browser.highlighted_id
        if checkpoint_id is None:
            self.notify(NO_CHECKPOINT, severity="warning")
        return checkpoint_id

    def _busy(self) -> bool:
        if self.run_active:
            self.notify("A run is active: wait for it or press x to cancel it.", severity="warning")
        return self.run_active

    # ----- compare -----

    def action_mark(self) -> None:
        checkpoint_id = self._highlighted()
        if checkpoint_id is None:
            return
        if self._mark == checkpoint_id:
            self._mark = None
            self.notify(f"Mark cleared from {short_id(checkpoint_id)}.")
        else:
            self._mark = checkpoint_id
            self.notify(f"Marked {short_id(checkpoint_id)}: press c on another to compare.")
        self.main.show_mark(self._mark)

    def action_compare(self) -> None:
        checkpoint_id = self._highlighted()
        if checkpoint_id is None:
            return
        summaries = self.main.browser.summaries
        if self._mark is not None and self._mark != checkpoint_id and self._mark in summaries:
            before = self._mark
        else:
            parent = summaries[checkpoint_id].parent_checkpoint_id
            if parent is None:
                self.notify(
                    f"{short_id(checkpoint_id)} has no parent: mark another with m to compare.",
                    severity="warning",
                )
                return
            before = parent
        self.run_worker(self._compare(before, checkpoint_id), group="travel", exit_on_error=False)

    async def _compare(self, before: str, after: str) -> None:
        documents = []
        for checkpoint_id in (before, after):
            document = await whole_document(self.storage, checkpoint_id, parse_checkpoint)
            if document is None:
                self.notify(f"Checkpoint {short_id(checkpoint_id)} is gone.", severity="warning")
                return
            documents.append(document)
        await self.push_screen(CompareScreen(diff(documents[0], documents[1])))

    # ----- edit and fork -----

    def action_edit(self) -> None:
        checkpoint_id = self._highlighted()
        if checkpoint_id is not None and not self._busy():
            self.run_worker(self._edit(checkpoint_id), group="travel", exit_on_error=False)

    async def _edit(self, checkpoint_id: str) -> None:
        checkpoint = await self.storage.load_checkpoint(checkpoint_id)
        if checkpoint is None:
            self.notify(f"Checkpoint {short_id(checkpoint_id)} is gone.", severity="warning")
            return
        workflow = self.pipeline.create_workflow(self.storage, self.chat_client)

        async def save(edits: dict[str, Any]) -> str:
            return await workflow.fork(checkpoint_id, edits=edits, note="edited in the app")

        editor = EditorScreen(checkpoint, save)
        fork_id = await self.push_screen_wait(editor)
        if fork_id is None:
            return
        await self._show_checkpoint(fork_id)
        if await self.push_screen_wait(ForkSavedScreen(fork_id, len(editor.edits))):
            self.call_later(self.run_action, "resume")

    # ----- step and rerun -----

    def action_step(self) -> None:
        checkpoint_id = self._highlighted()
        if checkpoint_id is None or self._busy():
            return
        if self.main.browser.summaries[checkpoint_id].pending_request_ids:
            self.notify("This checkpoint waits for an answer: resume it (enter) to answer.")
            return
        self._start(RunStart(f"step from {short_id(checkpoint_id)}", checkpoint_id=checkpoint_id,
                             ran=self._ran(checkpoint_id), steps=1))  # fmt: skip

    def action_rerun(self) -> None:
        checkpoint_id = self._highlighted()
        if checkpoint_id is None or self._busy():
            return
        waiting = self.main.browser.summaries[checkpoint_id].next_executor_ids
        if not waiting:
            self.notify("No executor has pending messages at this checkpoint.", severity="warning")
            return
        lines = [f"Executors with pending messages: {', '.join(waiting)}", "Executor to run again:"]
        prompt = PromptScreen(
            f"Rerun one executor at {short_id(checkpoint_id)}", lines, waiting[0],
            hint="enter: rerun it   esc: cancel",
        )  # fmt: skip

        def chosen(executor_id: str | None) -> None:
            if executor_id:
                label = f"rerun {executor_id} at {short_id(checkpoint_id)}"
                self._start(RunStart(label, checkpoint_id=checkpoint_id,
                                     ran=self._ran(checkpoint_id), rerun=executor_id.strip()))  # fmt: skip

        self.push_screen(prompt, chosen)

    def _ran(self, checkpoint_id: str) -> frozenset[str]:
        return frozenset(self.main.browser.preview(checkpoint_id)[0])

    def _start(self, start: RunStart) -> None:
        self._follow = start.checkpoint_id
        self.runs.start(start)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The step or rerun ended (the run is no longer active): move to what it saved."""
        worker = event.worker
        if worker.group != ENGINE or not worker.is_finished or self._follow is None:
            return
        start, self._follow = self._follow, None
        self.run_worker(self._show_child(start), group="travel", exit_on_error=False)

    async def _show_child(self, parent_id: str) -> None:
        """Move to the newest checkpoint saved from ``parent_id``, if the run saved one.

        Read from the store, not from the run's events, which may arrive after the run's end.
        """
        parent = self.main.browser.summaries.get(parent_id)
        run = await self.storage.list_summaries(parent.workflow_id if parent else None)
        children = [summary for summary in run if summary.parent_checkpoint_id == parent_id]
        if children:
            newest = max(children, key=lambda summary: (summary.timestamp, summary.checkpoint_id))
            await self._show_checkpoint(newest.checkpoint_id)

    async def _show_checkpoint(self, checkpoint_id: str) -> None:
        """Put the checkpoint in the browser (if its row is not there yet) and move to it."""
        browser = self.main.browser
        if checkpoint_id not in browser.summaries:
            checkpoint = await self.storage.load_checkpoint(checkpoint_id)
            if checkpoint is None:
                return
            browser.add(checkpoint.summary())
        browser.select_checkpoint(checkpoint_id)
        browser.table.focus()
        self.main.update_preview()
