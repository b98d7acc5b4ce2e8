"""The event log's cursor line: moved by keys and clicks, kept across new lines and filters,
and ``v`` opens that one event whole (every character, newlines kept) in the viewer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from textual.pilot import Pilot

from tests.tui.support import wait_until
from tests.tui.test_event_log import LogApp, T
from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.engine import (
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowOutputEvent,
)
from wftui.tui.bridge import describe
from wftui.tui.screens.viewer import ValueViewer
from wftui.tui.widgets.event_log import EventLog

# Longer than a log line keeps (2,000 characters) and over several lines.
LONG = "\n".join(f"paragraph {n}: " + "word " * 60 for n in range(40)) + "\nneedle at the end"


def invoked(name: str) -> ExecutorInvokedEvent:
    return ExecutorInvokedEvent(executor_id=name, timestamp=T)


@asynccontextmanager
async def focused_log(
    events: Iterable[WorkflowEvent], height: int = 12
) -> AsyncIterator[tuple[LogApp, Pilot[None], EventLog]]:
    """A log holding ``events``, focused (its cursor shows), in an app of its own."""
    app = LogApp()
    async with app.run_test(size=(100, height)) as pilot:
        log = app.query_one(EventLog)
        log.add_records(describe(event) for event in events)
        log.focus()
        await pilot.pause()
        yield app, pilot, log


async def test_the_cursor_moves_by_key_and_stays_put_while_lines_arrive() -> None:
    async with focused_log(invoked(f"e{i}") for i in range(50)) as (_, pilot, log):
        assert log.cursor_line == 49 and log.is_following  # on the newest line

        await pilot.press("up", "k")
        assert log.cursor_line == 47 and not log.is_following
        log.add_records(describe(invoked("late")) for _ in range(20))
        await pilot.pause()
        record = log.cursor_record()
        assert record is not None and record.executor == "e47"  # the same event, not a place
        assert log.scroll_y <= 47 < log.scroll_y + log.size.height  # and still in view

        await pilot.press("home")
        assert log.cursor_line == 0 and log.scroll_y == 0
        await pilot.press("pagedown", "j")
        assert log.cursor_line == log.size.height
        await pilot.press("G")
        assert log.cursor_line == log.line_count - 1 and log.is_following
        await pilot.press("up", "down")  # back on the last line: following again
        assert log.is_following


async def test_a_click_highlights_the_line_under_the_pointer() -> None:
    async with focused_log(invoked(f"e{i}") for i in range(5)) as (_, pilot, log):
        await pilot.click(EventLog, offset=(2, 1))
        record = log.cursor_record()
        assert record is not None and record.executor == "e1"


async def test_the_highlighted_line_survives_a_filter() -> None:
    names = ("a1", "b1", "a2", "b2", "a3")
    async with focused_log(invoked(name) for name in names) as (_, pilot, log):
        await pilot.press("up", "up")  # on a2
        log.set_filter("a")
        record = log.cursor_record()
        assert record is not None and record.executor == "a2"
        assert log.cursor_line == 1


async def test_v_opens_the_highlighted_event_whole_and_finds_text_in_it() -> None:
    events = [
        invoked("fin"),
        WorkflowOutputEvent(data=LONG, source_executor_id="fin", timestamp=T),
        invoked("after"),
    ]
    async with focused_log(events, height=20) as (app, pilot, log):
        assert "⏎" in log.visible_text()[1] and len(log.visible_text()[1]) < len(LONG)
        await pilot.press("up")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ValueViewer))
        viewer = app.screen
        assert isinstance(viewer, ValueViewer)
        assert viewer.text == LONG  # the one event, every character, its own newlines
        assert str(viewer.query_one("#viewer-title").render()) == "12:00:00.000 OUTPUT fin"
        assert viewer.area.soft_wrap
        await pilot.press("slash", *"needle", "enter")
        await wait_until(pilot, lambda: viewer.area.selected_text == "needle")
        assert viewer.area.scroll_y > 0
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ValueViewer))


async def test_v_on_a_streamed_reply_shows_the_whole_reply_and_on_a_failure_its_traceback() -> None:
    details = WorkflowErrorDetails(
        "ValueError", "bad", traceback="Traceback (most recent call last):\n  ...", executor_id="x"
    )
    events = [
        invoked("agent"),
        *(AgentRunUpdateEvent(executor_id="agent", data=c, timestamp=T) for c in "ab"),
        AgentRunEvent(executor_id="agent", data="ab\ncd", timestamp=T),
        ExecutorFailedEvent(executor_id="x", details=details, timestamp=T),
    ]
    async with focused_log(events, height=20) as (app, pilot, _):
        texts = []
        for presses in (["up"], ["down"]):
            await pilot.press(*presses, "v")
            await wait_until(pilot, lambda: isinstance(app.screen, ValueViewer))
            assert isinstance(app.screen, ValueViewer)
            texts.append(app.screen.text)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ValueViewer))
        assert texts == [
            "ab\ncd",
            "ValueError in x: bad\n\nTraceback (most recent call last):\n  ...",
        ]


async def test_v_on_a_line_with_nothing_more_to_say_shows_the_line_itself() -> None:
    async with focused_log([invoked("upper")]) as (app, pilot, _):
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ValueViewer))
        assert isinstance(app.screen, ValueViewer)
        assert app.screen.text == "12:00:00.000 invoked    upper"
