"""Browsing a store from the keyboard: rows, inspector, preview, delete, filter, help, palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette

from tests.tui.support import (
    AppFactory,
    dialog_text,
    graph_text,
    highlight,
    opened,
    row_text,
    settle,
    shown_rows,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import PipelineSpec
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.browser.model import RowKind
from wftui.tui.commands import action_commands
from wftui.tui.keymap import parse_keymap
from wftui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from wftui.tui.screens.help import HelpScreen
from wftui.tui.widgets.checkpoint_browser import CheckpointTable
from wftui.tui.widgets.event_log import EventLog


def tree_labels(app: WftuiApp) -> list[str]:
    """Every label the inspector holds, expanded or not."""
    labels = []
    stack = [app.main.inspector.root]
    while stack:
        node = stack.pop()
        labels.append(str(node.label))
        stack.extend(reversed(node.children))
    return labels


def preview_line_text(app: WftuiApp) -> str:
    """The preview line as drawn, or "" when the layout hides it."""
    line = app.main.preview_line
    return line.render_line(0).text.strip() if line.display else ""


async def test_rows_are_grouped_by_run_newest_run_first(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app):
        order = [row.key for row in shown_rows(app)]
        assert order == ["runbbbbbb"] + [f"cpbbbbbb{step:02d}" for step in range(6)] + [
            "runaaaaaa"
        ] + [f"cpaaaaaa{step:02d}" for step in range(6)]
        assert isinstance(app.focused, CheckpointTable)


async def test_inspector_shows_the_highlighted_checkpoint_decoded(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.main.browser.highlighted_id == "cpbbbbbb02"
        labels = tree_labels(app)
        assert labels[0] == "checkpoint bbbbbb02"  # the tail, as every row and message shows it
        assert "original_input: hello world" in labels
        assert "previous → (edges decide): DLROW OLLEH" in labels
        assert "upper_case_executor {1}" in labels
        assert "status: in progress" in labels


async def test_moving_the_cursor_previews_the_checkpoint_on_the_graph(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await pilot.press("j", "j")
        await settle(pilot)
        text = graph_text(app)
        assert "▶ submit_lower" in text  # runs next if resumed here
        assert "✓ reverse_text_executor" in text  # already ran
        assert "○ lower_agent" in text
        await pilot.press("tab")  # leaving the browser returns the graph to live statuses
        await settle(pilot)
        assert "▶ submit_lower" not in graph_text(app)


async def test_at_80x24_a_line_under_the_table_previews_the_checkpoint(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")  # ReverseText has run, submit_lower is next
        await settle(pilot)
        shown = preview_line_text(app)
        assert shown.startswith(
            "resume here: ✓ upper_case_executor ✓ reverse_text_executor ▶ submit_lower"
        )
        assert shown.endswith("…")  # cut to the pane's width, never wrapped over the table
        await pilot.press("k")
        await settle(pilot)
        shown = preview_line_text(app)
        assert "✓ upper_case_executor ▶ reverse_text_executor ○ submit_lower" in shown


async def test_at_120x40_the_graph_previews_and_the_line_stays_hidden(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")
        await settle(pilot)
        assert "▶ submit_lower" in graph_text(app)
        assert not app.main.preview_line.display


async def test_delete_asks_then_removes_the_row_and_the_file(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await pilot.press("j")
        await settle(pilot)
        # One id scheme: the inspector and the dialog name the checkpoint and run by their tails.
        await wait_until(pilot, lambda: "bbbbbb01" in str(app.main.inspector.root.label))
        assert str(app.main.inspector.root.label) == "checkpoint bbbbbb01"
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = dialog_text(app)
        run = app.main.browser.summaries["cpbbbbbb01"].workflow_id
        assert "checkpoint bbbbbb01 (run " + run[-8:] in question
        assert "cpbbbbbb01" not in question
        await pilot.press("n")
        await settle(pilot)
        assert "cpbbbbbb01" in app.main.browser.summaries
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot)
        assert "cpbbbbbb01" not in app.main.browser.summaries
        assert [row.key for row in shown_rows(app)].count("cpbbbbbb01") == 0
        assert app.main.browser.table.row_count == 2 + 11  # two run rows, eleven checkpoints
        assert app.main.browser.highlighted_id == "cpbbbbbb02"  # the cursor stays in place
    assert await fixed_store.load_checkpoint("cpbbbbbb01") is None


async def test_unreadable_files_show_as_a_warning_line(
    new_app: AppFactory, fixed_store: FileCheckpointStorage, tmp_path: Path
) -> None:
    (tmp_path / "checkpoints" / "broken.json").write_text("{not json")
    app = new_app()
    async with opened(app) as pilot:
        rows = shown_rows(app)
        assert rows[0].kind is RowKind.PROBLEMS
        assert "⚠ 1 unreadable file" in row_text(app, 0)
        assert app.main.browser.table.row_count == 1 + 2 + 12
        await pilot.press("home", "enter")  # the problems line opens the list
        await wait_until(pilot, lambda: app.main.browser.table.row_count == 1 + 1 + 2 + 12)
        assert "broken.json" in row_text(app, 1)


async def test_an_empty_store_says_how_to_start(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app):
        notes = str(app.main.browser.query_one("#checkpoint-notes").render())
        assert "press n to start a run" in notes
        assert app.check_action("resume", ()) is False
        assert app.check_action("delete_checkpoint", ()) is False


async def test_slash_filters_the_log_and_escape_clears_it(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await settle(pilot)
        everything = app.main.event_log.line_count
        await pilot.press("4")  # in the checkpoint browser, / filters the checkpoints instead
        await wait_until(pilot, lambda: isinstance(app.focused, EventLog))
        await pilot.press("slash")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "log-filter")
        await pilot.press(*"output")
        await pilot.pause()
        assert app.main.event_log.visible_text() == [
            line for line in app.main.event_log.visible_text() if "OUTPUT" in line
        ]
        assert app.main.event_log.line_count == 1
        assert "1 of" in str(app.main.query_one("#events-pane").border_subtitle)
        await pilot.press("enter")  # keeps the filter, back to the log
        assert isinstance(app.focused, EventLog)
        assert app.main.event_log.line_count == 1
        await pilot.press("slash")
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.event_log.line_count == everything


async def test_question_mark_opens_help_listing_the_keys(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = dialog_text(app)
        for expected in (
            "New run",
            "Resume",
            "Cancel",
            "Delete",
            "Filter",
            "Next pane",
            "Quit",
        ):
            assert expected in text
        assert "⏎ / r" in text or "enter / r" in text
        await pilot.press("n")  # app keys do nothing while help is open
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_palette_lists_every_action_and_runs_them(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        palette = [*app.get_system_commands(app.main), *action_commands(app, app.main)]
        titles = {command.title for command in palette}
        for binding in [*app.BINDINGS, *app.main.BINDINGS]:
            assert binding.description in titles  # type: ignore[union-attr]
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"new run")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))


async def test_every_pane_is_reachable_at_80x24(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        assert app.main.has_class("-compact")
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            shown = [pane.id for pane in app.main.panes if pane.display]
            assert len(shown) == 1
            assert app.focused is not None and shown[0] in {a.id for a in app.focused.ancestors}
            seen.append(str(shown[0]))
        assert sorted(seen) == ["checkpoints-pane", "events-pane", "graph-pane", "inspector-pane"]
        await pilot.press("1")
        await pilot.pause()
        assert [pane.id for pane in app.main.panes if pane.display] == ["graph-pane"]


async def test_all_panes_show_at_120x40(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app):
        assert not app.main.has_class("-compact")
        assert all(pane.display and pane.size.height > 5 for pane in app.main.panes)


async def test_a_keymap_moves_an_action_to_another_key(
    storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    keymap = parse_keymap("wftui.new_run = ctrl+n ; wftui.help=f1")
    assert keymap == {"wftui.new_run": "ctrl+n", "wftui.help": "f1"}
    app = make_app(seed, storage, keymap=keymap)
    async with opened(app) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "ctrl+n" in dialog_text(app).lower() or "^n" in dialog_text(app)


def test_a_malformed_keymap_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="BINDING_ID=KEYS"):
        parse_keymap("wftui.new_run")


async def test_a_failed_checkpoint_shows_what_a_resume_replays(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    failed = WorkflowCheckpoint(
        checkpoint_id="cpfailed00",
        workflow_id="runfailed",
        workflow_name="text_processing",
        timestamp="2025-03-14T11:30:00.000000Z",
        iteration_count=1,
        messages={"previous": [{"data": "x", "source_id": "previous", "target_id": None}]},
        error={"error_type": "RuntimeError", "message": "quota", "executor_id": "submit_lower"},
        completed_writes={"reverse_text_executor": {"state": {"count": 1}, "outputs": ["ok"]}},
        graph_signature=seed.create_workflow(None).signature,
    )
    await storage.save_checkpoint(failed)
    app = new_app()
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpfailed00")
        # The inspector decodes after the cursor rests: wait for its tree, not for time.
        await wait_until(pilot, lambda: "checkpoint failed00" in tree_labels(app))
        labels = tree_labels(app)
        assert "replayed on resume {1}" in labels
        assert "reverse_text_executor {2}" in labels
