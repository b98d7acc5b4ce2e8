"""Engine figures next to the targets of issue 2 and the peers' numbers (DESIGN.md section 4).

A chain of N pass-through executors (N = 5 and 100), each keeping a small state, one message
through it: N supersteps. Measured with fsync'd file checkpoints, in-memory checkpoints and none;
checkpoint sizes; resume latency (load + first ExecutorInvokedEvent) 5 steps back.

    python benchmarks/bench_engine.py            # under a minute
    python benchmarks/bench_engine.py --profile  # also cProfile the file-checkpoint case
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.text_processing import create_workflow as create_seed_workflow
from wftui import (
    CheckpointSavedEvent,
    Executor,
    ExecutorInvokedEvent,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)
from wftui.checkpoint.storage import CheckpointStorage

MESSAGE = "x" * 64  # LangGraph's figure is for a 64-character state

# Peers, ms per superstep at N=5 / N=100 (DESIGN.md section 4).
PEERS_FILE = {
    "agent-framework old API": (1.96, 1.61),
    "agent-framework newest": (2.56, 38.5),
    "LangGraph + SqliteSaver": (2.9, 1.9),
    "bare fsync'd JSON loop (floor)": (0.81, 0.63),
}
PEERS_NONE = {"agent-framework / LangGraph": ((0.60, 0.68), (0.33, 0.35))}
TARGET_FILE_MS = 1.0
TARGET_NONE_MS = 0.15
TARGET_SEED_BYTES = 2048
TARGET_RESUME_MS = 10.0
LANGGRAPH_RESUME_MS = (10.0, 23.0)
LANGGRAPH_CHECKPOINT_BYTES = 7.5 * 1024


class PassThrough(Executor):
    """Keeps a small state and passes the text on."""

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        state = await ctx.get_state() or {}
        await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
        await ctx.send_message(text)


class Stateless(Executor):
    """Passes the text on and keeps nothing: the only state is the 64 characters in flight."""

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)


class Last(Executor):
    @handler
    async def step(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        state = await ctx.get_state() or {}
        await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
        await ctx.yield_output(text)


def chain(n: int, storage: CheckpointStorage | None, *, stateful: bool = True) -> Workflow:
    kind = PassThrough if stateful else Stateless
    executors: list[Executor] = [kind(id=f"step{i:03d}") for i in range(n - 1)]
    executors.append(Last(id=f"step{n - 1:03d}"))
    builder = WorkflowBuilder(max_iterations=n + 1, name=f"chain{n}")
    builder.add_chain(executors).set_start_executor(executors[0])
    if storage is not None:
        builder.with_checkpointing(checkpoint_storage=storage)
    return builder.build()


async def run_once(workflow: Workflow) -> list[Any]:
    return [event async for event in workflow.run_stream(MESSAGE)]


async def per_superstep_ms(
    n: int,
    make_storage: Callable[[], CheckpointStorage | None],
    budget_s: float,
    floor_folder: Path | None = None,
) -> tuple[float, float | None]:
    """Median over repeated runs of (run time / N supersteps), within about ``budget_s``.

    With ``floor_folder``, each run alternates with the same number of bare durable writes
    (N supersteps + the initial checkpoint), so both see the same disk: it drifts a lot
    here, and other processes share it.
    """
    samples: list[float] = []
    floors: list[float] = []
    deadline = time.perf_counter() + budget_s
    await run_once(chain(n, make_storage()))  # warm-up: imports, handler specs, type caches
    while time.perf_counter() < deadline or len(samples) < 3:
        workflow = chain(n, make_storage())
        start = time.perf_counter()
        await run_once(workflow)
        samples.append((time.perf_counter() - start) * 1000 / n)
        if floor_folder is not None:
            floors.append(bare_durable_writes_ms(floor_folder, n + 1) * (n + 1) / n)
    return statistics.median(samples), statistics.median(floors) if floors else None


async def checkpoint_sizes(folder: Path) -> dict[str, int]:
    seed_dir, chain_dir = folder / "seed", folder / "chain100"
    seed = create_seed_workflow(FileCheckpointStorage(seed_dir))
    [event async for event in seed.run_stream("hello world")]
    await run_once(chain(100, FileCheckpointStorage(chain_dir)))
    bare_dir = folder / "chain100-bare"
    await run_once(chain(100, FileCheckpointStorage(bare_dir), stateful=False))

    def sizes(where: Path, first: bool = False) -> list[int]:
        # The run's first checkpoint also holds the graph, for mismatch messages.
        files = sorted(where.glob("*.json"))
        return [p.stat().st_size for p in (files[:1] if first else files[1:])]

    return {
        "seed, largest": max(sizes(seed_dir)),
        "seed, initial (with the graph)": sizes(seed_dir, first=True)[0],
        "chain100, 64-char state": max(sizes(bare_dir)),
        "chain100, + 100 executor states": max(sizes(chain_dir)),
        "chain100, initial (with the graph)": sizes(chain_dir, first=True)[0],
    }


def bare_durable_writes_ms(folder: Path, count: int, size: int = 600) -> float:
    """This disk's cost of the same durable write with no engine: temp, fsync, rename, dir fsync."""
    folder.mkdir(exist_ok=True)
    data = orjson.dumps({"state": "x" * size})
    start = time.perf_counter()
    for i in range(count):
        temp, path = folder / f".{i}.tmp", folder / f"{i}.json"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(temp, path)
        directory = os.open(folder, os.O_RDONLY)
        os.fsync(directory)
        os.close(directory)
    return (time.perf_counter() - start) * 1000 / count


async def resume_ms(folder: Path, repeats: int = 30) -> float:
    """Load a checkpoint 5 supersteps before the end, on a fresh workflow, to the first invoke."""
    storage = FileCheckpointStorage(folder / "resume")
    events = await run_once(chain(100, storage))
    saved = [e.checkpoint_id for e in events if isinstance(e, CheckpointSavedEvent)]
    target = saved[-6]
    samples = []
    for _ in range(repeats):
        fresh = chain(100, FileCheckpointStorage(folder / "resume"))
        start = time.perf_counter()
        stream = fresh.run_stream_from_checkpoint(target)
        async for event in stream:
            if isinstance(event, ExecutorInvokedEvent):
                samples.append((time.perf_counter() - start) * 1000)
                break
        await stream.aclose()  # type: ignore[attr-defined]
    return statistics.median(samples)


def verdict(value: float, target: float) -> str:
    return "OK  " if value <= target else "MISS"


def ratios(ours: float, peers: dict[str, tuple[float, float]], index: int) -> str:
    return ", ".join(f"{name} {peer[index] / ours:.1f}x" for name, peer in peers.items())


async def main(profile: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="wftui-bench-") as tmp:
        folder = Path(tmp)
        counter = iter(range(1_000_000))

        def file_storage() -> CheckpointStorage:
            return FileCheckpointStorage(folder / f"run{next(counter)}")

        modes: dict[str, Callable[[], CheckpointStorage | None]] = {
            "file (fsync)": file_storage,
            "in-memory": InMemoryCheckpointStorage,
            "no checkpoints": lambda: None,
        }
        print("Per superstep, chain of N pass-through executors with a small state each")
        print("(floor: the same number of bare durable 600-byte writes, alternating with the runs)")
        print(f"{'mode':<16} {'N':>4} {'ms/step':>9}  target   vs peers (peer / ours)")
        for name, make in modes.items():
            for index, n in enumerate((5, 100)):
                floor_folder = folder / "floor" if name == "file (fsync)" else None
                ms, floor = await per_superstep_ms(n, make, 4.0, floor_folder)
                note = "(no target)"
                if floor is not None:
                    note = (
                        f"<= {TARGET_FILE_MS} {verdict(ms, TARGET_FILE_MS)}  floor {floor:.3f} (+{ms - floor:.3f}); "
                        + ratios(ms, PEERS_FILE, index)
                    )
                elif name == "no checkpoints":
                    low, high = PEERS_NONE["agent-framework / LangGraph"][index]
                    note = (
                        f"<= {TARGET_NONE_MS} {verdict(ms, TARGET_NONE_MS)}  "
                        f"agent-framework / LangGraph {low / ms:.1f}-{high / ms:.1f}x"
                    )
                print(f"{name:<16} {n:>4} {ms:>9.3f}  {note}")

        sizes = await checkpoint_sizes(folder)
        print("\nCheckpoint size (bytes)")
        for label, size in sizes.items():
            extra = ""
            if label.startswith("seed"):
                extra = f"  target < {TARGET_SEED_BYTES} {verdict(size, TARGET_SEED_BYTES - 1)}"
            if label == "chain100, 64-char state":
                extra = f"  LangGraph (same state, 100 nodes): {LANGGRAPH_CHECKPOINT_BYTES:.0f}"
            print(f"  {label:<36} {size:>7}{extra}")

        ms = await resume_ms(folder)
        low, high = LANGGRAPH_RESUME_MS
        print(
            f"\nResume 5 steps back (N=100, file): {ms:.2f} ms  target <= {TARGET_RESUME_MS} "
            f"{verdict(ms, TARGET_RESUME_MS)}  LangGraph {low / ms:.1f}-{high / ms:.1f}x"
        )

        if profile:
            await profile_file_case(folder)

    print_graph_build()


# Issue 13: building a wide graph (start -> fan-out to N-2 workers -> fan-in), N = 1,000 / 3,000.
TARGET_BUILD_MS = 50.0  # at N = 1,000; and linear in N
PEER_PYTHON = Path(os.environ.get("WFTUI_PEER_PYTHON", "/work/af/peer-venv/bin/python"))
PEER_BUILD_SCRIPT = """
import logging, sys, time
logging.getLogger("agent_framework").setLevel(logging.ERROR)
from agent_framework import Executor, WorkflowBuilder, WorkflowContext, handler

class Worker(Executor):
    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)

class Collect(Executor):
    @handler
    async def join(self, texts: list[str], ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(texts[0])

n, rounds = int(sys.argv[1]), int(sys.argv[2])
for _ in range(rounds):
    start, end = Worker(id="start"), Collect(id="end")
    workers = [Worker(id=f"w{i}") for i in range(n - 2)]
    began = time.perf_counter()
    builder = WorkflowBuilder().set_start_executor(start).add_fan_out_edges(start, workers)
    builder.add_fan_in_edges(workers, end).build()
    print((time.perf_counter() - began) * 1000)
"""


class Worker(Executor):
    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text)


class Collect(Executor):
    @handler
    async def join(self, texts: list[str], ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(texts[0])


def graph_build_ms(n: int, rounds: int) -> list[float]:
    """wftui's build() of the wide graph, timed from the first builder call."""
    times = []
    for _ in range(rounds):
        start, end = Worker(id="start"), Collect(id="end")
        workers: list[Executor] = [Worker(id=f"w{i}") for i in range(n - 2)]
        began = time.perf_counter()
        builder = WorkflowBuilder().set_start_executor(start).add_fan_out_edges(start, workers)
        builder.add_fan_in_edges(workers, end).build()
        times.append((time.perf_counter() - began) * 1000)
    return times


def peer_graph_build_ms(n: int, rounds: int) -> list[float] | None:
    """The same build on agent-framework's old API, in its own venv; None when it is absent."""
    if not PEER_PYTHON.exists():
        return None
    done = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_BUILD_SCRIPT, str(n), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(line) for line in done.stdout.split()]


def spread(times: list[float]) -> str:
    return f"{statistics.median(times):8.1f} ms (min {min(times):.1f}, max {max(times):.1f})"


def print_graph_build(rounds: int = 5) -> None:
    print(f"\nBuild a wide graph (fan-out + fan-in), median of {rounds} rounds")
    medians = {}
    for n in (1_000, 3_000):
        ours = graph_build_ms(n, rounds)
        medians[n] = statistics.median(ours)
        target = f"  target <= {TARGET_BUILD_MS} {verdict(medians[n], TARGET_BUILD_MS)}"
        line = f"  N={n:>5}  wftui {spread(ours)}{target if n == 1_000 else ''}"
        peer = peer_graph_build_ms(n, rounds)
        if peer is None:
            line += f"  (agent-framework old: {PEER_PYTHON} absent, skipped)"
        else:
            ratio = statistics.median(peer) / medians[n]
            line += f"  agent-framework old {spread(peer)} = {ratio:.1f}x ours"
        print(line)
    print(f"  N=3,000 / N=1,000: {medians[3_000] / medians[1_000]:.1f} (linear: 3.0)")


async def profile_file_case(folder: Path) -> None:
    profiler = cProfile.Profile()
    workflows = [chain(100, FileCheckpointStorage(folder / f"profile{i}")) for i in range(5)]
    profiler.enable()
    for workflow in workflows:
        await run_once(workflow)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print("\nProfile: file checkpoints, N=100, 5 runs (by own time)")
    print(out.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile the file-checkpoint case")
    started = time.perf_counter()
    asyncio.run(main(parser.parse_args().profile))
    print(f"\n(total {time.perf_counter() - started:.1f} s)")
