"""Helpers for driving the whole app in tests: pinned clock, sample pipelines, waiting, fixed stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.app import WftuiApp
from wftui.tui.browser.model import Row
from wftui.tui.screens.dialogs import PromptScreen
from wftui.tui.text import Clock

AppFactory = Callable[..., WftuiApp]

PIPELINES = Path(__file__).parent / "pipelines"
# 2025-03-14 12:00:00 UTC is "now" for every app a test builds.
FIXED_NOW = 1741953600.0
FIXED_CLOCK = Clock(tz=UTC, now=lambda: FIXED_NOW)
SEED_ORDER = [
    "upper_case_executor",
    "reverse_text_executor",
    "submit_lower",
    "lower_agent",
    "finalize",
]


def sample_pipeline(name: str) -> PipelineSpec:
    """One of the small pipelines in tests/tui/pipelines, loaded as the CLI loads a file."""
    return load_pipeline(str(PIPELINES / f"{name}.py"))


def graph_text(app: WftuiApp) -> str:
    """What the graph pane shows, through the Line API the compositor draws with."""
    graph = app.main.graph
    return "\n".join(graph.render_line(y).text for y in range(graph.size.height))


def shown_rows(app: WftuiApp) -> list[Row]:
    """The checkpoint browser's visible rows (runs, checkpoints, problems), top to bottom."""
    model = app.main.browser.model
    return [model[index] for index in range(model.row_count)]


def row_text(app: WftuiApp, index: int) -> str:
    """Row ``index`` of the checkpoint browser as drawn, whether or not it is scrolled into view."""
    table = app.main.browser.table
    width = table.scrollable_content_region.width - 1
    return "".join(text for text, _ in table.renderer.cells(table.model[index], width))


def dialog_text(app: WftuiApp) -> str:
    """The text lines of the screen on top (a dialog or the help screen)."""
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and the messages they posted have been handled."""
    for _ in range(400):
        await pilot.pause(0.02)
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers kept running (is a dialog waiting for an answer?)")


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until ``condition`` holds; fails after a generous bound, never on speed."""
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


@asynccontextmanager
async def opened(app: WftuiApp, size: tuple[int, int] = (120, 40)) -> AsyncIterator[Pilot[None]]:
    """The app running headless, settled, so a test starts from the loaded store."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot


async def open_prompt(app: WftuiApp, pilot: Pilot[None]) -> None:
    """Press n and wait for the new-run prompt."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))


async def start_run(app: WftuiApp, pilot: Pilot[None]) -> None:
    """Press n and accept the prefilled input."""
    await open_prompt(app, pilot)
    await pilot.press("enter")


async def highlight(app: WftuiApp, pilot: Pilot[None], checkpoint_id: str) -> None:
    """Move the browser's cursor down to ``checkpoint_id`` with the keys a user presses."""
    app.main.browser.table.focus()
    while app.main.browser.highlighted_id != checkpoint_id:
        await pilot.press("j")


async def refused_resume(app: WftuiApp, pilot: Pilot[None], checkpoint_id: str) -> list[str]:
    """Enter on ``checkpoint_id``, whose graph changed: the lines of the "Cannot resume" toast
    after its head, one per difference."""
    await highlight(app, pilot, checkpoint_id)
    await pilot.press("enter")
    await wait_until(pilot, lambda: any(n.title == "Cannot resume" for n in app._notifications))
    toast = next(n.message for n in app._notifications if n.title == "Cannot resume")
    return toast.splitlines()[1:]


def fixed_runs(signature: str) -> list[WorkflowCheckpoint]:
    """Two complete runs of the seed pipeline with pinned ids, times and values."""
    checkpoints = []
    for run, minute in (("runaaaaaa", 10), ("runbbbbbb", 20)):
        parent = None
        for step in range(6):
            checkpoint_id = f"cp{run[-1] * 6}{step:02d}"
            next_ids = SEED_ORDER[step : step + 1]
            messages = {
                "previous": [{"data": "DLROW OLLEH", "source_id": "previous", "target_id": None}]
            }
            checkpoints.append(
                WorkflowCheckpoint(
                    checkpoint_id=checkpoint_id,
                    workflow_id=run,
                    workflow_name="text_processing",
                    parent_checkpoint_id=parent,
                    timestamp=f"2025-03-14T11:{minute}:{step:02d}.000000Z",
                    iteration_count=step,
                    messages=messages if next_ids else {},
                    shared_state={"original_input": "hello world"} if step else {},
                    executor_states={eid: {"count": 1} for eid in SEED_ORDER[:step]},
                    next_executor_ids=next_ids,
                    graph_signature=signature,
                )
            )
            parent = checkpoint_id
    return checkpoints
