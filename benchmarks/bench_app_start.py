"""App start on a store with many journaled runs: how long until the app has read the store's
current state and follows it live.

Each store gets RUNS runs written the way runs write them: checkpoints, and a journal execution
with its entries, heartbeats and end. Then the app (headless, ``run_test``) opens the store and
the figures are, from the start of ``run_test``:

- indexed: the journal's executions are known (runs running elsewhere can be marked);
- save live: a checkpoint another storage object saves at that moment shows as a row, so the
  store's watch has got past everything that was there before;
- begin live: an execution another journal object begins then marks its run as running
  elsewhere, so the journal's watch has got past its history too.

Each figure is the median over rounds, with the spread (min-max).

    python benchmarks/bench_app_start.py [--runs 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.postgres_support import benchmark_stores
from tests.store_writers import TINY_PIPELINE, TINY_STEPS
from wftui.checkpoint import WorkflowCheckpoint, open_store
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import Entry, Execution, journal_for
from wftui.loader import load_pipeline
from wftui.tui.app import make_app

CHECKPOINTS = 3  # per run
ENTRIES = 20  # per execution
BEATS = 10  # per execution


async def close(storage: CheckpointStorage) -> None:
    closing = getattr(storage, "close", None)
    if closing is not None:
        await closing()


async def fill(url: str, runs: int, signature: str) -> None:
    """``runs`` ended runs, each with its checkpoints and its journaled execution."""
    storage = open_store(url, create=True)
    journal = journal_for(storage)
    try:
        for index in range(runs):
            run = f"run-{index:06d}"
            for step in range(CHECKPOINTS):
                await storage.save_checkpoint(
                    WorkflowCheckpoint(
                        workflow_id=run, iteration_count=step, graph_signature=signature
                    )
                )
            execution = Execution.here("run", "bench", run=run)
            execution = dataclasses.replace(execution, pid=execution.pid + 1)  # another's
            await journal.begin(execution)
            entries = [
                Entry(seq, time.time(), "invoked", "step", f"line {seq}", "plain", {"n": seq})
                for seq in range(1, ENTRIES + 1)
            ]
            await journal.append(execution.id, entries)
            for beat in range(BEATS):
                await journal.beat(execution.id, execution.started + beat)
            await journal.end(execution.id, "completed", time.time())
    finally:
        await journal.close()
        await close(storage)


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.001)


async def start_once(url: str, pipeline: Any, signature: str) -> tuple[float, float, float]:
    """One app start: ms to indexed, to a new save's row, to a new execution's mark."""
    shown, writer = open_store(url, create=False), open_store(url, create=False)
    journal = journal_for(writer)
    app = make_app(pipeline, shown)
    try:
        start = time.perf_counter()
        async with app.run_test(size=(120, 40)):
            checkpoint = WorkflowCheckpoint(
                workflow_id=f"late-{secrets.token_hex(4)}", graph_signature=signature
            )
            await writer.save_checkpoint(checkpoint)
            execution = Execution.here("resume", "bench", run=checkpoint.workflow_id)
            execution = dataclasses.replace(execution, pid=execution.pid + 1)
            await journal.begin(execution)
            await until(app.remote._indexed.is_set)
            indexed = time.perf_counter()
            await until(lambda: checkpoint.checkpoint_id in app.main.browser.summaries)
            saved = time.perf_counter()
            await until(lambda: app.main.elsewhere.get(execution.run or "") == execution.where)
            begun = time.perf_counter()
            await journal.end(execution.id, "completed", time.time())
    finally:
        await journal.close()
        for storage in (shown, writer):
            await close(storage)
    return tuple((moment - start) * 1000 for moment in (indexed, saved, begun))  # type: ignore[return-value]


def spread(samples: list[float]) -> str:
    return (
        f"{statistics.median(samples):8.0f} ms "
        f"[{min(samples):.0f}-{max(samples):.0f}, {len(samples)} rounds]"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    os.environ.update(TINY_STEPS)
    pipeline = load_pipeline(TINY_PIPELINE)
    signature = pipeline.create_workflow(None).signature
    print(
        f"App start on {arguments.runs} runs ({CHECKPOINTS} checkpoints, {ENTRIES} entries and"
        f" {BEATS} heartbeats each); load average {os.getloadavg()[0]:.1f}"
    )
    with benchmark_stores() as stores, tempfile.TemporaryDirectory() as folder:
        for label, template in stores.items():
            url = template.format(folder=folder)
            await fill(url, arguments.runs, signature)
            figures = [await start_once(url, pipeline, signature) for _ in range(arguments.rounds)]
            columns = list(zip(*figures, strict=True))
            print(f"  {label}")
            for name, column in zip(("indexed", "save live", "begin live"), columns, strict=True):
                print(f"    {name:11s} {spread(list(column))}")


if __name__ == "__main__":
    asyncio.run(main())
