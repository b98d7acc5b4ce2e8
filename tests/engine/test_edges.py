"""Edge kinds: fan-out, fan-in (also across a checkpoint), switch-case, conditional edges."""

from __future__ import annotations

from typing import Any

from tests.engine.support import Append, Emit, collect, invoked, outputs
from wftui import (
    Case,
    Default,
    Executor,
    InMemoryCheckpointStorage,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowRunState,
    handler,
)


class Join(Executor):
    """Receives the fan-in list and yields it joined."""

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self.calls = 0

    @handler
    async def join(self, parts: list[str], ctx: WorkflowContext[Any, str]) -> None:
        self.calls += 1
        await ctx.yield_output(" + ".join(parts))


async def test_fan_out_sends_each_message_to_every_target() -> None:
    start = Append(id="start")
    targets = [Emit(id="x"), Emit(id="y"), Emit(id="z")]
    workflow = WorkflowBuilder().add_fan_out_edges(start, targets).set_start_executor(start)
    result = await workflow.build().run("m")
    assert sorted(result.get_outputs()) == ["m>start"] * 3
    assert sorted(invoked(result)) == ["start", "x", "y", "z"]


class Numbers(Executor):
    @handler
    async def take(self, value: int, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"number {value}")


class Mixed(Executor):
    @handler
    async def split(self, text: str, ctx: WorkflowContext[str | int]) -> None:
        await ctx.send_message(text)
        await ctx.send_message(len(text))


async def test_fan_out_delivers_only_to_targets_that_accept_the_type() -> None:
    mixed = Mixed(id="mixed")
    workflow = (
        WorkflowBuilder()
        .add_fan_out_edges(mixed, [Emit(id="text"), Numbers(id="numbers")])
        .set_start_executor(mixed)
        .build()
    )
    result = await workflow.run("abc")
    assert sorted(result.get_outputs()) == ["abc", "number 3"]


async def test_fan_in_delivers_one_list_once_every_source_has_sent() -> None:
    start = Append(id="start")
    short, long1, long2 = Append(id="short"), Append(id="long1"), Append(id="long2")
    join = Join(id="join")
    workflow = (
        WorkflowBuilder()
        .add_fan_out_edges(start, [short, long1])
        .add_edge(long1, long2)
        .add_fan_in_edges([short, long2], join)
        .set_start_executor(start)
        .build()
    )
    result = await workflow.run("m")
    assert result.get_outputs() == ["m>start>short + m>start>long1>long2"]
    assert join.calls == 1
    assert invoked(result).count("join") == 1


async def test_fan_in_buffer_survives_a_checkpoint_and_a_fresh_workflow() -> None:
    def build(storage: InMemoryCheckpointStorage) -> Any:
        start = Append(id="start")
        short, long1, long2 = Append(id="short"), Append(id="long1"), Append(id="long2")
        return (
            WorkflowBuilder()
            .add_fan_out_edges(start, [short, long1])
            .add_edge(long1, long2)
            .add_fan_in_edges([short, long2], Join(id="join"))
            .set_start_executor(start)
            .with_checkpointing(checkpoint_storage=storage)
            .build()
        )

    storage = InMemoryCheckpointStorage()
    first = await build(storage).run("m")
    expected = first.get_outputs()
    checkpoints = await storage.list_checkpoints()
    # After superstep 3 short's part waits in the buffer while long2's part is in flight.
    (partial,) = [cp for cp in checkpoints if cp.iteration_count == 3]
    assert partial.fan_in_buffers
    (buffer,) = partial.fan_in_buffers.values()
    assert buffer == {"short": ["m>start>short"]}
    assert partial.next_executor_ids == ["join"]

    resumed = await collect(build(storage).run_stream_from_checkpoint(partial.checkpoint_id))
    assert invoked(resumed) == ["join"]
    assert outputs(resumed) == expected


async def test_switch_case_takes_the_first_matching_case_and_default_takes_the_rest() -> None:
    def build() -> Any:
        start = Append(id="start")
        return (
            WorkflowBuilder()
            .add_switch_case_edge_group(
                start,
                [
                    Case(condition=lambda text: "spam" in text, target=Emit(id="spam")),
                    Case(condition=lambda text: "egg" in text, target=Emit(id="egg")),
                    Default(target=Emit(id="other")),
                ],
            )
            .set_start_executor(start)
            .build()
        )

    for message, winner in [("spam+egg", "spam"), ("egg", "egg"), ("ham", "other")]:
        result = await build().run(message)
        assert invoked(result) == ["start", winner]
        assert result.get_final_state() is WorkflowRunState.IDLE


async def test_conditional_edges_deliver_only_where_the_condition_holds() -> None:
    def is_long(text: str) -> bool:
        return len(text) > 8

    start = Append(id="start")
    workflow = (
        WorkflowBuilder()
        .add_edge(start, Emit(id="long"), condition=is_long)
        .add_edge(start, Emit(id="any"))
        .set_start_executor(start)
        .build()
    )
    assert invoked(await workflow.run("a")) == ["start", "any"]
    assert sorted(invoked(await workflow.run("abcdefghij"))) == ["any", "long", "start"]
    labels = {(e.target_id, e.label) for e in workflow.graph.edges}
    assert labels == {("long", "is_long"), ("any", "")}


class Addressed(Executor):
    """Sends to one target by id."""

    def __init__(self, id: str, target: str) -> None:
        super().__init__(id=id)
        self.target = target

    @handler
    async def send(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text, target_id=self.target)


async def test_target_id_picks_one_edge_and_an_unconnected_target_fails_the_run() -> None:
    def build(target: str) -> Any:
        start = Addressed(id="start", target=target)
        return (
            WorkflowBuilder()
            .add_fan_out_edges(start, [Emit(id="a"), Emit(id="b")])
            .set_start_executor(start)
            .build()
        )

    assert invoked(await build("b").run("m")) == ["start", "b"]
    failed = await build("nowhere").run("m", raise_on_failure=False)
    assert failed.get_final_state() is WorkflowRunState.FAILED
    assert "no edge from start leads there" in str(failed)
