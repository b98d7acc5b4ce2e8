"""The footer offers the keys of the focused pane (lazygit's contextual footer), plus the global ones."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.tui.support import AppFactory, opened, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.tui.app import WftuiApp
from wftui.tui.widgets.checkpoint_browser import CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.inspector import CheckpointInspector
from wftui.tui.widgets.pipeline_graph import PipelineGraph

GLOBAL = {"new_run", "help", "quit"}


def shown_actions(app: WftuiApp) -> set[str]:
    """The actions the footer draws: shown bindings the app does not hide."""
    shown = set()
    for node, binding, _enabled, _tooltip in app.screen.active_bindings.values():
        if binding.show and node.check_action(binding.action, ()) is not False:
            shown.add(binding.action.rpartition(".")[2])
    return shown


async def focus_pane(app: WftuiApp, pilot: Pilot[None], key: str, pane: type[Widget]) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.focused, pane))


async def test_each_pane_shows_its_own_keys_and_the_global_ones(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await focus_pane(app, pilot, "2", CheckpointTable)
        await wait_until(pilot, lambda: app.main.browser.highlighted_id is not None)
        browser = shown_actions(app)
        assert {"resume", "delete_checkpoint"} <= browser
        assert "filter_log" not in browser
        await focus_pane(app, pilot, "4", EventLog)
        log = shown_actions(app)
        assert "filter_log" in log
        assert not {"resume", "delete_checkpoint"} & log
        for key, pane in (("1", PipelineGraph), ("3", CheckpointInspector)):
            await focus_pane(app, pilot, key, pane)
            shown = shown_actions(app)
            assert shown >= GLOBAL
            assert not {"resume", "delete_checkpoint", "filter_log"} & shown


async def test_at_80_columns_the_browser_footer_still_shows_help(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main.browser.highlighted_id is not None)
        await pilot.pause()
        keys = list(app.screen.query_one(Footer).query(FooterKey))
        # The palette key is drawn over the right end: what it covers cannot be read.
        [palette] = [key for key in keys if key.description == "palette"]
        whole = [key.description for key in keys if key.region.right <= palette.region.x]
        assert "Help" in whole and "Resume" in whole


def footer_keys(app: WftuiApp) -> list[str]:
    """The descriptions of the keys the footer has drawn."""
    return [key.description for key in app.screen.query_one(Footer).query(FooterKey)]


async def test_the_footer_is_rebuilt_only_when_the_highlight_changes_its_keys(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    """Textual's footer remounts all its keys on each refresh, which a flood of engine events
    then waits behind; between two checkpoint rows the keys are the same, so none is asked."""
    app = new_app()
    async with opened(app) as pilot:
        await focus_pane(app, pilot, "2", CheckpointTable)
        await wait_until(pilot, lambda: "Resume" in footer_keys(app))
        refreshes: list[object] = []
        app.main.bindings_updated_signal.subscribe(app, refreshes.append, immediate=True)
        await pilot.press("j")
        # The inspector is asked by the same handler that would refresh the footer.
        await wait_until(pilot, lambda: "bbbbbb01" in str(app.main.inspector.root.label))
        assert refreshes == []
        await pilot.press("g")  # the run's own row: nothing to resume there
        await wait_until(pilot, lambda: "Resume" not in footer_keys(app))
        assert refreshes
        await pilot.press("j")
        await wait_until(pilot, lambda: "Resume" in footer_keys(app))
