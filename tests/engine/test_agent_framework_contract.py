"""The engine names and errors that code written for agent-framework's workflows relies on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.engine.support import Append, Emit, Gate, chain_workflow, collect
from wftui import (
    Case,
    Default,
    Executor,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
    handler,
)
from wftui.engine import (
    FanInEdgeGroup,
    FanOutEdgeGroup,
    SingleEdgeGroup,
    SwitchCaseEdgeGroup,
    WorkflowEventSource,
    WorkflowWarningEvent,
)


def test_set_max_iterations_limits_the_run_like_the_constructor_argument() -> None:
    a, b = Append(id="a"), Append(id="b")
    builder = WorkflowBuilder().add_edge(a, b).add_edge(b, a).set_start_executor(a)
    assert builder.set_max_iterations(3) is builder
    assert builder.build().max_iterations == 3
    with pytest.raises(ValueError, match="at least 1"):
        builder.set_max_iterations(0)


async def test_set_max_iterations_stops_a_loop() -> None:
    a, b = Append(id="a"), Append(id="b")
    workflow = (
        WorkflowBuilder().add_edge(a, b).add_edge(b, a).set_start_executor(a).set_max_iterations(4)
    ).build()
    result = await workflow.run("x", raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    (failed,) = [e for e in result if isinstance(e, WorkflowFailedEvent)]
    assert "max_iterations=4" in str(failed)


def test_edge_groups_are_one_class_per_kind_with_their_edges() -> None:
    start, x, y, join, small, big = (
        Append(id="start"),
        Append(id="x"),
        Append(id="y"),
        Emit(id="join"),
        Emit(id="small"),
        Emit(id="big"),
    )

    class Lists(Executor):
        @handler
        async def take(self, parts: list[str], ctx: WorkflowContext[str]) -> None:
            await ctx.send_message(" ".join(parts))

    lists = Lists(id="lists")
    workflow = (
        WorkflowBuilder()
        .add_fan_out_edges(start, [x, y])
        .add_fan_in_edges([x, y], lists)
        .add_switch_case_edge_group(
            lists, [Case(condition=lambda text: len(text) < 9, target=small), Default(big)]
        )
        .add_edge(start, join)
        .set_start_executor(start)
        .build()
    )
    by_class = {type(group): group for group in workflow.edge_groups}
    assert set(by_class) == {FanOutEdgeGroup, FanInEdgeGroup, SwitchCaseEdgeGroup, SingleEdgeGroup}
    fan_in = by_class[FanInEdgeGroup]
    assert list(fan_in.source_executor_ids) == ["x", "y"]
    assert fan_in.target_executor_ids == ["lists"]
    assert {edge.target_id for edge in by_class[FanOutEdgeGroup].edges} == {"x", "y"}
    assert [(e.source_id, e.target_id) for e in by_class[SwitchCaseEdgeGroup].edges] == [
        ("lists", "small"),
        ("lists", "big"),
    ]
    assert len({group.id for group in workflow.edge_groups}) == 4


class Chatty(Executor):
    @handler
    async def speak(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.add_event(WorkflowEvent(data="mine"))
        await ctx.add_event(WorkflowStatusEvent(state=WorkflowRunState.IDLE))
        await ctx.yield_output(text)


async def test_events_say_whether_the_engine_or_executor_code_made_them() -> None:
    chatty = Chatty(id="chatty")
    events = await collect(WorkflowBuilder().set_start_executor(chatty).build().run_stream("hi"))
    started = next(e for e in events if isinstance(e, WorkflowStartedEvent))
    assert started.origin is WorkflowEventSource.FRAMEWORK
    statuses = [e for e in events if isinstance(e, WorkflowStatusEvent)]
    assert [e.origin for e in statuses] == [WorkflowEventSource.FRAMEWORK] * 2
    output = next(e for e in events if isinstance(e, WorkflowOutputEvent))
    assert output.origin is WorkflowEventSource.EXECUTOR
    custom = next(e for e in events if type(e) is WorkflowEvent)
    assert custom.origin is WorkflowEventSource.EXECUTOR

    # An executor cannot pose as the engine: its fake IDLE status became a warning.
    assert [e.state for e in statuses] == [WorkflowRunState.IN_PROGRESS, WorkflowRunState.IDLE]
    (warning,) = [e for e in events if isinstance(e, WorkflowWarningEvent)]
    assert "chatty emitted WorkflowStatusEvent" in warning.data
    assert warning.origin is WorkflowEventSource.EXECUTOR


def test_in_progress_pending_requests_is_a_run_state() -> None:
    assert WorkflowRunState("IN_PROGRESS_PENDING_REQUESTS").name == "IN_PROGRESS_PENDING_REQUESTS"


# --- errors also catchable as the builtin agent-framework raises ---------------------------


def test_definition_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="no start executor"):
        WorkflowBuilder().add_edge(Append(id="a"), Append(id="b")).build()
    with pytest.raises(ValueError, match="non-empty"):
        Append(id="")


def test_a_handler_without_a_message_annotation_fails_where_the_class_is_defined() -> None:
    with pytest.raises(ValueError, match="must annotate 'message'"):

        class Unannotated(Executor):
            @handler
            async def take(self, message, ctx: WorkflowContext[Any]) -> None:  # type: ignore[no-untyped-def]
                pass


def test_a_handler_of_the_wrong_arity_fails_where_the_class_is_defined() -> None:
    with pytest.raises(
        ValueError, match=r"must take \(self, message, ctx\), not \(self, a, b, ctx\)"
    ):

        class TooMany(Executor):
            @handler
            async def take(self, a: str, b: str, ctx: WorkflowContext[Any]) -> None:
                pass


async def test_run_errors_are_the_builtins_agent_framework_raises(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    with pytest.raises(ValueError, match="no checkpoint storage"):
        await collect(chain_workflow([Append(id="a")]).run_stream_from_checkpoint("abc"))
    with pytest.raises(RuntimeError, match="no checkpoint with id"):
        await collect(chain_workflow([Append(id="a")], storage).run_stream_from_checkpoint("abc"))

    events = await collect(
        chain_workflow([Append(id="a"), Append(id="b")], storage).run_stream("x")
    )
    first = next(e for e in events if hasattr(e, "checkpoint_id"))
    other = chain_workflow([Append(id="a"), Append(id="c")], storage)
    with pytest.raises(ValueError, match="different graph"):
        await collect(other.run_stream_from_checkpoint(first.checkpoint_id))


async def test_a_second_concurrent_run_is_a_runtime_error() -> None:
    gate = asyncio.Event()
    workflow = chain_workflow([Gate("gate", gate)], InMemoryCheckpointStorage())
    first = workflow.run_stream("x")
    async for event in first:
        if isinstance(event, WorkflowStatusEvent):
            break  # the first run is under way
    with pytest.raises(RuntimeError, match="already running"):
        await collect(workflow.run_stream("y"))
    gate.set()
    rest = await collect(first)
    assert [e.data for e in rest if isinstance(e, WorkflowOutputEvent)] == ["x>gate"]
