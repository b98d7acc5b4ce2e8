"""Supersteps: delivery in the next step, concurrency within a step, order within an executor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.engine.support import Append, Emit, chain_workflow, invoked
from wftui import (
    CheckpointSavedEvent,
    Executor,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
    handler,
)

# Deadlock guard only: a correct engine never gets near it.
GUARD_SECONDS = 10


def superstep_of(events: list[WorkflowEvent]) -> dict[str, list[int]]:
    """For each executor, the supersteps in which it was invoked."""
    current = 0
    seen: dict[str, list[int]] = {}
    for event in events:
        if isinstance(event, SuperStepStartedEvent):
            current = event.iteration
        elif isinstance(event, ExecutorInvokedEvent):
            seen.setdefault(event.executor_id, []).append(current)
    return seen


async def test_a_message_sent_in_step_k_is_delivered_in_step_k_plus_one() -> None:
    workflow = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")])
    result = await workflow.run("x", include_status_events=True)
    assert superstep_of(result) == {"a": [1], "b": [2], "c": [3], "out": [4]}
    assert result.get_outputs() == ["x>a>b>c"]


class Splitter(Executor):
    """Sends one message per word, in order."""

    @handler
    async def split(self, text: str, ctx: WorkflowContext[str]) -> None:
        for word in text.split():
            await ctx.send_message(word)


class Meet(Executor):
    """Announces itself, then waits for its partner: only possible if both run at once."""

    def __init__(self, id: str, mine: asyncio.Event, partner: asyncio.Event) -> None:
        super().__init__(id=id)
        self.mine, self.partner = mine, partner

    @handler
    async def meet(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        self.mine.set()
        await asyncio.wait_for(self.partner.wait(), GUARD_SECONDS)
        await ctx.yield_output(f"{self.id} met")


async def test_executors_of_one_superstep_run_concurrently() -> None:
    left_here, right_here = asyncio.Event(), asyncio.Event()
    start = Append(id="start")
    left = Meet("left", left_here, right_here)
    right = Meet("right", right_here, left_here)
    workflow = WorkflowBuilder().add_fan_out_edges(start, [left, right]).set_start_executor(start)
    result = await workflow.build().run("go")
    assert result.get_final_state() is WorkflowRunState.IDLE
    assert sorted(result.get_outputs()) == ["left met", "right met"]


class Recorder(Executor):
    """Logs the start and end of every message it handles, yielding control in between."""

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self.log: list[str] = []

    @handler
    async def record(self, word: str, ctx: WorkflowContext[Any, str]) -> None:
        self.log.append(f"start {word}")
        for _ in range(3):
            await asyncio.sleep(0)
        self.log.append(f"end {word}")
        await ctx.yield_output(word)


async def test_one_executor_handles_its_messages_one_at_a_time_in_arrival_order() -> None:
    splitter, recorder = Splitter(id="split"), Recorder(id="rec")
    workflow = WorkflowBuilder().add_edge(splitter, recorder).set_start_executor(splitter).build()
    result = await workflow.run("one two three", include_status_events=True)
    assert recorder.log == [
        "start one", "end one", "start two", "end two", "start three", "end three",
    ]  # fmt: skip
    assert result.get_outputs() == ["one", "two", "three"]
    assert superstep_of(result) == {"split": [1], "rec": [2, 2, 2]}


class Looper(Executor):
    """Sends to itself forever."""

    @handler
    async def again(self, count: int, ctx: WorkflowContext[int]) -> None:
        await ctx.send_message(count + 1)


async def test_exceeding_max_iterations_fails_naming_the_limit() -> None:
    looper = Looper(id="loop")
    workflow = (
        WorkflowBuilder(max_iterations=3).add_edge(looper, looper).set_start_executor(looper)
    ).build()
    result = await workflow.run(0, raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    assert invoked(result) == ["loop", "loop", "loop"]
    (failed,) = [e for e in result if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    assert "max_iterations=3" in failed.details.message


async def test_a_chain_of_n_executors_completes_with_max_iterations_n() -> None:
    executors = [Append(id=f"e{i}") for i in range(4)]
    result = await chain_workflow(executors, max_iterations=5).run("x")
    assert result.get_final_state() is WorkflowRunState.IDLE
    assert result.get_outputs() == ["x>e0>e1>e2>e3"]


class Shout(Executor):
    """Adds an event of its own between the engine's."""

    @handler
    async def shout(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.add_event(WorkflowEvent(data=f"custom {text}"))
        await ctx.yield_output(text.upper())


SYNC_ORDER = [
    ("WorkflowStartedEvent", None),
    ("WorkflowStatusEvent", None),
    ("CheckpointSavedEvent", None),  # the initial checkpoint, iteration 0
    ("SuperStepStartedEvent", 1),
    ("ExecutorInvokedEvent", "start"),
    ("ExecutorCompletedEvent", "start"),
    ("SuperStepCompletedEvent", 1),
    ("CheckpointSavedEvent", 1),
    ("SuperStepStartedEvent", 2),
    ("ExecutorInvokedEvent", "shout"),
    ("WorkflowEvent", None),
    ("WorkflowOutputEvent", None),
    ("ExecutorCompletedEvent", "shout"),
    ("SuperStepCompletedEvent", 2),
    ("CheckpointSavedEvent", 2),
    ("WorkflowStatusEvent", None),
]


@pytest.mark.parametrize("durability", ["sync", "async"])
@pytest.mark.parametrize("storage", ["memory", "file"])
async def test_a_run_emits_its_events_in_the_documented_order(
    tmp_path: Path, durability: Any, storage: str
) -> None:
    start = Append(id="start")
    shout = Shout(id="shout")
    workflow = (
        WorkflowBuilder()
        .add_edge(start, shout)
        .set_start_executor(start)
        .with_checkpointing(
            InMemoryCheckpointStorage() if storage == "memory" else FileCheckpointStorage(tmp_path),
            durability=durability,
        )
        .build()
    )
    events = [event async for event in workflow.run_stream("hi")]
    shapes = [
        (type(e).__name__, getattr(e, "iteration", None) or getattr(e, "executor_id", None))
        for e in events
    ]
    saves = [shape for shape in shapes if shape[0] == "CheckpointSavedEvent"]
    if durability == "sync":
        assert shapes == SYNC_ORDER
    else:
        # The same, except that checkpoint k is announced once durable: after superstep k+1
        # started (while it runs, or as the next save is made) and before the final status.
        assert [shape for shape in shapes if shape not in saves] == [
            shape for shape in SYNC_ORDER if shape[0] != "CheckpointSavedEvent"
        ]
        assert saves == [shape for shape in SYNC_ORDER if shape[0] == "CheckpointSavedEvent"]
        for iteration, index in enumerate(i for i, s in enumerate(shapes) if s in saves):
            if iteration < 2:
                assert shapes.index(("SuperStepStartedEvent", iteration + 1)) < index
            assert index < len(shapes) - 1
    statuses = [e.state for e in events if isinstance(e, WorkflowStatusEvent)]
    assert statuses == [WorkflowRunState.IN_PROGRESS, WorkflowRunState.IDLE]
    assert [e.data for e in events if type(e) is WorkflowEvent] == ["custom hi>start"]
    assert workflow.status is WorkflowRunState.IDLE


def test_str_of_events_is_short_and_readable() -> None:
    details = WorkflowErrorDetails("ValueError", "bad input", executor_id="upper")
    cases: list[tuple[WorkflowEvent, str]] = [
        (WorkflowStartedEvent(), "WorkflowStartedEvent()"),
        (
            WorkflowStatusEvent(state=WorkflowRunState.IDLE_WITH_PENDING_REQUESTS),
            "WorkflowStatusEvent(state=IDLE_WITH_PENDING_REQUESTS)",
        ),
        (SuperStepStartedEvent(iteration=2), "SuperStepStartedEvent(iteration=2)"),
        (SuperStepCompletedEvent(iteration=2), "SuperStepCompletedEvent(iteration=2)"),
        (ExecutorInvokedEvent(executor_id="upper"), "ExecutorInvokedEvent(executor_id=upper)"),
        (ExecutorCompletedEvent(executor_id="upper"), "ExecutorCompletedEvent(executor_id=upper)"),
        (
            ExecutorFailedEvent(executor_id="upper", details=details),
            "ExecutorFailedEvent(executor_id=upper, error=ValueError in upper: bad input)",
        ),
        (
            WorkflowFailedEvent(details=details),
            "WorkflowFailedEvent(error=ValueError in upper: bad input)",
        ),
        (
            WorkflowOutputEvent(data="dlrow olleh", source_executor_id="finalize"),
            "WorkflowOutputEvent(data=dlrow olleh, source_executor_id=finalize)",
        ),
        (
            RequestInfoEvent(request_id="r1", source_executor_id="d", request_type="Ask"),
            "RequestInfoEvent(request_id=r1, source_executor_id=d, request_type=Ask)",
        ),
        (
            CheckpointSavedEvent(checkpoint_id="abc", iteration=3),
            "CheckpointSavedEvent(checkpoint_id=abc, iteration=3)",
        ),
    ]
    for event, text in cases:
        assert str(event) == text
        assert repr(event) == text


async def test_run_result_answers_outputs_and_final_state() -> None:
    result = await chain_workflow([Append(id="a")]).run("x", include_status_events=True)
    assert result.get_outputs() == ["x>a"]
    assert result.get_final_state() is WorkflowRunState.IDLE
    assert isinstance(result[0], WorkflowStartedEvent)


async def test_run_without_checkpoint_storage_saves_nothing() -> None:
    result = await chain_workflow([Append(id="a")]).run("x")
    assert not [e for e in result if isinstance(e, CheckpointSavedEvent)]


async def test_an_emit_only_executor_yields_the_run_output() -> None:
    emit = Emit(id="only")
    result = await WorkflowBuilder().set_start_executor(emit).build().run("alone")
    assert result.get_outputs() == ["alone"]
    (output,) = [e for e in result if isinstance(e, WorkflowOutputEvent)]
    assert output.source_executor_id == "only"
