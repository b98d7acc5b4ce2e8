"""A chain whose step 'slow' waits, while GATE names a file, until that file exists.

The CLI and engine tests copy this file into a scratch folder and run it in a subprocess, so it
can be stopped or killed mid-run at a known step. CHAIN_STEPS names the steps (default a,slow,c).
Each step counts its calls in its state and keeps its input in the shared state, so a resumed run
shows which steps ran again.
"""

import asyncio
import os
from pathlib import Path
from typing import Any

from wftui import CheckpointStorage, Executor, Workflow, WorkflowBuilder, WorkflowContext, handler

DEFAULT_INPUT = "x"


class Step(Executor):
    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        state = await ctx.get_state() or {}
        await ctx.set_state({"calls": state.get("calls", 0) + 1})
        await ctx.set_shared_state(self.id, text)
        gate = os.environ.get("GATE")
        if self.id == "slow" and gate:
            while not Path(gate).exists():
                await asyncio.sleep(0.01)
        await ctx.send_message(f"{text}>{self.id}")


class Out(Executor):
    @handler
    async def out(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    names = os.environ.get("CHAIN_STEPS", "a,slow,c").split(",")
    steps = [Step(id=name) for name in names]
    builder = WorkflowBuilder(name="slow_chain").add_chain([*steps, Out(id="out")])
    builder.set_start_executor(steps[0])
    if checkpoint_storage is not None:
        builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
