"""The event log and the bridge that feeds it: one line per event, chunks grow a line, bounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from textual.app import App, ComposeResult
from textual.message import Message

from tests.tui.support import FIXED_CLOCK, settle, wait_until
from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.engine import (
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    RequestInfoEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.tui.bridge import EngineEvents, EventBridge, Tone, describe
from wftui.tui.widgets.event_log import EventLog

T = 1741953600.0  # 12:00:00 UTC


class LogApp(App[None]):
    """Just the log, fed through the real bridge."""

    def __init__(self, max_lines: int = 50_000) -> None:
        super().__init__()
        self.batches: list[list[WorkflowEvent]] = []
        self._max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield EventLog(FIXED_CLOCK, self._max_lines)

    def on_engine_events(self, message: EngineEvents) -> None:
        self.batches.append(message.events)
        self.query_one(EventLog).add_records(describe(event) for event in message.events)


async def stream(events: list[WorkflowEvent]) -> AsyncIterator[WorkflowEvent]:
    for event in events:
        yield event


def test_each_event_reads_as_time_kind_executor_detail() -> None:
    record = describe(ExecutorInvokedEvent(executor_id="upper", timestamp=T))
    assert (record.kind, record.executor, record.text) == ("invoked", "upper", "")
    output = describe(WorkflowOutputEvent(data="dlrow\nolleh", source_executor_id="fin"))
    assert (output.kind, output.executor, output.text, output.tone) == (
        "OUTPUT",
        "fin",
        "dlrow ⏎ olleh",
        Tone.OUTPUT,
    )
    details = WorkflowErrorDetails("ValueError", "bad", executor_id="upper")
    failed = describe(ExecutorFailedEvent(executor_id="upper", details=details))
    assert (failed.kind, failed.text, failed.tone) == (
        "FAILED",
        "ValueError in upper: bad",
        Tone.FAILURE,
    )
    status = describe(WorkflowStatusEvent(state=WorkflowRunState.IDLE_WITH_PENDING_REQUESTS))
    assert status.text == "? waiting for human"


class _Retried(ExecutorCompletedEvent):
    """A pipeline's own kind of an engine event."""


class _Progress(WorkflowEvent):
    """A pipeline's own event."""


def test_an_event_of_a_class_of_its_own_reads_as_its_nearest_known_kind() -> None:
    retried = describe(_Retried(executor_id="upper", timestamp=T))
    assert (retried.kind, retried.executor, retried.text) == ("completed", "upper", "")
    progress = describe(_Progress(data={"done": 3}, timestamp=T))
    assert (progress.kind, progress.text, progress.tone) == ("_progress", "{'done': 3}", Tone.PLAIN)


async def test_the_bridge_batches_a_stream_and_keeps_its_order() -> None:
    app = LogApp()
    events: list[WorkflowEvent] = [
        ExecutorInvokedEvent(executor_id=f"e{i}", timestamp=T) for i in range(300)
    ]
    async with app.run_test(size=(100, 20)) as pilot:
        await EventBridge(app).pump(stream(events))
        await settle(pilot)
        flat = [event for batch in app.batches for event in batch]
        assert flat == events
        assert len(app.batches) < len(events)  # batched, not one message per event


async def test_a_request_is_delivered_at_once() -> None:
    app = LogApp()
    invoked = ExecutorInvokedEvent(executor_id="drafter")
    request = RequestInfoEvent(request_id="r1", source_executor_id="drafter", request_type="Ask")
    release = asyncio.Event()

    async def asking() -> AsyncIterator[WorkflowEvent]:
        yield invoked
        yield request
        await release.wait()  # the run stays open: only the urgency can flush the batch

    async with app.run_test(size=(100, 20)) as pilot:
        pump = asyncio.create_task(EventBridge(app, interval=3600).pump(asking()))
        await wait_until(pilot, lambda: bool(app.batches))
        assert app.batches == [[invoked, request]]
        release.set()
        await pump


async def test_streamed_chunks_grow_one_line_and_the_reply_adds_none() -> None:
    app = LogApp()
    events: list[WorkflowEvent] = [
        ExecutorInvokedEvent(executor_id="agent", timestamp=T),
        *(AgentRunUpdateEvent(executor_id="agent", data=c, timestamp=T) for c in "dlrow"),
        AgentRunEvent(executor_id="agent", data="dlrow", timestamp=T),
        ExecutorCompletedEvent(executor_id="agent", timestamp=T),
    ]
    async with app.run_test(size=(100, 20)) as pilot:
        await EventBridge(app).pump(stream(events))
        await settle(pilot)
        lines = app.query_one(EventLog).visible_text()
        assert lines == [
            "12:00:00.000 invoked    agent",
            "12:00:00.000 agent      agent            dlrow",
            "12:00:00.000 completed  agent",
        ]


async def test_the_log_keeps_the_newest_lines_and_follows_the_tail() -> None:
    app = LogApp(max_lines=1_000)
    async with app.run_test(size=(100, 20)) as pilot:
        log = app.query_one(EventLog)
        for start in range(0, 2_500, 500):
            log.add_records(
                describe(ExecutorInvokedEvent(executor_id=f"e{i}", timestamp=T))
                for i in range(start, start + 500)
            )
            await pilot.pause()
        assert log.total_count == 1_000
        assert log.visible_text()[0].endswith("e1500")
        assert log.scroll_y == log.max_scroll_y
        assert log.is_following


async def test_scrolling_up_stops_following_and_g_resumes() -> None:
    app = LogApp(max_lines=1_000)
    async with app.run_test(size=(100, 20)) as pilot:
        log = app.query_one(EventLog)
        log.add_records(describe(ExecutorInvokedEvent(executor_id=f"e{i}")) for i in range(200))
        log.focus()
        await pilot.pause()
        await pilot.press("k", "k", "k")
        await pilot.pause()
        held = log.scroll_y
        assert not log.is_following
        log.add_records(describe(ExecutorInvokedEvent(executor_id="late")) for _ in range(50))
        await pilot.pause()
        assert log.scroll_y == held  # the reader's place is kept
        await pilot.press("G")
        await pilot.pause()
        assert log.is_following
        assert log.scroll_y == log.max_scroll_y


async def test_the_filter_is_case_insensitive_and_sees_new_lines() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 20)):
        log = app.query_one(EventLog)
        log.add_records(
            describe(ExecutorInvokedEvent(executor_id=name)) for name in ("Upper", "lower")
        )
        log.set_filter("upp")
        assert log.line_count == 1
        log.add_records([describe(ExecutorCompletedEvent(executor_id="upper"))])
        assert log.line_count == 2
        assert log.total_count == 3
        log.set_filter("")
        assert log.line_count == 3


def test_a_backlog_of_batches_merges_in_order_into_the_newest() -> None:
    first, second, third = (
        ExecutorInvokedEvent(executor_id=f"e{i}", timestamp=T) for i in range(3)
    )
    older, newer = EngineEvents([first]), EngineEvents([second, third])
    assert older.can_replace(newer)
    assert newer.events == [first, second, third]
    assert not newer.can_replace(Message())  # other messages are never swallowed
