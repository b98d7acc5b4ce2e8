"""Small executors and event helpers shared by the engine tests (real executors, no mocks)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

from wftui import (
    CheckpointSavedEvent,
    Executor,
    ExecutorInvokedEvent,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowEvent,
    WorkflowOutputEvent,
    handler,
)
from wftui.checkpoint.storage import CheckpointStorage


class Append(Executor):
    """Appends its id to the text, counts its calls in its state, and sends the text on."""

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        state = await ctx.get_state() or {}
        await ctx.set_state({"calls": state.get("calls", 0) + 1})
        await ctx.send_message(f"{text}>{self.id}")


class Emit(Executor):
    """Yields what it receives as the workflow output."""

    @handler
    async def emit(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


class Flaky(Executor):
    """Raises until ``failing`` is turned off; otherwise passes the text on."""

    def __init__(self, id: str, *, failing: bool) -> None:
        super().__init__(id=id)
        self.failing = failing

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        if self.failing:
            raise RuntimeError(f"boom on {text}")
        await ctx.send_message(f"{text}>{self.id}")


class Gate(Executor):
    """Waits for ``gate`` (when given) before passing the text on: a step that never ends."""

    def __init__(self, id: str, gate: asyncio.Event | None = None) -> None:
        super().__init__(id=id)
        self.gate = gate

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        if self.gate is not None:
            await self.gate.wait()
        await ctx.send_message(f"{text}>{self.id}")


def chain_workflow(
    executors: Sequence[Executor],
    storage: CheckpointStorage | None = None,
    *,
    max_iterations: int = 100,
) -> Workflow:
    """``executors`` in a chain ending in an Emit("out")."""
    builder = WorkflowBuilder(max_iterations=max_iterations, name="chain")
    builder.add_chain([*executors, Emit(id="out")]).set_start_executor(executors[0])
    if storage is not None:
        builder.with_checkpointing(checkpoint_storage=storage)
    return builder.build()


async def collect(stream: AsyncIterator[WorkflowEvent]) -> list[WorkflowEvent]:
    return [event async for event in stream]


def invoked(events: Iterable[WorkflowEvent]) -> list[str]:
    return [e.executor_id for e in events if isinstance(e, ExecutorInvokedEvent)]


def outputs(events: Iterable[WorkflowEvent]) -> list[Any]:
    return [e.data for e in events if isinstance(e, WorkflowOutputEvent)]


def saved(events: Iterable[WorkflowEvent]) -> list[CheckpointSavedEvent]:
    return [e for e in events if isinstance(e, CheckpointSavedEvent)]


REPO = Path(__file__).resolve().parents[2]


async def run_until_slow_then_kill(
    pipeline: Path, store: Path, extra_env: dict[str, str] | None = None, *, checkpoints: int = 0
) -> tuple[list[str], int]:
    """Run ``pipeline`` headless until it prints that executor ``slow`` started (and, with
    ``checkpoints``, that many saved checkpoints), then SIGKILL it; the lines it printed and
    its return code."""
    env = {
        **os.environ,
        **(extra_env or {}),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wftui", "run", str(pipeline),
        "--checkpoint-dir", str(store), "--chat", "local",
        cwd=pipeline.parent, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while ["invoked", "slow"] not in [line.split()[1:] for line in lines] or (
                sum(line.split()[1:2] == ["checkpoint"] for line in lines) < checkpoints
            ):
                line = await process.stdout.readline()
                assert line, f"the run ended early: {lines}"
                lines.append(line.decode().strip())
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode is not None
    return lines, process.returncode
