"""The journal writer's timers, with a run held in a superstep: beats come again and again,
what is pending is drained while a step runs (``FLUSH_SECONDS``), and a superstep's end is
written soon after it (``COALESCE_SECONDS``), all from the writer's one timer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.checkpoint.support import HeldUntilReleased, journaled_in_background
from wftui import (
    Executor,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)
from wftui.journal import Entry, Execution, writer
from wftui.journal.files import FileJournal

T = TypeVar("T")
HOUR = 3600.0


class Forward(Executor):
    @handler
    async def forward(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)


def held_run(gate: asyncio.Event) -> Workflow:
    """Superstep 1 forwards, superstep 2 is held."""
    first, held = Forward(id="first"), HeldUntilReleased(gate)
    return (
        WorkflowBuilder()
        .add_edge(first, held)
        .set_start_executor(first)
        .with_checkpointing(InMemoryCheckpointStorage())
        .build()
    )


async def eventually(look: Callable[[], Awaitable[T | None]], what: str) -> T:
    """``look``'s first answer that is not None (30 s at most)."""
    try:
        async with asyncio.timeout(30):
            while (found := await look()) is None:
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"never saw {what}") from None
    return found


def timers(monkeypatch: pytest.MonkeyPatch, **seconds: float) -> None:
    for name in ("BEGIN_AFTER_SECONDS", "COALESCE_SECONDS", "FLUSH_SECONDS"):
        monkeypatch.setattr(writer, name, seconds.get(name, HOUR))


async def held_and_journaled(
    tmp_path: Path, beat_every: float = HOUR
) -> tuple[asyncio.Event, FileJournal, Execution, asyncio.Task[Any]]:
    gate = asyncio.Event()
    journal = FileJournal(tmp_path / "journal")
    execution = Execution.here("run", "tests.held", input="hi", beat_every=beat_every)
    return (
        gate,
        journal,
        execution,
        journaled_in_background(held_run(gate), "hi", journal, execution),
    )


async def finish(gate: asyncio.Event, running: asyncio.Task[Any], journal: FileJournal) -> None:
    gate.set()
    await running
    [done] = await journal.executions()
    assert done.status() == "completed"
    await journal.close()


async def test_beats_come_again_and_again_while_a_step_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timers(monkeypatch, BEGIN_AFTER_SECONDS=0.01)
    gate, journal, execution, running = await held_and_journaled(tmp_path, beat_every=0.02)

    async def beat_after(at: float) -> float | None:
        seen = await journal.execution(execution.id)
        return seen.heartbeat if seen is not None and seen.heartbeat > at else None

    try:
        first = await eventually(lambda: beat_after(execution.started), "a first beat")
        await eventually(lambda: beat_after(first), "a second beat")
        assert not running.done()
    finally:
        await finish(gate, running, journal)


async def entries_while_held(journal: FileJournal, execution: Execution) -> list[Entry] | None:
    entries = await journal.entries(execution.id)
    return entries if any(e.kind == "invoked" and e.executor == "held" for e in entries) else None


async def test_a_running_steps_entries_are_drained_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timers(monkeypatch, BEGIN_AFTER_SECONDS=0.01, FLUSH_SECONDS=0.02)
    gate, journal, execution, running = await held_and_journaled(tmp_path)
    try:
        await eventually(lambda: entries_while_held(journal, execution), "the held step's entry")
        assert not running.done()
    finally:
        await finish(gate, running, journal)


async def test_a_superstep_end_is_written_soon_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No drain and no begin timer: the superstep's end asks for the write."""
    timers(monkeypatch, COALESCE_SECONDS=0.01)
    gate, journal, execution, running = await held_and_journaled(tmp_path)

    async def first_step_ended() -> list[str] | None:
        texts = [entry.text for entry in await journal.entries(execution.id)]
        return texts if "1 completed" in texts else None

    try:
        texts = await eventually(first_step_ended, "superstep 1's end")
        assert "1 started" in texts and not running.done()
    finally:
        await finish(gate, running, journal)
