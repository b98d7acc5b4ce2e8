"""What a graph mismatch says changed: executors removed and added, renames, class changes,
handler input types, edges and the start executor, as a short list; and handler types alone
refuse a resume, also of a checkpoint signed before they were part of the signature."""

from __future__ import annotations

from typing import Any

import pytest

from wftui import Executor, GraphMismatchError, Workflow, WorkflowBuilder, WorkflowContext, handler
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.engine.graph import GraphRecord, graph_differences


def record(
    executors: dict[str, str],
    edges: list[tuple[str, str]],
    inputs: dict[str, list[str]] | None = None,
    start: str = "a",
) -> GraphRecord:
    return GraphRecord(
        start=start,
        executors=executors,
        edges=[(source, target, "direct") for source, target in edges],
        inputs=inputs or {},
    )


CHAIN: dict[str, Any] = {
    "executors": {"a": "Step", "b": "Step", "c": "Out"},
    "edges": [("a", "b"), ("b", "c")],
    "inputs": {"a": ["str"], "b": ["str"], "c": ["str"]},
}


def test_a_rename_is_one_line_and_its_edges_are_not_listed_again() -> None:
    renamed = record(
        {"a": "Step", "brittle": "Step", "c": "Out"},
        [("a", "brittle"), ("brittle", "c")],
        {"a": ["str"], "brittle": ["str"], "c": ["str"]},
    )
    assert graph_differences(record(**CHAIN), renamed) == ["renamed b -> brittle"]


def test_changed_handler_types_name_the_executor_and_both_sides() -> None:
    changed = record(**{**CHAIN, "inputs": {"a": ["str"], "b": ["bytes", "str"], "c": ["int"]}})
    assert graph_differences(record(**CHAIN), changed) == [
        "handler input types changed: b (str -> bytes, str)",
        "handler input types changed: c (str -> int)",
    ]


def test_a_new_name_with_other_handler_types_is_not_a_rename() -> None:
    other = record(
        {"a": "Step", "d": "Step", "c": "Out"},
        [("a", "d"), ("d", "c")],
        {"a": ["str"], "d": ["int"], "c": ["str"]},
    )
    assert graph_differences(record(**CHAIN), other) == [
        "executors missing here: b",
        "executors not in the checkpoint: d",
        "edges differ; only in checkpoint: a->b, b->c; only here: a->d, d->c",
    ]


def test_two_alike_executors_gone_and_one_new_is_no_guess() -> None:
    before = record({"a": "Step", "b": "Step", "c": "Step"}, [("a", "b"), ("a", "c")])
    after = record({"a": "Step", "d": "Step"}, [("a", "d")])
    assert graph_differences(before, after)[:2] == [
        "executors missing here: b, c",
        "executors not in the checkpoint: d",
    ]


def test_a_checkpoint_without_recorded_handler_types_matches_renames_by_class() -> None:
    old = record(CHAIN["executors"], CHAIN["edges"])  # written before inputs were recorded
    renamed = record(
        {"a": "Step", "z": "Step", "c": "Out"},
        [("a", "z"), ("z", "c")],
        {"a": ["str"], "z": ["str"], "c": ["str"]},
    )
    assert graph_differences(old, renamed) == ["renamed b -> z"]


def test_class_changes_and_the_start_executor_say_from_what_to_what() -> None:
    changed = record(
        {"a": "Step", "b": "Other", "c": "Out"}, CHAIN["edges"], CHAIN["inputs"], start="b"
    )
    assert graph_differences(record(**CHAIN), changed) == [
        "executor types changed: b (Step -> Other)",
        "start executor a vs b",
    ]


class Shout(Executor):
    @handler
    async def shout(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())


class Out(Executor):
    @handler
    async def out(self, text: str, ctx: WorkflowContext[None, str]) -> None:
        await ctx.yield_output(text)


class OutEdited(Executor):
    """``Out`` after an edit that made its handler take bytes too."""

    @handler
    async def out(self, text: str | bytes, ctx: WorkflowContext[None, str]) -> None:
        await ctx.yield_output(str(text))


OutEdited.__name__ = "Out"


def two_steps(storage: InMemoryCheckpointStorage, out: type[Executor]) -> Workflow:
    shout = Shout(id="shout")
    return (
        WorkflowBuilder(name="two")
        .set_start_executor(shout)
        .add_edge(shout, out(id="out"))
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def signed_as_before(storage: InMemoryCheckpointStorage, workflow: Workflow) -> str:
    """Run ``workflow`` and sign its checkpoints as a wftui did before handler types were
    signed; returns the checkpoint whose message waits for ``out``."""
    await workflow.run("hi")
    shape = workflow.graph.shape_signature()
    checkpoints = await storage.list_checkpoints()
    for checkpoint in checkpoints:
        await storage.save_checkpoint(checkpoint.model_copy(update={"graph_signature": shape}))
    return next(c.checkpoint_id for c in checkpoints if c.next_executor_ids == ["out"])


async def test_handler_types_alone_change_the_signature() -> None:
    storage = InMemoryCheckpointStorage()
    before, after = two_steps(storage, Out), two_steps(storage, OutEdited)
    assert before.graph.shape_signature() == after.graph.shape_signature()
    assert before.signature != after.signature


async def test_a_checkpoint_signed_before_handler_types_resumes_while_they_still_match() -> None:
    storage = InMemoryCheckpointStorage()
    waiting = await signed_as_before(storage, two_steps(storage, Out))

    result = await two_steps(storage, Out).run_from_checkpoint(waiting)

    assert result.get_outputs() == ["HI"]


async def test_a_checkpoint_signed_before_handler_types_is_refused_when_they_changed() -> None:
    storage = InMemoryCheckpointStorage()
    waiting = await signed_as_before(storage, two_steps(storage, Out))

    with pytest.raises(GraphMismatchError) as refused:
        await two_steps(storage, OutEdited).run_from_checkpoint(waiting)

    assert refused.value.differences == ["handler input types changed: out (str -> str | bytes)"]
    assert f"checkpoint {waiting[-8:]} was written by a different graph" in refused.value.head
