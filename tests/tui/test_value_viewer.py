"""v opens a long value whole: wrapped, scrollable, searchable with /, closed with Esc."""

from __future__ import annotations

from tests.tui.support import AppFactory, highlight, opened, settle, start_run, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import PipelineSpec
from wftui.tui.screens.viewer import ValueViewer
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.inspector import CheckpointInspector

LONG = " ".join(f"word{n}" for n in range(400)) + " needle at the end"


async def test_v_in_the_inspector_shows_the_whole_value_and_finds_text(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    checkpoint = WorkflowCheckpoint(
        checkpoint_id="cplong0000",
        workflow_id="runlong",
        workflow_name="text_processing",
        timestamp="2025-03-14T11:30:00.000000Z",
        iteration_count=1,
        shared_state={"draft": LONG},
        graph_signature=seed.create_workflow(None).signature,
    )
    await storage.save_checkpoint(checkpoint)
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        await highlight(app, pilot, "cplong0000")
        inspector = app.main.inspector
        await wait_until(pilot, lambda: "long0000" in str(inspector.root.label))
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.focused, CheckpointInspector))
        await wait_until(pilot, lambda: inspector.cursor_line >= 0)
        while not str(inspector.cursor_node.label if inspector.cursor_node else "").startswith(
            "draft"
        ):
            await pilot.press("down")
        assert "…" in str(inspector.cursor_node.label if inspector.cursor_node else "")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ValueViewer))
        viewer = app.screen
        assert isinstance(viewer, ValueViewer)
        assert viewer.text == LONG
        assert viewer.area.soft_wrap
        await pilot.press("slash", *"needle", "enter")
        await wait_until(pilot, lambda: viewer.area.selected_text == "needle")
        assert viewer.area.scroll_y > 0  # the match at the end was scrolled into view
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ValueViewer))


async def test_v_in_the_event_log_opens_the_highlighted_event(
    new_app: AppFactory,
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await settle(pilot)
        await pilot.press("4")
        log = app.main.event_log
        await wait_until(pilot, lambda: isinstance(app.focused, EventLog))
        for _ in range(log.line_count):
            if (record := log.cursor_record()) is not None and record.kind == "OUTPUT":
                break
            await pilot.press("up")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ValueViewer))
        viewer = app.screen
        assert isinstance(viewer, ValueViewer)
        assert viewer.text == "dlrow olleh"  # that one event, not the whole log
        assert str(viewer.query_one("#viewer-title").render()).endswith(" OUTPUT finalize")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ValueViewer))
