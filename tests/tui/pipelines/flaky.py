"""Two steps; the second fails while ``BROKEN`` is true, as a model that is down would."""

from __future__ import annotations

from wftui import CheckpointStorage, Executor, Workflow, WorkflowBuilder, WorkflowContext, handler

DESCRIPTION = "Prepares the text, then fails until the test repairs it."
DEFAULT_INPUT = "hello"
BROKEN = True


class Prepare(Executor):
    @handler
    async def prepare(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())


class Flaky(Executor):
    @handler
    async def flaky(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        if BROKEN:
            raise ConnectionError("model endpoint refused the connection")
        await ctx.yield_output(text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    prepare, flaky = Prepare(id="prepare"), Flaky(id="flaky")
    builder = WorkflowBuilder().set_start_executor(prepare).add_edge(prepare, flaky)
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
