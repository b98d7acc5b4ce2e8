"""A journaled run that waits for its saves after a superstep (``sync`` mode, or any run at its
end) has its begin written and its entries made meanwhile, while the loop would idle, instead
of after the wait, when the run's end waits for them (``JournalWriter._use_rest``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.checkpoint.support import executions_once_listed, journaled_in_background
from wftui import Executor, InMemoryCheckpointStorage, WorkflowBuilder, WorkflowContext, handler
from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.journal import Execution, writer
from wftui.journal.files import FileJournal


class GatedStorage(InMemoryCheckpointStorage):
    """Saves the checkpoints after the first one only once the test opens the gate."""

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate
        self.saves = 0

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        self.saves += 1
        if self.saves > 1:
            await self.gate.wait()
        return await super().save_checkpoint(checkpoint, encoded=encoded)


class Echo(Executor):
    @handler
    async def echo(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


async def test_the_begin_is_written_while_the_run_waits_for_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for timer in ("BEGIN_AFTER_SECONDS", "COALESCE_SECONDS", "FLUSH_SECONDS"):
        monkeypatch.setattr(writer, timer, 3600.0)  # only the rest may write the begin
    gate = asyncio.Event()
    storage = GatedStorage(gate)
    workflow = (
        WorkflowBuilder()
        .set_start_executor(Echo(id="echo"))
        .with_checkpointing(storage, durability="sync")
        .build()
    )
    journal = FileJournal(tmp_path / "journal")
    begun = Execution.here("run", "tests.echo", input="hi")
    begun.beat_every = 3600.0

    running = journaled_in_background(workflow, "hi", journal, begun)
    try:
        listed = await executions_once_listed(journal)
        assert [e.id for e in listed] == [begun.id]
        assert storage.saves == 2 and not gate.is_set() and not running.done()
    finally:
        gate.set()
    await running
    [done] = await journal.executions()
    assert done.status() == "completed"
    texts = [entry.text for entry in await journal.entries(begun.id)]
    assert "1 completed" in texts and "hi" in texts
    await journal.close()
