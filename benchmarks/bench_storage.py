"""File-store figures of issue 13, side by side with agent-framework's old API where it has one.

- per superstep with a durable file checkpoint (chain N=5, N=100), with the run journal on, in
  each durability mode (the default marked), wftui vs agent-framework old (which never fsyncs):
  the same workload (``engine_workloads.py``), the peer in its own process, rounds alternating,
  the runs of a round going into one store as ``wftui run`` after ``wftui run`` does;
- ``list_checkpoints()`` of 10,000 (full objects), same workload on both, fresh processes;
- save latency and sizes; listings at 10,000 / 50,000 / 100,000 checkpoints: newest 50 (of the
  store, of one run), get_latest, all summaries, all ids, each in a fresh process (cold: a CLI
  run) with the folder as the last listing left it and just after another process saved, and
  on a warm storage object (a UI refreshing its list); median [min-max] over the rounds, and how
  the medians grow with the store.

The peer runs in /work/af/peer-venv (or $WFTUI_PEER_PYTHON); without it, its column is skipped.

    python benchmarks/bench_storage.py               # a few minutes (100,000 files are made)
    python benchmarks/bench_storage.py --quick       # side by side and 10,000 only
    python benchmarks/bench_storage.py --supersteps  # the per-superstep figures only
    python benchmarks/bench_storage.py --only-listing [--quick]   # the listings alone
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_engine import open_sides, superstep_rows
from pipelines.text_processing import create_workflow as create_seed_workflow
from wftui.checkpoint import EncodedFragments, FileCheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint.document import checkpoint_to_json
from wftui.checkpoint.file import INDEX_NAME, SUMMARIES_NAME
from wftui.checkpoint.values import encode_value

TARGET_STEP_MS = 1.0  # per superstep, engine included; the save is most of it
TARGET_SEED_BYTES = 2048
TARGET_NEWEST_MS = 10.0
TARGET_ALL_MS = {10_000: 150.0}  # and linear beyond
TARGET_LIST_SPEEDUP = 1.5
WORKFLOWS = 20
ROUNDS = 5
LIST_ROUNDS = 9  # one listing per process: more rounds, a median that holds under load
HERE = Path(__file__).resolve().parent
PEER_PYTHON = os.environ.get("WFTUI_PEER_PYTHON", "/work/af/peer-venv/bin/python")


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
    print("== save: one checkpoint (file written and renamed, commit log appended + fdatasync)")
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
            f"  {executors:3d} executor states: save {spread(samples)}; of which encoding "
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


def spread(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):8.3f} ms "
        f"[{min(samples):.3f}-{max(samples):.3f}] over {len(samples)}"
    )


def workload(python: str, api: str, *args: object) -> list[float]:
    """Samples from one run of ``peer_workloads.py`` in its own process."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)} if api == "wftui" else None
    command = [python, str(HERE / "peer_workloads.py"), api, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    samples: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples


def side_by_side(
    folder: Path, label: str, args: list[object], target: float, rounds: int = ROUNDS
) -> None:
    """``rounds`` alternating rounds per side; a round's figure is the median of its samples."""
    peer = Path(PEER_PYTHON).exists()
    ours: list[float] = []
    theirs: list[float] = []
    for index in range(rounds):
        ours.append(statistics.median(workload(sys.executable, "wftui", *args, folder / "w")))
        if peer:
            sample = workload(PEER_PYTHON, "agent_framework", *args, folder / "af")
            theirs.append(statistics.median(sample))
        print(
            f"    round {index + 1}: wftui {ours[-1]:.3f}"
            + (f" | peer {theirs[-1]:.3f}" if peer else "")
        )
    print(f"  {label}")
    print(f"    wftui                    {spread(ours)}")
    if not peer:
        print(f"    agent-framework old      skipped: no {PEER_PYTHON} (see /work/af/PEER.md)")
        return
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(f"    agent-framework old      {spread(theirs)}")
    print(
        f"    wftui is {ratio:.2f}x faster (median of rounds); goal >= {target:g}x -> "
        f"{'OK' if ratio >= target else 'MISS'}; per round "
        + ", ".join(f"{b / a:.2f}x" for a, b in zip(ours, theirs, strict=True))
    )


async def bench_supersteps(folder: Path) -> None:
    """The per-superstep rows of ``bench_engine.py``, with the run journal on."""
    ours, peer = open_sides(folder)
    try:
        await superstep_rows(ours, peer, ROUNDS, journals=(True,))
    finally:
        for side in (ours, peer):
            if side is not None:
                side.close()


def bench_side_by_side(folder: Path) -> None:
    print(
        f"== side by side with agent-framework old, {ROUNDS} rounds ({LIST_ROUNDS} for the listing), "
        "each side in its own process"
    )
    (folder / "supersteps").mkdir()
    asyncio.run(bench_supersteps(folder / "supersteps"))
    # Both folders filled first and written out, so that no round lists while its own 10,000
    # saves are still being written to disk (the first round of each side did).
    sides = [(sys.executable, "wftui", "w")]
    if Path(PEER_PYTHON).exists():
        sides.append((PEER_PYTHON, "agent_framework", "af"))
    for python, api, side in sides:
        workload(python, api, "list", 10_000, 0, folder / "list10k" / side)
    os.sync()
    side_by_side(
        folder / "list10k",
        "list_checkpoints() of 10,000, full objects, fresh storage object, fresh process (ms)",
        ["list", 10_000, 1],
        TARGET_LIST_SPEEDUP,
        rounds=LIST_ROUNDS,
    )


def fill(path: Path, count: int) -> float:
    """``count`` checkpoint files written as a save writes them, then indexed by one listing;
    returns the seconds the indexing took. (Saving 100,000 one by one would take minutes.)"""
    path.mkdir(parents=True)
    for i in range(count):
        cp = checkpoint(5, i, workflow_id=f"run-{i % WORKFLOWS}")
        (path / f"{cp.checkpoint_id}.json").write_bytes(checkpoint_to_json(cp, fragments(cp)))
    start = time.perf_counter()
    asyncio.run(FileCheckpointStorage(path).list_summaries(limit=1))
    return time.perf_counter() - start


SETTLE = 0.25  # s: a folder mtime older than this is trusted by a listing (past any clock tick)

LISTING_CASES: dict[str, Callable[[FileCheckpointStorage], Awaitable[Any]]] = {
    "newest 50 summaries": lambda s: s.list_summaries(limit=50),
    "newest 50 of one run": lambda s: s.list_summaries("run-3", limit=50),
    "get_latest": lambda s: s.get_latest(),
    "all summaries": lambda s: s.list_summaries(),
    "all ids": lambda s: s.list_checkpoint_ids(),
}
LISTING_TARGETS = {
    "newest 50 summaries": TARGET_NEWEST_MS,
    "newest 50 of one run": TARGET_NEWEST_MS,
    "get_latest": TARGET_NEWEST_MS,
}


def cold_call(path: Path, label: str) -> None:
    """In a fresh process (a CLI run): one call on a new storage object; prints its ms, wall
    clock and CPU."""

    async def timed() -> tuple[float, float]:
        return await timed_call(LISTING_CASES[label], FileCheckpointStorage(path))

    print(json.dumps(asyncio.run(timed())))


async def timed_call(
    call: Callable[[FileCheckpointStorage], Awaitable[Any]], storage: FileCheckpointStorage
) -> tuple[float, float]:
    """Milliseconds of one call: wall clock, and CPU of the process (every thread; the storage
    works in a worker thread). On a shared machine a long call is preempted more, so its wall
    clock grows faster than its work: the CPU figure is the one to judge growth by."""
    wall, cpu = time.perf_counter(), time.process_time()
    await call(storage)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def in_fresh_process(path: Path, label: str) -> tuple[float, float]:
    command = [sys.executable, __file__, "--cold-call", str(path), label]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return wall, cpu


async def bench_listing(path: Path, count: int) -> dict[tuple[str, str], float]:
    """Each call in a fresh process (a CLI run: cold), with the folder as the last listing left
    it and just after another process saved a checkpoint, and on one storage object kept
    between calls (a UI refreshing its list: warm). Returns the medians."""
    saver = FileCheckpointStorage(path)
    warm_storage = FileCheckpointStorage(path)
    medians: dict[tuple[str, str], float] = {}
    # A folder in use: its commit log made by a first save, and the folder listed since.
    await saver.save_checkpoint(checkpoint(5, count, workflow_id="run-3"))
    saved = 1
    await asyncio.sleep(SETTLE)
    in_fresh_process(path, "all summaries")
    for label, call in LISTING_CASES.items():
        changed = []
        for _ in range(ROUNDS):
            await saver.save_checkpoint(checkpoint(5, count + saved, workflow_id="run-3"))
            saved += 1
            await asyncio.sleep(SETTLE)
            changed.append(in_fresh_process(path, label))
        in_fresh_process(path, "all summaries")  # a full listing records the folder as is
        await asyncio.sleep(SETTLE)
        cold = [in_fresh_process(path, label) for _ in range(ROUNDS)]
        await call(warm_storage)
        warm = [await timed_call(call, warm_storage) for _ in range(ROUNDS)]
        cold_ms, changed_ms, warm_ms = (
            [wall for wall, _ in pairs] for pairs in (cold, changed, warm)
        )
        print(f"  {label:21s} cold, folder as last listed    {spread(cold_ms)}")
        print(f"  {'':21s} cold, just after another saved {spread(changed_ms)}")
        print(f"  {'':21s} warm                           {spread(warm_ms)}")
        cpu = {"cold cpu": cold, "warm cpu": warm}
        for kind, pairs in cpu.items():
            print(f"  {'':21s} {kind:30s} {spread([cpu_ms for _, cpu_ms in pairs])}")
        target = LISTING_TARGETS.get(label)
        if label == "all summaries":
            target = TARGET_ALL_MS.get(count)
        samples = {"cold": cold_ms, "after a save": changed_ms, "warm": warm_ms}
        for kind, values in samples.items():
            medians[label, kind] = statistics.median(values)
            if target is not None:
                print(f"      {kind:12s} median {verdict(medians[label, kind], target)}")
        for kind, pairs in cpu.items():  # for the growth table: targets are in wall clock
            medians[label, kind] = statistics.median(cpu_ms for _, cpu_ms in pairs)
    summaries = await FileCheckpointStorage(path).list_summaries()
    assert len(summaries) == count + saved, len(summaries)
    return medians


def bench_scale(folder: Path, counts: tuple[int, ...]) -> None:
    print(
        f"== listings, {ROUNDS} rounds; cold = a fresh process each round (imports not timed), "
        f"after a save = {SETTLE:g} s after another process saved one"
    )
    figures = {}
    for count in counts:
        path = folder / f"history{count}"
        indexing = fill(path, count)
        print(
            f"== listing {count} checkpoints in {WORKFLOWS} runs (first indexing {indexing:.1f} s)"
        )
        figures[count] = asyncio.run(bench_listing(path, count))
        if count == counts[0]:
            os.remove(path / INDEX_NAME)
            os.remove(path / SUMMARIES_NAME)
            rebuild_ms = asyncio.run(
                measure(lambda path=path: FileCheckpointStorage(path).list_summaries(limit=50), 1)  # type: ignore[misc]
            )
            print(f"  cache files deleted: rebuilt from the files in {rebuild_ms[0]:.0f} ms (once)")
    if len(counts) > 1:
        first, *rest = counts
        print(
            f"== growth of the medians against {first} (linear: the ratio of the sizes; wall "
            "clock grows faster than CPU under load)"
        )
        for label, kind in figures[first]:
            ratios = ", ".join(
                f"{count // first}x size: "
                f"{figures[count][label, kind] / figures[first][label, kind]:.1f}x"
                for count in rest
            )
            print(f"  {label:21s} {kind:12s} {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="side by side and 10,000 only")
    parser.add_argument(
        "--supersteps", action="store_true", help="only the per-superstep figures (about a minute)"
    )
    parser.add_argument("--only-listing", action="store_true", help="only the listings")
    parser.add_argument("--cold-call", nargs=2, metavar=("PATH", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_call:
        cold_call(Path(args.cold_call[0]), args.cold_call[1])
        return
    quick = args.quick
    if args.only_listing:
        with tempfile.TemporaryDirectory() as tmp:
            bench_scale(Path(tmp), (10_000,) if quick else (10_000, 50_000, 100_000))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.supersteps:
            asyncio.run(bench_supersteps(folder))
            return
        bench_side_by_side(folder)
        asyncio.run(bench_saves(folder))
        asyncio.run(bench_seed_size(folder))
        bench_scale(folder, (10_000,) if quick else (10_000, 50_000, 100_000))


if __name__ == "__main__":
    main()
