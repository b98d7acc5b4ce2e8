"""WorkflowBuilder: graphs that cannot run are refused at build time, naming what is at fault."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tests.engine.support import Append, Emit
from wftui import (
    Case,
    Default,
    Executor,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowDefinitionError,
    handler,
)


class Numbers(Executor):
    @handler
    async def take(self, value: int, ctx: WorkflowContext[int]) -> None:
        await ctx.send_message(value + 1)


class Anything(Executor):
    @handler
    async def take(self, value: object, ctx: WorkflowContext[Any]) -> None:
        await ctx.send_message(value)


def test_no_start_executor() -> None:
    builder = WorkflowBuilder().add_edge(Append(id="a"), Append(id="b"))
    with pytest.raises(WorkflowDefinitionError, match="no start executor"):
        builder.build()


def test_duplicate_edge_names_both_ends() -> None:
    a, b = Append(id="a"), Append(id="b")
    builder = WorkflowBuilder().add_edge(a, b)
    with pytest.raises(WorkflowDefinitionError, match="duplicate edge a -> b"):
        builder.add_edge(a, b)


def test_duplicate_edge_through_another_edge_kind() -> None:
    a, b, c = Append(id="a"), Append(id="b"), Append(id="c")
    builder = WorkflowBuilder().add_fan_out_edges(a, [b, c])
    with pytest.raises(WorkflowDefinitionError, match="duplicate edge a -> c"):
        builder.add_edge(a, c)


def test_incompatible_types_name_both_ends_and_both_types() -> None:
    text, numbers = Append(id="text"), Numbers(id="numbers")
    builder = WorkflowBuilder().add_edge(text, numbers).set_start_executor(text)
    with pytest.raises(WorkflowDefinitionError) as raised:
        builder.build()
    message = str(raised.value)
    assert "text -> numbers" in message
    assert "sends str" in message
    assert "accepts int" in message


def test_object_handlers_and_undeclared_outputs_are_never_refused() -> None:
    numbers, anything, text = Numbers(id="numbers"), Anything(id="anything"), Append(id="text")
    workflow = (
        WorkflowBuilder().add_chain([numbers, anything, text]).set_start_executor(numbers).build()
    )
    assert [e.id for e in workflow.graph.executors] == ["numbers", "anything", "text"]


def test_unreachable_executor_is_named() -> None:
    a, b, c, d = Append(id="a"), Append(id="b"), Append(id="c"), Append(id="d")
    builder = WorkflowBuilder().add_edge(a, b).add_edge(c, d).set_start_executor(a)
    with pytest.raises(WorkflowDefinitionError, match=r"not reachable .* a: c, d"):
        builder.build()


def test_two_executors_with_one_id() -> None:
    builder = WorkflowBuilder().add_edge(Append(id="same"), Append(id="other"))
    with pytest.raises(WorkflowDefinitionError, match="'same'"):
        builder.add_edge(Append(id="same"), Emit(id="out"))


@pytest.mark.parametrize("limit", [0, -3])
def test_max_iterations_below_one(limit: int) -> None:
    with pytest.raises(WorkflowDefinitionError, match=f"max_iterations.*{limit}"):
        WorkflowBuilder(max_iterations=limit)


def test_switch_default_must_be_last_and_unique() -> None:
    a, b, c = Append(id="a"), Append(id="b"), Append(id="c")
    with pytest.raises(WorkflowDefinitionError, match="switch from a"):
        WorkflowBuilder().add_switch_case_edge_group(
            a, [Default(target=b), Case(condition=lambda _: True, target=c)]
        )


def test_graph_is_described_for_uis_and_its_signature_is_stable() -> None:
    def build() -> Any:
        a, b, c = Append(id="a"), Append(id="b"), Emit(id="c")
        return (
            WorkflowBuilder(name="g")
            .add_switch_case_edge_group(
                a, [Case(condition=lambda text: "x" in text, target=b), Default(target=c)]
            )
            .add_edge(b, c)
            .set_start_executor(a)
            .build()
        )

    first, second = build(), build()
    assert first.signature == second.signature
    graph = first.graph
    assert graph.start_executor_id == "a"
    assert [(e.id, e.type_name, e.input_types) for e in graph.executors] == [
        ("a", "Append", ["str"]),
        ("b", "Append", ["str"]),
        ("c", "Emit", ["str"]),
    ]
    assert [(e.source_id, e.target_id, e.kind, e.label) for e in graph.edges] == [
        ("a", "b", "switch", "condition"),
        ("a", "c", "switch", "default"),
        ("b", "c", "direct", ""),
    ]
    a, b = Append(id="a"), Emit(id="b")
    other = WorkflowBuilder().add_edge(a, b).set_start_executor(a).build()
    assert other.signature != first.signature


collector_on: list[bool] = []  # the collector's state each time the builder looked


class Probe(Anything):
    """Notes whether the cyclic collector runs whenever the builder looks at its types."""

    @property
    def input_types(self) -> list[Any]:
        collector_on.append(gc.isenabled())
        return super().input_types


class Provided:
    """An executor provider (as agents are) that notes the collector's state when asked."""

    def __init__(self, name: str) -> None:
        self.name = name

    def as_executor(self) -> Executor:
        collector_on.append(gc.isenabled())
        return Anything(id=self.name)


def test_a_wide_graph_is_built_without_the_cyclic_collector_and_leaves_it_on() -> None:
    """Building a graph of thousands of executors made that many objects, and the full
    collections they set off walked the whole heap: a build of 3,000 took 4-5 times one of
    1,000. The collector is off while the builder adds a group and builds, on again after,
    after a refusal too."""
    collector_on.clear()
    start, end = Anything(id="start"), Probe(id="end")
    middle = [Provided(f"w{i}") for i in range(3_000)]
    builder = WorkflowBuilder().set_start_executor(start).add_fan_out_edges(start, middle)
    builder.add_fan_in_edges(middle, end).build()
    assert collector_on and not any(collector_on) and gc.isenabled()
    with pytest.raises(WorkflowDefinitionError, match="duplicate edge"):
        builder.add_fan_out_edges(start, middle)
    assert gc.isenabled()
