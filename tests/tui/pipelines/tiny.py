"""Two steps, three checkpoints: the smallest run that journals every kind of change, for the
tests that fill a store from several processes while the app watches."""

from __future__ import annotations

from typing import Any

from wftui import CheckpointStorage, Executor, Workflow, WorkflowBuilder, WorkflowContext, handler

DEFAULT_INPUT = "tiny"


class Shout(Executor):
    @handler
    async def shout(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())


class Out(Executor):
    @handler
    async def out(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    shout = Shout(id="shout")
    builder = WorkflowBuilder(name="tiny").add_chain([shout, Out(id="out")])
    builder.set_start_executor(shout)
    if checkpoint_storage is not None:
        builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
