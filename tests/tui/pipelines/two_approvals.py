"""Two drafters ask at once (a fan-out), so two questions are open together."""

from __future__ import annotations

from pipelines.approval import Drafter
from wftui import (
    CheckpointStorage,
    Executor,
    RequestInfoExecutor,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)

DESCRIPTION = "Two drafters each ask a person to approve their draft."
DEFAULT_INPUT = "hello"


class Split(Executor):
    @handler
    async def split(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    split = Split(id="split")
    left, right = Drafter(id="left"), Drafter(id="right")
    ask_left, ask_right = RequestInfoExecutor(id="ask_left"), RequestInfoExecutor(id="ask_right")
    builder = (
        WorkflowBuilder()
        .set_start_executor(split)
        .add_fan_out_edges(split, [left, right])
        .add_edge(left, ask_left)
        .add_edge(ask_left, left)
        .add_edge(right, ask_right)
        .add_edge(ask_right, right)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
