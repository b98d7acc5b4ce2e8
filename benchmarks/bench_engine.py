"""Engine figures next to the targets of issues 2 and 13, side by side with agent-framework.

A chain of N pass-through executors (N = 5 and 100), each keeping a small state, one message
through it: N supersteps. With file checkpoints in both durability modes (the default marked),
also with the run journal written as ``wftui run`` writes it, the very same workload
(``engine_workloads.py``) runs on agent-framework's old API in its own virtual environment
(``/work/af/peer-venv``, or ``WFTUI_PEER_PYTHON``; skipped when absent), alternating round by
round on the same disk; ratios are the peer's time over ours. Also: in-memory checkpoints and
none, checkpoint sizes, resume latency (load + first ExecutorInvokedEvent, 5 steps back), and the
storage growth of issue 13's 400-superstep run (a growing conversation + a 200 KB value set once).

    python benchmarks/bench_engine.py               # about two minutes
    python benchmarks/bench_engine.py --rounds 7    # more rounds for the side-by-side figures
    python benchmarks/bench_engine.py --profile     # also cProfile the N=5 journaled file case
    python benchmarks/bench_engine.py --supersteps  # only the side-by-side superstep figures
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import wftui
from benchmarks.engine_workloads import Workloads, run_task
from pipelines.text_processing import create_workflow as create_seed_workflow
from wftui import (
    Executor,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.saves import DEFAULT_DURABILITY, DURABILITY_MODES

MESSAGE = "x" * 64  # LangGraph's figure is for a 64-character state

# The peer's own virtual environment (see the module's docstring).
PEER_PYTHON = Path(os.environ.get("WFTUI_PEER_PYTHON", "/work/af/peer-venv/bin/python"))
WORKLOADS = Path(__file__).resolve().with_name("engine_workloads.py")
PEERS_NONE = {"agent-framework / LangGraph": ((0.60, 0.68), (0.33, 0.35))}
TARGET_GROWTH = 10.0  # bytes on disk over the final state's, issue 13
TARGET_STEP_SPEEDUP = {5: 1.2, 100: 2.0}  # per superstep, default mode, journal on: issue 13
TARGET_NONE_MS = 0.15
TARGET_SEED_BYTES = 2048
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
    n: int, make_storage: Callable[[], CheckpointStorage | None], budget_s: float
) -> float:
    """Median over repeated runs of (run time / N supersteps), within about ``budget_s``."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    await run_once(chain(n, make_storage()))  # warm-up: imports, handler specs, type caches
    while time.perf_counter() < deadline or len(samples) < 3:
        workflow = chain(n, make_storage())
        start = time.perf_counter()
        await run_once(workflow)
        samples.append((time.perf_counter() - start) * 1000 / n)
    return statistics.median(samples)


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


class Side:
    """One framework's workloads: wftui in this process, the peer in its own (one JSON task
    per line, see ``engine_workloads.serve``)."""

    def __init__(self, name: str, folder: Path, peer_python: str | None = None) -> None:
        self.name = name
        self._folder = folder
        self._count = 0
        self._work = Workloads(wftui) if peer_python is None else None
        self._process = (
            None
            if peer_python is None
            else subprocess.Popen(
                [peer_python, str(WORKLOADS), "--framework", "agent_framework"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # its telemetry complains at every closed stream
                text=True,
                cwd=folder,
            )
        )

    async def run(self, task: dict[str, Any]) -> Any:
        if self._process is None:
            assert self._work is not None
            self._count += 1
            where = self._folder / f"task{self._count}"
            where.mkdir()
            # Folders stay until the end (``engine_workloads.serve``, for why).
            return await run_task(self._work, task, where)
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(task) + "\n")
        self._process.stdin.flush()
        line = await asyncio.to_thread(self._process.stdout.readline)
        if not line:
            raise RuntimeError(f"{self.name} stopped answering (task {task})")
        return json.loads(line)

    def close(self) -> None:
        if self._process is not None:
            self._process.communicate(timeout=60)


def peer_python() -> str | None:
    return str(PEER_PYTHON) if PEER_PYTHON.is_file() else None


def spread(samples: list[float]) -> str:
    return f"{statistics.median(samples):8.3f} ({min(samples):.3f}-{max(samples):.3f})"


async def alternate(jobs: list[tuple[Side, dict[str, Any]]], rounds: int) -> list[list[Any]]:
    """Each job's results over ``rounds``, taking turns (who goes first rotates), so every
    side sees the same disk and the same neighbours."""
    results: list[list[Any]] = [[] for _ in jobs]
    for round_index in range(rounds):
        for step in range(len(jobs)):
            index = (round_index + step) % len(jobs)
            side, task = jobs[index]
            results[index].append(await side.run(task))
    return results


def open_sides(folder: Path) -> tuple[Side, Side | None]:
    """wftui in this process, and the peer in its own when its virtual environment is there."""
    python = peer_python()
    if python is None:
        print(f"(agent-framework old API skipped: no peer Python at {PEER_PYTHON})")
        return Side("wftui", folder), None
    return Side("wftui", folder), Side("agent-framework old", folder, python)


async def superstep_rows(
    ours: Side, peer: Side | None, rounds: int, journals: tuple[bool, ...] = (False, True)
) -> None:
    """Per superstep, chain of N=5 and N=100 with file checkpoints, in each durability mode (the
    default marked), without and/or with the run journal, next to the peer's figure of the same
    rounds; the goal of issue 13 is checked on the default mode with the journal on."""
    print(f"\nSide by side, file checkpoints: median (min-max) of {rounds} rounds, alternating")
    print("(agent-framework never fsyncs; wftui's every mode is durable before it is announced)")
    print(f"{'figure':<44} {'wftui':>24} {'agent-framework old':>26}  ratio")
    for n in (5, 100):
        runs = max(1, 200 // n)  # each round runs the chain this often
        task = {"task": "per_superstep", "n": n, "runs": runs}
        variants = [(mode, journal) for journal in journals for mode in DURABILITY_MODES]
        jobs = [(ours, {**task, "mode": mode, "journal": journal}) for mode, journal in variants]
        if peer:
            jobs.append((peer, {**task, "mode": "sync"}))  # its one mode
        results = await alternate(jobs, rounds)
        theirs = results[-1] if peer else []
        for (mode, journal), mine in zip(variants, results, strict=False):
            default = " (default)" if mode == DEFAULT_DURABILITY else ""
            label = f"ms/superstep N={n}, {mode}{default}{', journal' if journal else ''}"
            goal = TARGET_STEP_SPEEDUP[n] if default and journal and theirs else None
            print_row(label, mine, theirs, goal)


async def side_by_side(folder: Path, rounds: int, supersteps_only: bool) -> None:
    ours, peer = open_sides(folder)
    sides = [ours] if peer is None else [ours, peer]
    try:
        await superstep_rows(ours, peer, rounds)
        if supersteps_only:
            return
        resume = {"task": "resume", "runs": 10}
        results = await alternate([(side, resume) for side in sides], rounds)
        print_row(
            "resume 5 steps back, ms (N=100)",
            [statistics.median(r) for r in results[0]],
            [statistics.median(r) for r in results[1]] if peer else [],
        )
        grow = {"task": "growth", "turns": 400}
        jobs = [(ours, {**grow, "mode": mode}) for mode in DURABILITY_MODES]
        if peer:
            jobs.append((peer, grow))
        growth = await alternate(jobs, 1)  # bytes vary only with how far saves lag behind
        print("\nStorage growth, 400 supersteps (growing conversation + a 200 KB value set once):")
        for mode, (mine_growth,) in zip(DURABILITY_MODES, growth, strict=False):
            on_disk, final = mine_growth["on_disk"], mine_growth["final_state"]
            default = " (default)" if mode == DEFAULT_DURABILITY else ""
            print(
                f"  wftui, {mode}{default}: {on_disk / 1e6:.2f} MB on disk in "
                f"{mine_growth['files']} files for {final / 1e3:.0f} KB of final state = "
                f"{on_disk / final:.1f}x (goal <= {TARGET_GROWTH}x "
                f"{verdict(on_disk / final, TARGET_GROWTH)})"
            )
        if peer:
            theirs_growth = growth[-1][-1]
            print(
                f"  agent-framework old: {theirs_growth['on_disk'] / 1e6:.1f} MB in "
                f"{theirs_growth['files']} files for {theirs_growth['final_state'] / 1e3:.0f} KB "
                f"= {theirs_growth['on_disk'] / theirs_growth['final_state']:.0f}x"
            )
    finally:
        for side in sides:
            side.close()


def print_row(
    label: str, mine: list[float], theirs: list[float], goal: float | None = None
) -> None:
    """A figure's row; with ``goal``, whether wftui is that many times faster than the peer."""
    speedup = statistics.median(theirs) / statistics.median(mine) if theirs else None
    ratio = "  -" if speedup is None else f"{speedup:5.2f}x"
    if goal is not None and speedup is not None:
        ratio += f"  goal >= {goal:g}x: {'met' if speedup >= goal else 'MISSED'}"
    peer = spread(theirs) if theirs else "skipped"
    print(f"{label:<44} {spread(mine):>24} {peer:>26}  {ratio}")


def verdict(value: float, target: float) -> str:
    return "OK  " if value <= target else "MISS"


async def main(profile: bool, rounds: int, supersteps_only: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="wftui-bench-") as tmp:
        folder = Path(tmp)
        counter = iter(range(1_000_000))

        def file_storage() -> CheckpointStorage:
            return FileCheckpointStorage(folder / f"run{next(counter)}")

        await side_by_side(folder, rounds, supersteps_only)
        if supersteps_only:
            return

        modes: dict[str, Callable[[], CheckpointStorage | None]] = {
            "in-memory": InMemoryCheckpointStorage,
            "no checkpoints": lambda: None,
        }
        print("\nPer superstep, chain of N pass-through executors with a small state each")
        print(f"{'mode':<16} {'N':>4} {'ms/step':>9}  target   vs peers (peer / ours)")
        for name, make in modes.items():
            for index, n in enumerate((5, 100)):
                ms = await per_superstep_ms(n, make, 4.0)
                note = "(no target)"
                if name == "no checkpoints":
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

        if profile:
            await profile_file_case(folder)

    print_graph_build()


# Issue 13: building a wide graph (start -> fan-out to N-2 workers -> fan-in), N = 1,000 / 3,000.
TARGET_BUILD_MS = 50.0  # at N = 1,000; and linear in N
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
for index in range(rounds + 1):  # the first build warms up, untimed (as wftui's)
    start, end = Worker(id="start"), Collect(id="end")
    workers = [Worker(id=f"w{i}") for i in range(n - 2)]
    began = time.perf_counter()
    builder = WorkflowBuilder().set_start_executor(start).add_fan_out_edges(start, workers)
    builder.add_fan_in_edges(workers, end).build()
    if index:
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
    """wftui's build() of the wide graph, timed from the first builder call, after one untimed
    build (the peer's script does the same): run after the peer's process, the first two or
    three builds of 3,000 took 53-73 ms and the next ones 27-33 ms (three runs), so a median of
    five measured how cold the process was more than how the build grows."""
    times = []
    for index in range(rounds + 1):
        start, end = Worker(id="start"), Collect(id="end")
        workers: list[Executor] = [Worker(id=f"w{i}") for i in range(n - 2)]
        began = time.perf_counter()
        builder = WorkflowBuilder().set_start_executor(start).add_fan_out_edges(start, workers)
        builder.add_fan_in_edges(workers, end).build()
        if index:
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


def print_graph_build(rounds: int = 5) -> None:
    print(f"\nBuild a wide graph (fan-out + fan-in), median of {rounds} rounds")
    medians = {}
    for n in (1_000, 3_000):
        ours = graph_build_ms(n, rounds)
        medians[n] = statistics.median(ours)
        target = f"  target <= {TARGET_BUILD_MS} {verdict(medians[n], TARGET_BUILD_MS)}"
        line = f"  N={n:>5}  wftui {spread(ours)} ms{target if n == 1_000 else ''}"
        peer = peer_graph_build_ms(n, rounds)
        if peer is None:
            line += f"  (agent-framework old: {PEER_PYTHON} absent, skipped)"
        else:
            ratio = statistics.median(peer) / medians[n]
            line += f"  agent-framework old {spread(peer)} ms = {ratio:.1f}x ours"
        print(line)
    print(f"  N=3,000 / N=1,000: {medians[3_000] / medians[1_000]:.1f} (linear: 3.0)")


async def profile_file_case(folder: Path, runs: int = 200) -> None:
    """The issue's first row as its benchmark runs it (chain N=5, file checkpoints, default
    durability, run journal on, a fresh workflow and storage object per run into one store),
    profiled in the event loop's thread; the time the loop waited (for the save thread, or
    idle) is shown apart, since a profile of one thread does not show the others' work."""
    work = Workloads(wftui)
    await work.per_superstep_ms(5, DEFAULT_DURABILITY, 10, folder / "profile", journal=True)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    await work.per_superstep_ms(5, DEFAULT_DURABILITY, runs, folder / "profile", journal=True)
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
    waited = sum(
        row[2]
        for key, row in stats.stats.items()
        if key[2] == "<method 'poll' of 'select.epoll' objects>"
    )
    stats.sort_stats("tottime").print_stats(25)
    print(f"\nProfile: file checkpoints, N=5, {DEFAULT_DURABILITY}, journal on, {runs} runs")
    print(f"{elapsed * 1000 / runs:.2f} ms a run under the profiler, of which the loop waited")
    print(f"{waited * 1000 / runs:.2f} ms (on the save thread's answers, or idle); by own time:")
    print(out.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile the file-checkpoint case")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each side-by-side figure")
    parser.add_argument(
        "--supersteps", action="store_true", help="only the side-by-side superstep figures"
    )
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (a median and a spread need them)")
    started = time.perf_counter()
    asyncio.run(main(args.profile, args.rounds, args.supersteps))
    print(f"\n(total {time.perf_counter() - started:.1f} s)")
