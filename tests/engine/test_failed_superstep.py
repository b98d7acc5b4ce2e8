"""A failed superstep keeps what its finished executors wrote, so a resume does not redo them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from wftui import (
    Executor,
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    FileCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    handler,
)


class Split(Executor):
    @handler
    async def split(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)


class Costly(Executor):
    """Stands in for an expensive LLM call: counts how often it really runs."""

    def __init__(self, id: str, calls: list[str]) -> None:
        super().__init__(id=id)
        self._calls = calls

    @handler
    async def work(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        for _ in range(3):
            await asyncio.sleep(0)  # still busy when its sibling fails
        self._calls.append(self.id)
        await ctx.set_state({"done": text})
        await ctx.set_shared_state("costly_result", text.upper())
        await ctx.yield_output(f"costly saw {text}")
        await ctx.send_message(f"{self.id}:{text.upper()}")


class Fragile(Executor):
    def __init__(self, id: str, broken: bool) -> None:
        super().__init__(id=id)
        self._broken = broken

    @handler
    async def work(self, text: str, ctx: WorkflowContext[str]) -> None:
        if self._broken:
            raise RuntimeError("quota exceeded")
        await ctx.send_message(f"{self.id}:{text}")


class Join(Executor):
    @handler
    async def join(self, parts: list[str], ctx: WorkflowContext[None, str]) -> None:
        shared = await ctx.get_shared_state("costly_result")
        await ctx.yield_output(f"{' + '.join(sorted(parts))} ({shared})")


def build(storage: FileCheckpointStorage, calls: list[str], broken: bool) -> Workflow:
    split, costly = Split(id="split"), Costly(id="costly", calls=calls)
    fragile, join = Fragile(id="fragile", broken=broken), Join(id="join")
    return (
        WorkflowBuilder()
        .set_start_executor(split)
        .add_fan_out_edges(split, [costly, fragile])
        .add_fan_in_edges([costly, fragile], join)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def test_finished_siblings_are_replayed_not_rerun(tmp_path: Path) -> None:
    calls: list[str] = []
    first = await build(FileCheckpointStorage(tmp_path), calls, broken=True).run(
        "go", raise_on_failure=False
    )
    assert calls == ["costly"]  # its sibling's failure did not cancel it
    assert [e.executor_id for e in first if isinstance(e, ExecutorFailedEvent)] == ["fragile"]
    assert any(isinstance(e, WorkflowFailedEvent) for e in first)
    assert first.get_outputs() == ["costly saw go"]

    storage = FileCheckpointStorage(tmp_path)  # as a fresh process would open it
    failed = await storage.get_latest()
    assert failed is not None and failed.error is not None
    assert set(failed.completed_writes) == {"costly"}
    on_disk = json.loads((tmp_path / f"{failed.checkpoint_id}.json").read_text())
    assert on_disk["completed_writes"]["costly"]["state"] == {"done": "go"}

    resumed = await build(storage, calls, broken=False).run_from_checkpoint(failed.checkpoint_id)
    assert calls == ["costly"]  # replayed from the checkpoint, not called again
    invoked = [e.executor_id for e in resumed if isinstance(e, ExecutorInvokedEvent)]
    assert invoked == ["fragile", "join"]
    replayed = [
        e for e in resumed if isinstance(e, ExecutorCompletedEvent) and e.executor_id == "costly"
    ]
    assert [e.data for e in replayed] == ["replayed from checkpoint"]
    outputs = [e.data for e in resumed if isinstance(e, WorkflowOutputEvent)]
    assert outputs == ["costly saw go", "costly:GO + fragile:go (GO)"]

    latest = await storage.get_latest()
    assert latest is not None and latest.error is None and not latest.completed_writes
    assert latest.executor_states["costly"] == {"done": "go"}


async def test_the_good_checkpoint_before_the_failure_still_reruns_everything(
    tmp_path: Path,
) -> None:
    calls: list[str] = []
    await build(FileCheckpointStorage(tmp_path), calls, broken=True).run(
        "go", raise_on_failure=False
    )
    storage = FileCheckpointStorage(tmp_path)
    before = [cp for cp in await storage.list_checkpoints() if cp.error is None][-1]
    assert not before.completed_writes
    resumed = await build(storage, calls, broken=False).run_from_checkpoint(before.checkpoint_id)
    assert calls == ["costly", "costly"]
    assert resumed.get_outputs()[-1] == "costly:GO + fragile:go (GO)"
