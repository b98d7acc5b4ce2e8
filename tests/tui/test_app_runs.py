"""Runs from the keyboard: new run, live rows, resume, human answers, cancel, quit."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.tui.support import (
    SEED_ORDER,
    AppFactory,
    dialog_text,
    graph_text,
    highlight,
    open_prompt,
    opened,
    sample_pipeline,
    settle,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointStatus
from wftui.journal import journal_for
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.app import WftuiApp
from wftui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from wftui.tui.status import RunStatus


def gated_pipeline() -> tuple[PipelineSpec, Any]:
    """The gated sample pipeline with a fresh gate for this test's event loop."""
    gated = sample_pipeline("gated")
    gate = gated.module.Gate()
    gated.module.GATE = gate
    return gated, gate


def invoked_after(app: WftuiApp, marker: str) -> list[str]:
    """Executors the log shows invoked after the app's note ``marker``."""
    lines = app.main.event_log.visible_text()
    start = max(i for i, line in enumerate(lines) if line.endswith(marker))
    return [line.split()[-1] for line in lines[start:] if line.split()[1] == "invoked"]


def outputs(app: WftuiApp) -> list[str]:
    return [
        line.split(maxsplit=3)[3]
        for line in app.main.event_log.visible_text()
        if " OUTPUT " in line
    ]


async def test_new_run_prefills_the_default_input_and_runs_the_seed(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await open_prompt(app, pilot)
        assert app.screen.query_one(Input).value == "hello world"
        await pilot.press("enter")
        await settle(pilot)
        assert app.status is RunStatus.COMPLETED
        assert outputs(app) == ["dlrow olleh"]
        assert invoked_after(app, "new run") == [
            "upper_case_executor",
            "reverse_text_executor",
            "submit_lower",
            "lower_agent",
            "finalize",
        ]
        assert len(app.main.browser.summaries) == 6
        for executor_id in SEED_ORDER:
            assert f"✓ {executor_id}" in graph_text(app)
        # The journal keeps the input, so `wftui runs` lists it as for a headless run.
        [execution] = await journal_for(app.storage).executions()
        assert (execution.kind, execution.input) == ("run", "hello world")


async def test_escape_on_the_prompt_starts_nothing(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await open_prompt(app, pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.status is RunStatus.IDLE
        assert not app.main.browser.summaries


async def test_rows_appear_while_the_run_is_still_going(new_app: AppFactory) -> None:
    gated, gate = gated_pipeline()
    app = new_app(gated)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, gate.reached.is_set)
        await wait_until(pilot, lambda: len(app.main.browser.summaries) == 2)
        assert app.run_active
        assert app.status is RunStatus.RUNNING
        table = app.main.browser.table
        cursor_before = table.cursor_row
        gate.opened.set()
        await settle(pilot)
        assert len(app.main.browser.summaries) == 3
        assert table.cursor_row == cursor_before  # new rows never move the cursor
        assert app.status is RunStatus.COMPLETED
        assert outputs(app) == ["go!"]


async def test_resume_after_reverse_text_runs_only_the_rest(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await settle(pilot)
        # The checkpoint after ReverseText ran: superstep 2, SubmitToLowerAgent next.
        after_reverse = next(
            s.checkpoint_id for s in app.main.browser.summaries.values() if s.iteration_count == 2
        )
        await highlight(app, pilot, after_reverse)
        await settle(pilot)
        ran, next_ids = app.main.browser.preview(after_reverse)
        assert ran == {"upper_case_executor", "reverse_text_executor"}
        assert next_ids == {"submit_lower"}
        await pilot.press("enter")
        await settle(pilot)
        assert invoked_after(app, f"resume {after_reverse[-8:]}") == [
            "submit_lower",
            "lower_agent",
            "finalize",
        ]
        assert outputs(app) == ["dlrow olleh", "dlrow olleh"]
        assert app.status is RunStatus.COMPLETED
        assert app.main.browser.highlighted_id == after_reverse  # the cursor stayed on its row
        assert len(app.main.browser.summaries) == 6 + 3


async def test_human_request_opens_a_dialog_and_the_answer_continues_the_run(
    new_app: AppFactory,
) -> None:
    app = new_app(load_pipeline("pipelines.approval"))
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        # The request's fields as a form: name, type, current value (issue #10).
        assert "draft (str): 'HELLO'" in dialog_text(app)
        await pilot.press(*"yes", "enter")
        await settle(pilot)
        assert outputs(app) == ["HELLO:yes"]
        assert app.status is RunStatus.COMPLETED


async def test_escape_leaves_the_request_pending_and_the_browser_resumes_it(
    new_app: AppFactory,
) -> None:
    app = new_app(load_pipeline("pipelines.approval"))
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert app.status is RunStatus.WAITING
        assert "? drafter" in graph_text(app)  # the executor that asked waits for the answer
        waiting = [
            s
            for s in app.main.browser.summaries.values()
            if s.status is CheckpointStatus.AWAITING_HUMAN_INPUT
        ]
        assert len(waiting) == 1
        await highlight(app, pilot, waiting[0].checkpoint_id)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"ok", "enter")
        await settle(pilot)
        assert outputs(app) == ["HELLO:ok"]
        assert app.status is RunStatus.COMPLETED


async def test_cancel_stops_the_run_and_keeps_its_checkpoints(
    new_app: AppFactory, storage: FileCheckpointStorage
) -> None:
    gated, gate = gated_pipeline()
    app = new_app(gated)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, gate.reached.is_set)
        await pilot.press("x")
        await settle(pilot)
        assert not app.run_active
        assert app.status is RunStatus.CANCELLED
        assert any("cancelled" in line for line in app.main.event_log.visible_text())
        assert "○ hold" in graph_text(app)  # interrupted, so pending again
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.next_executor_ids == ["hold"]  # resumable where it stopped


async def test_keys_that_need_a_run_or_no_run_say_so(new_app: AppFactory) -> None:
    gated, gate = gated_pipeline()
    app = new_app(gated)
    async with opened(app) as pilot:
        assert app.check_action("cancel_run", ()) is False
        await start_run(app, pilot)
        await wait_until(pilot, gate.reached.is_set)
        assert app.check_action("new_run", ()) is None  # shown, dimmed: wait or cancel first
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        gate.opened.set()
        await settle(pilot)


async def test_quit_during_a_run_asks_then_cancels_cleanly(
    new_app: AppFactory, storage: FileCheckpointStorage
) -> None:
    gated, gate = gated_pipeline()
    app = new_app(gated)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, gate.reached.is_set)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert app.run_active
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)
    assert app.status is RunStatus.CANCELLED
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.next_executor_ids == ["hold"]


async def test_quit_when_idle_exits_at_once(new_app: AppFactory) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_a_failure_stands_out_and_resuming_after_the_fix_completes(
    new_app: AppFactory,
) -> None:
    flaky = sample_pipeline("flaky")
    flaky.module.BROKEN = True
    app = new_app(flaky)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await settle(pilot)
        assert app.status is RunStatus.FAILED
        failures = [line for line in app.main.event_log.visible_text() if " FAILED " in line]
        assert failures
        assert "ConnectionError in flaky: model endpoint refused the connection" in failures[0]
        assert "✗ flaky" in graph_text(app)
        failed = [
            s for s in app.main.browser.summaries.values() if s.status is CheckpointStatus.FAILED
        ]
        assert len(failed) == 1
        flaky.module.BROKEN = False
        await highlight(app, pilot, failed[0].checkpoint_id)
        await pilot.press("enter")
        await settle(pilot)
        assert invoked_after(app, f"resume {failed[0].checkpoint_id[-8:]}") == ["flaky"]
        assert outputs(app) == ["HELLO"]
        assert app.status is RunStatus.COMPLETED


async def test_two_open_questions_continue_the_run_once_both_are_answered(
    new_app: AppFactory,
) -> None:
    app = new_app(sample_pipeline("two_approvals"))
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, lambda: len(app.screen_stack) == 3)  # both dialogs are open
        await pilot.press(*"one", "enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 2)
        await pilot.pause(0.1)
        assert not app.run_active  # nothing continues while a question is still open
        await pilot.press(*"two", "enter")
        await settle(pilot)
        assert sorted(outputs(app)) == ["HELLO:one", "HELLO:two"]
        assert app.status is RunStatus.COMPLETED
