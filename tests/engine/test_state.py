"""Executor state and shared state: staged in a superstep, committed at its boundary."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.engine.support import Append, chain_workflow, collect, outputs
from wftui import (
    Executor,
    ExecutorFailedEvent,
    InMemoryCheckpointStorage,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    WorkflowRunState,
    handler,
)

GUARD_SECONDS = 10


class Writer(Executor):
    """Writes shared and own state, reads its own writes back, then lets the reader go."""

    def __init__(self, id: str, written: asyncio.Event) -> None:
        super().__init__(id=id)
        self.written = written
        self.read_back: list[Any] = []

    @handler
    async def write(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.set_shared_state("key", f"from {self.id}")
        await ctx.set_state({"wrote": True})
        self.read_back = [await ctx.get_shared_state("key"), await ctx.get_state()]
        self.written.set()
        await ctx.send_message(text)


class Reader(Executor):
    """Looks for the writer's shared value in the same superstep, after the writer wrote it."""

    def __init__(self, id: str, written: asyncio.Event) -> None:
        super().__init__(id=id)
        self.written = written
        self.seen: list[str] = []

    @handler
    async def read(self, text: str, ctx: WorkflowContext[str]) -> None:
        await asyncio.wait_for(self.written.wait(), GUARD_SECONDS)
        try:
            self.seen.append(await ctx.get_shared_state("key"))
        except KeyError:
            self.seen.append("missing")
        await ctx.send_message(text)


class Gather(Executor):
    """Reports what shared state holds a superstep later."""

    @handler
    async def report(self, texts: list[str], ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(await ctx.get_shared_state("key"))


async def test_shared_state_is_visible_to_the_writer_now_and_to_others_next_superstep() -> None:
    written = asyncio.Event()
    start = Append(id="start")
    writer, reader = Writer("writer", written), Reader("reader", written)
    gather = Gather(id="gather")
    workflow = (
        WorkflowBuilder()
        .add_fan_out_edges(start, [writer, reader])
        .add_fan_in_edges([writer, reader], gather)
        .set_start_executor(start)
        .build()
    )
    result = await workflow.run("go")
    assert writer.read_back == ["from writer", {"wrote": True}]
    assert reader.seen == ["missing"]
    assert result.get_outputs() == ["from writer"]


class Breaker(Executor):
    """Fails after the writer has staged its writes."""

    def __init__(self, id: str, written: asyncio.Event) -> None:
        super().__init__(id=id)
        self.written = written

    @handler
    async def fail(self, text: str, ctx: WorkflowContext[str]) -> None:
        await asyncio.wait_for(self.written.wait(), GUARD_SECONDS)
        raise ValueError("breaker broke")


async def test_a_failed_superstep_commits_nothing() -> None:
    storage = InMemoryCheckpointStorage()
    written = asyncio.Event()
    start = Append(id="start")
    writer, breaker = Writer("writer", written), Breaker("breaker", written)
    workflow = (
        WorkflowBuilder()
        .add_fan_out_edges(start, [writer, breaker])
        .add_fan_in_edges([writer, breaker], Gather(id="gather"))
        .set_start_executor(start)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )
    result = await workflow.run("go", raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    assert writer.read_back == ["from writer", {"wrote": True}]
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.error is not None
    assert latest.error["executor_id"] == "breaker"
    # The failed checkpoint holds the state before the failed superstep, nothing staged in it.
    assert "key" not in latest.shared_state
    assert "writer" not in latest.executor_states
    assert latest.iteration_count == 1
    assert sorted(latest.next_executor_ids) == ["breaker", "writer"]


class Counter(Executor):
    """Counts its calls in its own state; the state handed out is a copy."""

    @handler
    async def count(self, n: int, ctx: WorkflowContext[int, dict[str, Any]]) -> None:
        state = await ctx.get_state()
        if state is None:
            state = {"calls": 0, "history": []}
        state["calls"] += 1
        state["history"].append(n)
        await ctx.set_state(state)
        state["history"].append("changed after set_state")
        if n < 3:
            await ctx.send_message(n + 1)
        else:
            await ctx.yield_output(await ctx.get_state())


async def test_executor_state_persists_across_supersteps_and_is_checkpointed() -> None:
    storage = InMemoryCheckpointStorage()
    counter = Counter(id="counter")
    workflow = (
        WorkflowBuilder()
        .add_edge(counter, counter)
        .set_start_executor(counter)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )
    result = await workflow.run(1)
    assert result.get_outputs() == [{"calls": 3, "history": [1, 2, 3]}]
    checkpoints = await storage.list_checkpoints()
    assert [cp.executor_states.get("counter") for cp in checkpoints] == [
        None,
        {"calls": 1, "history": [1]},
        {"calls": 2, "history": [1, 2]},
        {"calls": 3, "history": [1, 2, 3]},
    ]


async def test_each_executor_has_its_own_state() -> None:
    storage = InMemoryCheckpointStorage()
    result = await chain_workflow([Append(id="a"), Append(id="b")], storage).run("x")
    assert result.get_outputs() == ["x>a>b"]
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.executor_states == {"a": {"calls": 1}, "b": {"calls": 1}}


async def test_reading_a_shared_key_never_set_raises_key_error() -> None:
    class Curious(Executor):
        @handler
        async def look(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
            try:
                await ctx.get_shared_state("nothing")
            except KeyError as error:
                await ctx.yield_output(str(error))

    result = await WorkflowBuilder().set_start_executor(Curious(id="c")).build().run("x")
    assert result.get_outputs() == ["\"shared state has no key 'nothing'\""]


class Hoarder(Executor):
    """Keeps a value that cannot be written as JSON."""

    def __init__(self, id: str, make: Callable[[], Any], where: str) -> None:
        super().__init__(id=id)
        self.make, self.where = make, where

    @handler
    async def hoard(self, text: str, ctx: WorkflowContext[str]) -> None:
        value = self.make()
        try:
            if self.where == "state":
                await ctx.set_state({"cache": ["ok", value]})
            else:
                await ctx.set_shared_state("handle", value)
        finally:
            if isinstance(value, socket.socket):
                value.close()
        await ctx.send_message(text)


@pytest.mark.parametrize(
    ("where", "path"),
    [("state", "executor_states.hoarder"), ("shared", "shared_state.handle")],
)
@pytest.mark.parametrize("make", [socket.socket, lambda: lambda: None], ids=["socket", "lambda"])
async def test_a_value_that_cannot_be_encoded_fails_the_executor_naming_its_path(
    where: str, path: str, make: Callable[[], Any]
) -> None:
    storage = InMemoryCheckpointStorage()
    workflow = chain_workflow([Hoarder("hoarder", make, where)], storage)
    events = await collect(workflow.run_stream("x", raise_on_failure=False))
    (failed,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    assert failed.executor_id == "hoarder"
    assert failed.details is not None
    assert path in failed.details.message
    assert [e for e in events if isinstance(e, WorkflowFailedEvent)]
    assert not outputs(events)
    assert workflow.status is WorkflowRunState.FAILED
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.error is not None
    assert latest.executor_states == {}


class SendsAFunction(Executor):
    @handler
    async def send(self, text: str, ctx: WorkflowContext[Any]) -> None:
        await ctx.send_message(lambda: text)


class Swallow(Executor):
    @handler
    async def take(self, value: object, ctx: WorkflowContext[Any]) -> None:
        pass


async def test_a_message_that_cannot_be_saved_fails_the_run_naming_its_path() -> None:
    storage = InMemoryCheckpointStorage()
    sender = SendsAFunction(id="sender")
    workflow = (
        WorkflowBuilder()
        .add_edge(sender, Swallow(id="sink"))
        .set_start_executor(sender)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )
    result = await workflow.run("x", raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    (failed,) = [e for e in result if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    assert failed.details.error_type == "CheckpointEncodingError"
    assert "messages.sender[0].data" in failed.details.message
    # The send itself is refused (issue 12), failing the sender: the failed checkpoint holds the
    # input again; never a silently skipped checkpoint, never a message saved that cannot load.
    checkpoints = await storage.list_checkpoints()
    assert [cp.iteration_count for cp in checkpoints] == [0, 0]
    assert checkpoints[-1].error is not None
    assert checkpoints[-1].error["executor_id"] == "sender"
