"""A resume that will call a model asks first, in one line; y and Y copy what a shell needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.support import FIXED_CLOCK, highlight, opened, settle, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.cli.output import command_options
from wftui.cli.parser import build_parser
from wftui.loader import PipelineSpec
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.screens.dialogs import LineConfirmScreen
from wftui.tui.status import RunStatus

STORED = 12


def asking_app(seed: PipelineSpec, storage: FileCheckpointStorage) -> WftuiApp:
    return make_app(seed, storage, clock=FIXED_CLOCK, confirm_resume=True)


async def test_a_resume_through_the_agent_names_what_runs_again_and_waits_for_enter(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage
) -> None:
    app = asking_app(seed, fixed_store)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")  # submit_lower is next, then the agent
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LineConfirmScreen))
        screen = app.screen
        assert isinstance(screen, LineConfirmScreen)
        assert screen.line == (
            "resume from bbbbbb02: submit_lower, lower_agent (LLM), finalize — enter/esc"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LineConfirmScreen))
        await settle(pilot)
        assert app.status is RunStatus.IDLE
        assert len(app.main.browser.summaries) == STORED
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LineConfirmScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        assert len(app.main.browser.summaries) > STORED


async def test_a_resume_past_the_agent_starts_at_once(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage
) -> None:
    app = asking_app(seed, fixed_store)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb04")  # only finalize is left
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        assert not isinstance(app.screen, LineConfirmScreen)


async def test_confirm_resume_off_starts_a_model_calling_resume_at_once(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage
) -> None:
    app = make_app(seed, fixed_store, clock=FIXED_CLOCK, confirm_resume=False)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)


async def test_the_end_of_a_run_says_nothing_is_left_to_run(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage
) -> None:
    app = asking_app(seed, fixed_store)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb05")  # the completed run's last checkpoint
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any("nothing is left to run" in n.message for n in app._notifications),
        )
        await settle(pilot)
        assert app.status is RunStatus.IDLE
        assert len(app.main.browser.summaries) == STORED


async def test_y_copies_the_id_and_shift_y_the_resume_command(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])
    app = asking_app(seed, fixed_store)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.clipboard == "cpbbbbbb02")
        await pilot.press("Y")
        expected = (
            f"wftui resume cpbbbbbb02 pipelines/text_processing.py "
            f"--checkpoint-dir {fixed_store.storage_path}"
        )
        await wait_until(pilot, lambda: app.clipboard == expected)
        await wait_until(pilot, lambda: any(n.message == expected for n in app._notifications))
        await pilot.press("4")  # in the event log y copies nothing
        await wait_until(pilot, lambda: app.main.active_index == 3)
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == expected


async def test_shift_y_names_the_store_and_chat_the_app_was_opened_with(
    seed: PipelineSpec, fixed_store: FileCheckpointStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])
    # What `wftui --checkpoint-dir runs --chat local` gives the app: its own options.
    args = build_parser().parse_args(["app", "--checkpoint-dir", "runs", "--chat", "local"])
    options = command_options(args)
    app = make_app(seed, fixed_store, clock=FIXED_CLOCK, command_options=options)
    async with opened(app) as pilot:
        await highlight(app, pilot, "cpbbbbbb02")
        await pilot.press("Y")
        expected = (
            "wftui resume cpbbbbbb02 pipelines/text_processing.py "
            "--checkpoint-dir runs --chat local"
        )
        await wait_until(pilot, lambda: app.clipboard == expected)
