"""Defining executors and graphs the way agent-framework code does."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import wftui
import wftui.engine
from tests.engine.support import Emit
from wftui import (
    Executor,
    FunctionExecutor,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowRunState,
    executor,
    handler,
)

ENGINE_NAMES_USERS_IMPORT = (
    "Message", "FunctionExecutor", "executor", "FanOutEdgeGroup", "FanInEdgeGroup",
    "SwitchCaseEdgeGroup", "SingleEdgeGroup", "WorkflowEventSource", "WorkflowWarningEvent",
    "WorkflowFailedError",
)  # fmt: skip


@pytest.mark.parametrize("name", ENGINE_NAMES_USERS_IMPORT)
def test_the_engine_names_are_the_top_level_ones(name: str) -> None:
    assert getattr(wftui, name) is getattr(wftui.engine, name)


async def test_a_decorated_async_function_is_an_executor_typed_by_its_signature() -> None:
    @executor(id="upper")
    async def to_upper(text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())

    assert isinstance(to_upper, FunctionExecutor)
    assert (to_upper.id, to_upper.input_types, to_upper.output_types) == ("upper", [str], [str])
    workflow = WorkflowBuilder().add_edge(to_upper, Emit(id="out")).set_start_executor(to_upper)
    assert (await workflow.build().run("hi")).get_outputs() == ["HI"]


async def test_a_plain_function_runs_in_a_worker_thread_and_is_named_after_itself() -> None:
    threads: list[int] = []

    @executor
    def record(number: int) -> None:
        threads.append(threading.get_ident())

    assert record.id == "record" and record.output_types == []
    result = await WorkflowBuilder().set_start_executor(record).build().run(3)
    assert result.get_final_state() is WorkflowRunState.IDLE
    assert threads and threads[0] != threading.get_ident()


async def test_a_function_executor_with_context_can_yield_outputs() -> None:
    @executor
    async def double(number: int, ctx: WorkflowContext[Any, int]) -> None:
        await ctx.yield_output(number * 2)

    assert (await WorkflowBuilder().set_start_executor(double).build().run(4)).get_outputs() == [8]


def test_function_shapes_are_checked_when_decorated() -> None:
    async def three(a: str, ctx: WorkflowContext[str], extra: int) -> None: ...
    async def unannotated(a, ctx: WorkflowContext[str]) -> None: ...  # type: ignore[no-untyped-def]
    async def bare_ctx_param(a: str, ctx) -> None: ...  # type: ignore[no-untyped-def]
    async def wrong_ctx(a: str, ctx: str) -> None: ...

    shape = r"must have \(message: T\) or \(message: T, ctx: WorkflowContext\[U\]\)"
    with pytest.raises(ValueError, match=shape):
        executor(three)
    with pytest.raises(ValueError, match="type annotation for the message parameter 'a'"):
        executor(unannotated)
    with pytest.raises(ValueError, match="must have a WorkflowContext annotation on 'ctx'"):
        executor(bare_ctx_param)
    with pytest.raises(ValueError, match="must be annotated as WorkflowContext"):
        executor(wrong_ctx)


class AnyOut(Executor):
    @handler
    async def take(self, text: str, ctx: WorkflowContext[Any]) -> None:
        await ctx.send_message(len(text))


class Undeclared(Executor):
    @handler
    async def take(self, text: str, ctx: WorkflowContext) -> None:  # type: ignore[type-arg]
        await ctx.send_message(text)


def test_context_of_any_declares_any_and_a_bare_context_declares_nothing() -> None:
    assert AnyOut(id="a").output_types == [Any]
    assert Undeclared(id="u").output_types is None


async def test_a_context_of_any_sends_whatever_it_likes() -> None:
    class Count(Executor):
        @handler
        async def take(self, number: int, ctx: WorkflowContext[Any, int]) -> None:
            await ctx.yield_output(number)

    source = AnyOut(id="a")
    workflow = WorkflowBuilder().add_edge(source, Count(id="c")).set_start_executor(source)
    assert (await workflow.build().run("four")).get_outputs() == [4]


async def test_a_shared_state_key_a_checkpoint_cannot_store_fails_at_the_call() -> None:
    class BadKey(Executor):
        @handler
        async def take(self, text: str, ctx: WorkflowContext[str]) -> None:
            await ctx.set_shared_state("\ud800", text)

    workflow = WorkflowBuilder().set_start_executor(BadKey(id="bad")).build()
    with pytest.raises(RuntimeError, match="in bad: ValueError: bad: the shared state key"):
        await workflow.run("x")
    result = await workflow.run("x", raise_on_failure=False)
    (failed,) = [e for e in result if type(e).__name__ == "ExecutorFailedEvent"]
    assert failed.details is not None and "lone surrogate" in failed.details.message


def test_duplicate_edges_are_still_refused() -> None:
    a, b = Emit(id="a"), Emit(id="b")
    builder = WorkflowBuilder().add_edge(a, b)
    with pytest.raises(ValueError, match="duplicate edge a -> b"):
        builder.add_fan_out_edges(a, [b])


def test_the_private_handler_layout_agent_framework_code_reads_mirrors_the_specs() -> None:
    class TwoHandlers(Executor):
        @handler
        async def text(self, text: str, ctx: WorkflowContext[str]) -> None: ...

        @handler
        async def number(self, number: int, ctx: WorkflowContext) -> None: ...  # type: ignore[type-arg]

    two = TwoHandlers(id="two")
    assert set(two._handlers) == {str, int}
    assert two._handlers[str]._handler_spec == {  # type: ignore[attr-defined]
        "name": "text", "message_type": str, "output_types": [str], "workflow_output_types": [],
    }  # fmt: skip
    assert two._handlers[int]._handler_spec["output_types"] == []  # type: ignore[attr-defined]
    assert [spec["name"] for spec in two._handler_specs] == ["text", "number"]
