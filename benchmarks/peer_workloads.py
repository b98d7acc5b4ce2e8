"""The side-by-side workloads of ``bench_storage.py``, each run in its own process.

The same code on wftui or on agent-framework's old API (their names are the same), so the two
figures differ only in the library. Each prints one JSON line of samples in ms.

    python benchmarks/peer_workloads.py wftui|agent_framework superstep N RUNS FOLDER
        a chain of N executors, each keeping a small state and passing a 64-character text on,
        checkpointed to a file store in a fresh folder per run: ms per superstep of each run
    python benchmarks/peer_workloads.py wftui|agent_framework list COUNT ROUNDS FOLDER
        COUNT checkpoints of five small executor states saved (unless FOLDER exists), then
        ``list_checkpoints()`` of them all by a fresh storage object, ROUNDS times
"""

import asyncio
import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

MESSAGE = "x" * 64
# Annotations are evaluated where written (no ``from __future__ import annotations``): both
# engines read the handler's, and the names below come from whichever package argv[1] names.
api: Any = importlib.import_module(sys.argv[1] if __name__ == "__main__" else "wftui")
Executor, WorkflowContext, handler = api.Executor, api.WorkflowContext, api.handler


class Pass(Executor):  # type: ignore[misc]
    @handler  # type: ignore[misc]
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:  # type: ignore[type-arg]
        state = await ctx.get_state() or {}
        await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
        await ctx.send_message(text)


class Last(Executor):  # type: ignore[misc]
    @handler  # type: ignore[misc]
    async def step(self, text: str, ctx: WorkflowContext[Any, str]) -> None:  # type: ignore[type-arg]
        state = await ctx.get_state() or {}
        await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
        await ctx.yield_output(text)


def chain(n: int, folder: Path) -> Any:
    executors = [Pass(id=f"step{i:03d}") for i in range(n - 1)] + [Last(id=f"step{n - 1:03d}")]
    builder = api.WorkflowBuilder(max_iterations=n + 1)
    builder.add_chain(executors).set_start_executor(executors[0])
    builder.with_checkpointing(checkpoint_storage=api.FileCheckpointStorage(str(folder)))
    return builder.build()


async def superstep(n: int, runs: int, folder: Path) -> list[float]:
    await chain(n, folder / "warm-up").run(MESSAGE)  # imports, handler specs, caches
    samples = []
    for run in range(runs):
        workflow = chain(n, folder / f"run{run}")  # a fresh folder, as a new run starts
        start = time.perf_counter()
        result = await workflow.run(MESSAGE)
        samples.append((time.perf_counter() - start) * 1000 / n)
        assert result.get_outputs() == [MESSAGE], result.get_outputs()
    return samples


def history_checkpoint(index: int) -> Any:
    """A checkpoint as a five-executor run leaves it (both libraries have these fields)."""
    return api.WorkflowCheckpoint(
        workflow_id=f"run-{index % 20}",
        iteration_count=index,
        messages={"step000": [{"data": MESSAGE, "source_id": "step000", "target_id": None}]},
        shared_state={"original_input": "hello world", "upper_output": "HELLO WORLD"},
        executor_states={
            f"step{i:03d}": {"count": index, "last_input": MESSAGE, "last_output": MESSAGE}
            for i in range(5)
        },
    )


async def list_all(count: int, rounds: int, folder: Path) -> list[float]:
    """Fills ``folder`` with ``count`` checkpoints on first use; later calls only list."""
    if not folder.exists():
        writer = api.FileCheckpointStorage(str(folder))
        for index in range(count):
            await writer.save_checkpoint(history_checkpoint(index))
    samples = []
    for _ in range(rounds):
        storage = api.FileCheckpointStorage(str(folder))
        start = time.perf_counter()
        listed = await storage.list_checkpoints()
        samples.append((time.perf_counter() - start) * 1000)
        assert len(listed) == count, len(listed)
    return samples


async def main(workload: str, size: int, repeat: int, folder: Path) -> None:
    logging.getLogger("agent_framework").setLevel(logging.ERROR)
    run = superstep if workload == "superstep" else list_all
    print(json.dumps(await run(size, repeat, folder)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])))
