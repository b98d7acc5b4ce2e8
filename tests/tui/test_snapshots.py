"""Screenshots at 80x24 and 120x40 from pinned content (fixed ids, times and clock).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.support import FIXED_NOW, SEED_ORDER, AppFactory, settle, wait_until
from wftui.agents.events import AgentRunUpdateEvent
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.engine import (
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)
from wftui.tui.bridge import EngineEvents
from wftui.tui.screens.dialogs import PromptScreen

SnapCompare = Callable[..., bool]
WIDE, SMALL = (120, 40), (80, 24)


def pinned_run() -> list[WorkflowEvent]:
    """A run's events with pinned times: a chain, a streamed reply, an output, a failure."""
    moments = iter(FIXED_NOW + 0.125 * i for i in range(100))
    events: list[WorkflowEvent] = [
        WorkflowStartedEvent(timestamp=next(moments)),
        WorkflowStatusEvent(state=WorkflowRunState.IN_PROGRESS, timestamp=next(moments)),
    ]
    for step, executor_id in enumerate(SEED_ORDER[:4], start=1):
        events.append(SuperStepStartedEvent(iteration=step, timestamp=next(moments)))
        events.append(ExecutorInvokedEvent(executor_id=executor_id, timestamp=next(moments)))
        if executor_id == "lower_agent":
            for chunk in ("dlrow", " ", "olleh"):
                events.append(
                    AgentRunUpdateEvent(
                        executor_id=executor_id, data=chunk, timestamp=next(moments)
                    )
                )
        events.append(ExecutorCompletedEvent(executor_id=executor_id, timestamp=next(moments)))
        events.append(SuperStepCompletedEvent(iteration=step, timestamp=next(moments)))
    details = WorkflowErrorDetails(
        "TimeoutError", "the model did not answer", executor_id="finalize"
    )
    events += [
        WorkflowOutputEvent(
            data="dlrow olleh", source_executor_id="lower_agent", timestamp=next(moments)
        ),
        ExecutorInvokedEvent(executor_id="finalize", timestamp=next(moments)),
        ExecutorFailedEvent(executor_id="finalize", details=details, timestamp=next(moments)),
        WorkflowStatusEvent(state=WorkflowRunState.FAILED, timestamp=next(moments)),
    ]
    return events


async def quiet(pilot: Pilot[Any]) -> None:
    """Stop input cursors blinking, so a screenshot does not depend on the moment."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def with_events(events: list[WorkflowEvent]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.screen_stack[0].post_message(EngineEvents(events))
        await settle(pilot)
        pilot.app.clear_notifications()

    return run_before


async def browse_second_row(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("j")
    await settle(pilot)


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["120x40", "80x24"])
def test_browsing_a_store(
    snap_compare: SnapCompare,
    new_app: AppFactory,
    fixed_store: FileCheckpointStorage,
    size: tuple[int, int],
) -> None:
    assert snap_compare(new_app(), terminal_size=size, run_before=browse_second_row)


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["120x40", "80x24"])
def test_a_run_in_the_log_and_graph(
    snap_compare: SnapCompare, new_app: AppFactory, size: tuple[int, int]
) -> None:
    press = ["4"] if size == SMALL else []
    assert snap_compare(
        new_app(), terminal_size=size, run_before=with_events(pinned_run()), press=press
    )


def test_compact_graph_pane(snap_compare: SnapCompare, new_app: AppFactory) -> None:
    assert snap_compare(
        new_app(), terminal_size=SMALL, run_before=with_events(pinned_run()), press=["1"]
    )


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["120x40", "80x24"])
def test_help_screen(snap_compare: SnapCompare, new_app: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(new_app(), terminal_size=size, run_before=settle, press=["question_mark"])


def test_new_run_prompt(snap_compare: SnapCompare, new_app: AppFactory) -> None:
    async def open_prompt(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await quiet(pilot)

    assert snap_compare(new_app(), terminal_size=SMALL, run_before=open_prompt)


def test_human_request_dialog(snap_compare: SnapCompare, new_app: AppFactory) -> None:
    request = RequestInfoEvent(
        request_id="req-1",
        source_executor_id="drafter",
        request_type="ApprovalRequest",
        data="HELLO",
        timestamp=FIXED_NOW,
    )

    async def ask(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.screen_stack[0].post_message(EngineEvents([request]))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await quiet(pilot)

    assert snap_compare(new_app(), terminal_size=SMALL, run_before=ask)


def test_no_color(
    snap_compare: SnapCompare,
    new_app: AppFactory,
    fixed_store: FileCheckpointStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(new_app(), terminal_size=WIDE, run_before=browse_second_row)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_themes(
    snap_compare: SnapCompare,
    new_app: AppFactory,
    fixed_store: FileCheckpointStorage,
    theme: str,
) -> None:
    """The graph's class names and the pane borders read on a dark and a light theme."""

    async def themed(pilot: Pilot[Any]) -> None:
        pilot.app.theme = theme
        await browse_second_row(pilot)

    assert snap_compare(new_app(), terminal_size=WIDE, run_before=themed)
