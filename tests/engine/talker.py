"""A run whose state grows like a conversation: one executor loops on itself, appending a
message to its state each superstep, next to a large value it sets once in shared state."""

from __future__ import annotations

from typing import Any

from wftui import Executor, Workflow, WorkflowBuilder, WorkflowContext, handler
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.saves import Durability

BLOB = "b" * 200_000  # the value set once


class Talker(Executor):
    """Turn ``n`` appends message ``n`` to the conversation; stops after ``turns``."""

    def __init__(self, id: str, *, turns: int, message_bytes: int = 500) -> None:
        super().__init__(id=id)
        self.turns = turns
        self.message_bytes = message_bytes

    @handler
    async def turn(self, n: int, ctx: WorkflowContext[int, Any]) -> None:
        state = await ctx.get_state() or {"messages": [], "turns": 0}
        if n == 0:
            await ctx.set_shared_state("document", BLOB)
        said = {
            "role": "user" if n % 2 else "assistant",
            "text": f"{n}:" + "m" * self.message_bytes,
        }
        await ctx.set_state({"messages": [*state["messages"], said], "turns": n + 1})
        if n + 1 < self.turns:
            await ctx.send_message(n + 1)
        else:
            await ctx.yield_output(n + 1)


def talker_workflow(
    storage: CheckpointStorage, turns: int, durability: Durability = "sync"
) -> Workflow:
    talker = Talker("talker", turns=turns)
    return (
        WorkflowBuilder(max_iterations=turns + 1)
        .add_edge(talker, talker)
        .set_start_executor(talker)
        .with_checkpointing(storage, durability=durability)
        .build()
    )
