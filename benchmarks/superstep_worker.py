"""One side of the per-superstep benchmark, run in its own process by ``bench_storage.py``.

The same workload on wftui or on agent-framework's old API (their names are the same): a chain
of N executors, each keeping a small state and passing a 64-character text on, checkpointed to a
file store in a fresh folder per run. Prints one JSON line: ms per superstep of each run.

    python benchmarks/superstep_worker.py wftui|agent_framework N RUNS FOLDER
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


async def main(n: int, runs: int, folder: Path) -> None:
    logging.getLogger("agent_framework").setLevel(logging.ERROR)
    await chain(n, folder / "warm-up").run(MESSAGE)  # imports, handler specs, caches
    samples = []
    for run in range(runs):
        workflow = chain(n, folder / f"run{run}")  # a fresh folder, as a new run starts
        start = time.perf_counter()
        result = await workflow.run(MESSAGE)
        samples.append((time.perf_counter() - start) * 1000 / n)
        assert result.get_outputs() == [MESSAGE], result.get_outputs()
    print(json.dumps(samples))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])))
