"""Two steps; the second waits at a gate the test opens, so a run can be watched while it runs."""

from __future__ import annotations

import asyncio

from wftui import CheckpointStorage, Executor, Workflow, WorkflowBuilder, WorkflowContext, handler

DESCRIPTION = "Passes the text on, then waits for the test to open the gate."
DEFAULT_INPUT = "go"


class Gate:
    """Opened by the test; ``reached`` tells the test the run is waiting."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()


GATE = Gate()


class First(Executor):
    @handler
    async def first(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text + "!")


class Hold(Executor):
    @handler
    async def hold(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        GATE.reached.set()
        await GATE.opened.wait()
        await ctx.yield_output(text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    first, hold = First(id="first"), Hold(id="hold")
    builder = WorkflowBuilder().set_start_executor(first).add_edge(first, hold)
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
