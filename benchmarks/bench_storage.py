"""Checkpoint storage figures next to the targets of issue 2 (and LangGraph's, DESIGN.md section 4).

Save latency per checkpoint (seed-sized and a 100-executor state) with fsync'd files, checkpoint
sizes, and listing a history of 10,000 checkpoints: the newest 50 summaries, all summaries, all
ids, get_latest, each on a fresh storage object (a CLI run: nothing cached) and on a warm one
(a UI refreshing its list).

    python benchmarks/bench_storage.py       # under a minute
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.text_processing import create_workflow as create_seed_workflow
from wftui.checkpoint import EncodedFragments, FileCheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint.document import checkpoint_to_json
from wftui.checkpoint.file import INDEX_NAME, SUMMARIES_NAME
from wftui.checkpoint.values import encode_value

TARGET_STEP_MS = 1.0  # per superstep, engine included; the save is most of it
TARGET_SEED_BYTES = 2048
TARGET_NEWEST_MS = 10.0
TARGET_ALL_MS = 250.0
LANGGRAPH_ALL_MS = 2400.0
LANGGRAPH_NEWEST_MS = (9.0, 14.0)
HISTORY = 10_000
WORKFLOWS = 20


def checkpoint(executors: int, iteration: int, workflow_id: str = "run") -> WorkflowCheckpoint:
    """A checkpoint shaped like the engine's: small states, pre-encoded as the engine keeps them."""
    states = {
        f"executor_{i}": {"count": iteration, "last_input": "x" * 64, "last_output": "X" * 64}
        for i in range(executors)
    }
    shared = {"original_input": "hello world", "upper_output": "HELLO WORLD"}
    cp = WorkflowCheckpoint(
        workflow_id=workflow_id,
        workflow_name="bench",
        iteration_count=iteration,
        messages={"executor_0": [{"data": "x" * 64, "source_id": "executor_0", "target_id": None}]},
        shared_state=shared,
        executor_states=states,
        next_executor_ids=["executor_1"],
        graph_signature="0123456789abcdef",
    )
    return cp


def fragments(cp: WorkflowCheckpoint) -> EncodedFragments:
    """The typed JSON the engine keeps beside its state, handed to the save as it does."""
    return EncodedFragments(
        executor_states={k: (v, encode_value(v)) for k, v in cp.executor_states.items()},
        shared_state={k: (v, encode_value(v)) for k, v in cp.shared_state.items()},
    )


def timed(samples: list[float]) -> str:
    return f"median {statistics.median(samples):6.3f} ms  (best {min(samples):6.3f})"


def verdict(value: float, target: float) -> str:
    return f"{value / target:5.2f}x of target {target:g} -> {'OK' if value <= target else 'MISS'}"


async def measure(action: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def bench_saves(folder: Path) -> None:
    print("== save: one checkpoint per superstep (temp file, write, fsync, rename, fsync dir)")
    for executors in (5, 100):
        storage = FileCheckpointStorage(folder / f"saves_{executors}")
        cps = [(cp, fragments(cp)) for cp in (checkpoint(executors, i) for i in range(300))]
        encode_ms = await measure(lambda pair=cps[0]: _encode(*pair), 300)  # type: ignore[misc]
        samples = []
        for cp, encoded in cps:
            start = time.perf_counter()
            await storage.save_checkpoint(cp, encoded=encoded)
            samples.append((time.perf_counter() - start) * 1000)
        size = len(checkpoint_to_json(*cps[-1]))
        print(
            f"  {executors:3d} executor states: save {timed(samples)}; of which encoding "
            f"{statistics.median(encode_ms):.3f} ms; {size} bytes"
        )
        print(f"      median save {verdict(statistics.median(samples), TARGET_STEP_MS)}")


async def _encode(cp: WorkflowCheckpoint, encoded: EncodedFragments) -> None:
    checkpoint_to_json(cp, encoded)


async def bench_seed_size(folder: Path) -> None:
    print("== seed pipeline checkpoints (pipelines/text_processing.py, offline chat client)")
    storage = FileCheckpointStorage(folder / "seed")
    async for _ in create_seed_workflow(storage).run_stream("hello world"):
        pass
    sizes = [summary.size_bytes for summary in await storage.list_summaries()]
    largest = max(sizes)
    print(f"  {len(sizes)} checkpoints, sizes {sorted(sizes)} bytes")
    print(f"  largest {largest} bytes: {verdict(largest, TARGET_SEED_BYTES)}")


async def bench_listing(folder: Path) -> None:
    path = folder / "history"
    writer = FileCheckpointStorage(path)
    start = time.perf_counter()
    for i in range(HISTORY):
        cp = checkpoint(5, i, workflow_id=f"run-{i % WORKFLOWS}")
        await writer.save_checkpoint(cp, encoded=fragments(cp))
    elapsed = time.perf_counter() - start
    print(
        f"== listing a history of {HISTORY} checkpoints in {WORKFLOWS} runs "
        f"(written in {elapsed:.1f} s)"
    )

    async def cold(call: Callable[[FileCheckpointStorage], Awaitable[Any]]) -> None:
        await call(FileCheckpointStorage(path))

    warm_storage = FileCheckpointStorage(path)
    cases: list[tuple[str, Callable[[FileCheckpointStorage], Awaitable[Any]], float | None]] = [
        ("newest 50 summaries", lambda s: s.list_summaries(limit=50), TARGET_NEWEST_MS),
        ("newest 50 of one run", lambda s: s.list_summaries("run-3", limit=50), TARGET_NEWEST_MS),
        ("all summaries", lambda s: s.list_summaries(), TARGET_ALL_MS),
        ("all ids", lambda s: s.list_checkpoint_ids(), TARGET_ALL_MS),
        ("get_latest", lambda s: s.get_latest(), TARGET_NEWEST_MS),
    ]
    for label, call, target in cases:
        cold_ms = await measure(lambda call=call: cold(call), 7)  # type: ignore[misc]
        warm_ms = await measure(lambda call=call: call(warm_storage), 7)  # type: ignore[misc]
        line = f"  {label:22s} cold {timed(cold_ms)} | warm {timed(warm_ms)}"
        print(line)
        if target is not None:
            print(f"      cold median {verdict(statistics.median(cold_ms), target)}")
    summaries = await FileCheckpointStorage(path).list_summaries()
    assert len(summaries) == HISTORY, len(summaries)
    all_ms = statistics.median(await measure(lambda: cold(lambda s: s.list_summaries()), 3))
    print(
        f"  all summaries vs LangGraph's {LANGGRAPH_ALL_MS:g} ms: {LANGGRAPH_ALL_MS / all_ms:.0f}x "
        f"faster; newest 50 LangGraph {LANGGRAPH_NEWEST_MS[0]:g}-{LANGGRAPH_NEWEST_MS[1]:g} ms"
    )

    os.remove(path / INDEX_NAME)
    os.remove(path / SUMMARIES_NAME)
    rebuild_ms = await measure(lambda: cold(lambda s: s.list_summaries(limit=50)), 1)
    print(
        f"  cache files deleted: first listing rebuilds them from the files in "
        f"{rebuild_ms[0]:.0f} ms (once)"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await bench_saves(folder)
        await bench_seed_size(folder)
        await bench_listing(folder)


if __name__ == "__main__":
    asyncio.run(main())
