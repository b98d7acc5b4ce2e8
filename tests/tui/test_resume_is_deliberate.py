"""Resume is a deliberate act: Enter and the Resume key belong to the checkpoint browser alone.

And the help screen says so: keys in one column, the browser's keys under the browser.
"""

from __future__ import annotations

from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList

from tests.tui.support import AppFactory, dialog_text, opened, settle, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.tui.app import WftuiApp
from wftui.tui.screens.help import HelpScreen
from wftui.tui.status import RunStatus
from wftui.tui.widgets.checkpoint_browser import CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.pipeline_graph import PipelineGraph

STORED = 12  # checkpoints in the fixed store


async def focus_pane(app: WftuiApp, pilot: Pilot[None], key: str, pane: type[Widget]) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.focused, pane))


def footer_actions(app: WftuiApp) -> set[str]:
    """The actions the footer offers for the focused pane."""
    return {active.binding.action for active in app.screen.active_bindings.values()}


async def test_enter_does_nothing_in_the_log_and_the_graph(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        assert app.main.browser.highlighted_id is not None
        for key, pane in (("4", EventLog), ("1", PipelineGraph)):
            await focus_pane(app, pilot, key, pane)
            await pilot.press("enter")
            await settle(pilot)
            assert not app.run_active
            assert app.status is RunStatus.IDLE
            assert len(app.main.browser.summaries) == STORED


async def test_enter_in_the_inspector_expands_and_in_the_browser_resumes(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await focus_pane(app, pilot, "3", CheckpointInspector)
        inspector = app.main.inspector
        await wait_until(pilot, lambda: inspector.cursor_node is not None)
        node = inspector.cursor_node
        assert node is not None
        expanded = node.is_expanded
        await pilot.press("enter")
        await wait_until(pilot, lambda: node.is_expanded is not expanded)
        assert app.status is RunStatus.IDLE
        await focus_pane(app, pilot, "2", CheckpointTable)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        assert len(app.main.browser.summaries) > STORED


async def test_the_footer_offers_resume_and_delete_only_in_the_browser(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await focus_pane(app, pilot, "2", CheckpointTable)
        assert {"app.resume", "app.delete_checkpoint"} <= footer_actions(app)
        for key, pane in (("1", PipelineGraph), ("3", CheckpointInspector), ("4", EventLog)):
            await focus_pane(app, pilot, key, pane)
            offered = footer_actions(app)
            assert not {"resume", "app.resume", "delete_checkpoint", "app.delete_checkpoint"} & (
                offered
            )
            assert "new_run" in offered  # keys that work anywhere stay


async def test_a_second_single_click_does_not_resume_a_double_click_does(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        row = (3, 3)  # the third checkpoint row, under the header
        for _ in range(2):
            await pilot.click(CheckpointTable, offset=row)
            await settle(pilot)
        assert app.main.browser.highlighted_id == "cpbbbbbb02"
        assert not app.run_active
        assert app.status is RunStatus.IDLE
        assert len(app.main.browser.summaries) == STORED
        await pilot.click(CheckpointTable, offset=row, times=2)
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        assert len(app.main.browser.summaries) > STORED


async def test_help_aligns_the_keys_lists_the_browser_keys_and_scrolls(
    new_app: AppFactory,
) -> None:
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        descriptions = list(app.screen.query(".help-what"))
        assert len(descriptions) > 10
        assert len({widget.region.x for widget in descriptions}) == 1  # one key column
        text = dialog_text(app)
        browser = text.index("Checkpoint browser")
        for key in ("Resume", "Delete", "Down", "Up", "Top", "Bottom"):
            assert browser < text.index(key, browser) < text.index("Event log")
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0  # 80x24 cannot show it all
        await pilot.press("end")
        await wait_until(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)


async def test_the_palette_resumes_from_the_highlighted_checkpoint(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await focus_pane(app, pilot, "4", EventLog)  # the palette works from any pane
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"resume")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: palette.query_one(OptionList).option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        assert len(app.main.browser.summaries) > STORED
