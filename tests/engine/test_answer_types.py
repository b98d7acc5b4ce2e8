"""Typed-in answers (CLI flags, app dialogs) arrive as the type the asking handler declares."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wftui import (
    Executor,
    InMemoryCheckpointStorage,
    RequestInfoExecutor,
    RequestInfoMessage,
    RequestResponse,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowRunError,
    handler,
)


@dataclass
class HowMany(RequestInfoMessage):
    question: str = ""


@dataclass
class Verdict:
    approved: bool
    note: str = ""


@dataclass
class Review(RequestInfoMessage):
    draft: str = ""


class Asker(Executor):
    @handler
    async def ask(self, text: str, ctx: WorkflowContext[HowMany | Review]) -> None:
        await ctx.send_message(HowMany(question=f"how many {text}?"))
        await ctx.send_message(Review(draft=text))

    @handler
    async def on_count(
        self, reply: RequestResponse[HowMany, int], ctx: WorkflowContext[None, str]
    ) -> None:
        await ctx.yield_output(f"count={reply.data!r}")

    @handler
    async def on_review(
        self, reply: RequestResponse[Review, Verdict], ctx: WorkflowContext[None, str]
    ) -> None:
        await ctx.yield_output(f"verdict={reply.data!r}")


def build(storage: InMemoryCheckpointStorage) -> Workflow:
    asker, requests = Asker(id="asker"), RequestInfoExecutor(id="requests")
    return (
        WorkflowBuilder()
        .set_start_executor(asker)
        .add_edge(asker, requests)
        .add_edge(requests, asker)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def pending_ids(workflow: Workflow) -> dict[str, str]:
    result = await workflow.run("apples")
    return {type(e.data).__name__: e.request_id for e in result.get_request_info_events()}


async def test_text_answers_become_the_declared_types() -> None:
    storage = InMemoryCheckpointStorage()
    workflow = build(storage)
    ids = await pending_ids(workflow)
    result = await workflow.send_responses(
        {ids["HowMany"]: "5", ids["Review"]: '{"approved": true, "note": "ship it"}'}
    )
    assert sorted(result.get_outputs()) == [
        "count=5",
        "verdict=Verdict(approved=True, note='ship it')",
    ]


async def test_typed_answers_pass_through_unchanged() -> None:
    workflow = build(InMemoryCheckpointStorage())
    ids = await pending_ids(workflow)
    result = await workflow.send_responses(
        {ids["HowMany"]: 7, ids["Review"]: Verdict(approved=False)}
    )
    assert sorted(result.get_outputs()) == [
        "count=7",
        "verdict=Verdict(approved=False, note='')",
    ]


async def test_an_answer_that_does_not_fit_is_refused_before_anything_runs() -> None:
    storage = InMemoryCheckpointStorage()
    workflow = build(storage)
    ids = await pending_ids(workflow)
    checkpoint = (await storage.list_checkpoints())[-1]
    with pytest.raises(WorkflowRunError) as caught:
        await build(storage).run_from_checkpoint(
            checkpoint.checkpoint_id, responses={ids["HowMany"]: "lots"}
        )
    message = str(caught.value)
    assert "'lots'" in message and "does not fit int" in message
    assert "valid integer" in message
    assert "\n" not in message
    assert len(await storage.list_checkpoints()) == 3  # nothing ran, nothing was saved
