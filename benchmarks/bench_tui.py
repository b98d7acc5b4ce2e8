"""Figures for the terminal app against the targets of issue 4 (headless Textual, this machine).

- key latency during a flood: 20,000 engine events in 2 s from a real workflow while keys move the
  browser cursor every 50 ms; latency = key posted -> cursor on another row (target: p95 < 50 ms,
  issue 13)
- stores of 10,000 and 50,000 checkpoints, each round a fresh process: app start -> first rows
  (target < 0.5 s), -> a key answered, -> every row listed, then ``G`` to the last row, and
  resident memory once all is in (target <= 150 MB)
- memory on a long run: resident memory after each 100,000 events (the log keeps 50,000 lines)
- startup to first screen: ``python -m wftui`` in a pseudo-terminal until the footer is drawn
  (target < 1 s), and in-process ``make_app`` -> first screen

    python benchmarks/bench_tui.py               # minutes, most of it writing 60,000 files
    python benchmarks/bench_tui.py --quick       # smaller stores and run, for a smoke test
    python benchmarks/bench_tui.py --only-store  # only the store figures (--rounds N, default 3)
    python benchmarks/bench_tui.py --only-flood  # only the key latency during floods (--rounds N)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import pty
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from wftui import (
    Executor,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowEvent,
    handler,
)
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointStorage
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.screens.dialogs import PromptScreen

REPO = Path(__file__).resolve().parents[1]
TARGET_KEY_MS = 50.0
TARGET_FIRST_ROWS_S = 0.5
TARGET_RSS_MB = 150.0
TARGET_STARTUP_S = 1.0

DESCRIPTION = "Emits a flood of events at a steady rate."
DEFAULT_INPUT = "20000"
# Events per sleep; the flood's rate is EVENTS_PER_TICK / TICK a second (0: as fast as it can).
EVENTS_PER_TICK = 50
TICK = 0.005


@dataclass(repr=False)
class TickEvent(WorkflowEvent):
    """One line's worth of flood."""


class Chatter(Executor):
    """``"N"`` emits N events at 10,000 a second, ``"N!"`` as fast as it can; then an output."""

    @handler
    async def chatter(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        total = int(text.rstrip("!"))
        tick = 0.0 if text.endswith("!") else TICK
        start = time.perf_counter()
        for index in range(total):
            await ctx.add_event(TickEvent(data=f"tick {index}"))
            if index % EVENTS_PER_TICK == EVENTS_PER_TICK - 1:
                # Sleep to the schedule, so a slow consumer shows as lag, not as a slower flood.
                due = start + (index + 1) / EVENTS_PER_TICK * tick
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await ctx.yield_output(f"{total} events")


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    chatter = Chatter(id="chatter")
    builder = WorkflowBuilder(name="flood").set_start_executor(chatter)
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()


FLOOD = PipelineSpec(
    name="flood",
    description=DESCRIPTION,
    default_input=DEFAULT_INPUT,
    module=sys.modules[__name__],
)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def verdict(value: float, target: float) -> str:
    return f"{'OK' if value <= target else 'MISSED'} (target < {target:g})"


async def start_flood(app: WftuiApp, pilot: Pilot[None], count: str) -> None:
    """Through the real prompt: n, replace the default input, Enter."""
    await pilot.press("n")
    while not isinstance(app.screen, PromptScreen):
        await asyncio.sleep(0.01)
    await pilot.pause()
    dialog = app.screen
    prompt = dialog.query_one(Input)
    prompt.value = count
    await prompt.action_submit()  # not pilot.press: it would wait for idle while the run floods
    while not app.run_active:
        await asyncio.sleep(0.001)
    # Until the dialog is removed, the App's queue waits for its removal (20-70 ms here, with
    # or without a run): a key then measures closing a dialog, not the flood.
    while dialog.is_attached:
        await asyncio.sleep(0.001)


async def press_and_wait(app: WftuiApp, key: str) -> float:
    """Post a key as the terminal driver would; seconds until the table's cursor moved.

    Moved means onto another row, not another index: a live run's rows arrive above the
    cursor, which keeps it on its row at a new index. Watching the index, that arrival read
    as the key's answer, and a key still queued then undid the next one's move (j then k),
    so the next key seemed unanswered until the run's last checkpoint shifted the rows again.
    """
    table = app.main.browser.table
    before = table.cursor
    start = time.perf_counter()
    app.post_message(events.Key(key, key))
    while table.cursor == before:
        await asyncio.sleep(0)
    return time.perf_counter() - start


async def bench_flood(count: int, paced: bool) -> None:
    rate = f"in {count / 10_000:g} s" if paced else "as fast as the engine can"
    print(f"== flood: {count} events {rate} while keys move the browser cursor")
    storage = InMemoryCheckpointStorage()
    for step in range(40):  # rows for the cursor to move over
        await storage.save_checkpoint(
            WorkflowCheckpoint(workflow_id="rows", iteration_count=step, graph_signature="")
        )
    app = make_app(FLOOD, storage)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.main.browser.table.row_count < 40:
            await asyncio.sleep(0.01)
        app.main.browser.table.focus()
        await start_flood(app, pilot, str(count) if paced else f"{count}!")
        started = time.perf_counter()
        latencies: list[float] = []
        key = "j"
        while app.run_active:
            latencies.append(await press_and_wait(app, key))
            key = "k" if key == "j" else "j"
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = app.main.event_log.total_count
    ms = sorted(value * 1000 for value in latencies)
    p95 = ms[int(len(ms) * 0.95)]
    print(
        f"  run took {elapsed:.2f} s; {len(ms)} keys: median {statistics.median(ms):.1f} ms, "
        f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms; log holds {lines} lines"
    )
    print(f"  p95 {verdict(p95, TARGET_KEY_MS)}")


async def write_store(path: Path, size: int, runs: int) -> FileCheckpointStorage:
    storage = FileCheckpointStorage(path)
    seed = load_pipeline()
    signature = seed.create_workflow(None).signature
    parents: dict[str, str | None] = {}
    for index in range(size):
        run = f"run{index % runs:03d}"
        checkpoint = WorkflowCheckpoint(
            workflow_id=run,
            workflow_name="text_processing",
            parent_checkpoint_id=parents.get(run),
            iteration_count=index // runs,
            messages={
                "upper_case_executor": [{"data": "HELLO", "source_id": "a", "target_id": None}]
            },
            shared_state={"original_input": "hello world"},
            next_executor_ids=["reverse_text_executor"],
            graph_signature=signature,
        )
        parents[run] = await storage.save_checkpoint(checkpoint)
    return storage


async def store_round(path: Path, size: int) -> dict[str, float]:
    """One fresh app on the store: seconds to the first rows, to a key answered, to every row
    listed, then to the last row (``G``), and resident memory once everything is in."""
    start = time.perf_counter()
    app = make_app(load_pipeline(), FileCheckpointStorage(path))
    async with app.run_test(size=(120, 40)):
        browser = app.main.browser
        while browser.table.row_count == 0:
            await asyncio.sleep(0.001)
        first_rows = time.perf_counter() - start
        await press_and_wait(app, "j")
        usable = time.perf_counter() - start
        while len(browser.summaries) < size:
            await asyncio.sleep(0.001)
        loaded = time.perf_counter() - start
        last_row = await press_and_wait(app, "G")
        assert browser.table.cursor_row == browser.table.row_count - 1
        gc.collect()
        rss = rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "first_rows": first_rows,
        "usable": usable,
        "loaded": loaded,
        "last_row": last_row,
        "rss": rss,
        "peak": peak,
    }


def spread(values: list[float], unit: str, scale: float = 1.0) -> str:
    """Median and range, as every figure in these benchmarks is printed."""
    scaled = [value * scale for value in values]
    low, high = min(scaled), max(scaled)
    return f"{statistics.median(scaled):.0f} {unit} (range {low:.0f}-{high:.0f})"


def bench_store(size: int, rounds: int) -> None:
    """Each round is a fresh process, so its memory is the app's alone."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store"
        start = time.perf_counter()
        asyncio.run(write_store(path, size, runs=size // 50))
        written = time.perf_counter() - start
        print(f"== a store of {size} checkpoints in {size // 50} runs (written in {written:.0f} s)")
        samples = []
        for _ in range(rounds):
            command = [sys.executable, __file__, "--store-round", str(path), str(size)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            samples.append(json.loads(out.splitlines()[-1]))

    def figure(key: str, unit: str = "ms", scale: float = 1000.0) -> str:
        return spread([sample[key] for sample in samples], unit, scale)

    first = statistics.median(sample["first_rows"] for sample in samples)
    rss = statistics.median(sample["rss"] for sample in samples)
    print(f"  {rounds} rounds, median (range):")
    print(f"  first rows after {figure('first_rows')}: {verdict(first, TARGET_FIRST_ROWS_S)}")
    print(f"  a key answered after {figure('usable')}")
    print(f"  every row listed after {figure('loaded')}")
    print(f"  then G reaches the last row in {figure('last_row')}")
    print(f"  resident memory {figure('rss', 'MB', 1.0)}: {verdict(rss, TARGET_RSS_MB)}")
    print(f"  peak resident memory {figure('peak', 'MB', 1.0)}")


async def bench_memory(total: int) -> None:
    print(f"== memory over a long run of {total} events (the log keeps the newest 50,000 lines)")
    gc.collect()
    app = make_app(FLOOD, InMemoryCheckpointStorage())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        figures = [f"{rss_mb():.0f} MB at start"]
        for _ in range(total // 100_000):
            await start_flood(app, pilot, "100000!")
            await app.workers.wait_for_complete()
            await pilot.pause()
            gc.collect()
            figures.append(f"{rss_mb():.0f} MB")
        lines = app.main.event_log.total_count
    print(f"  resident memory, then after each 100,000 events: {', '.join(figures)}")
    print(f"  the log holds {lines} lines")


def bench_startup(repeat: int) -> None:
    print("== startup to first screen")
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            samples.append(first_screen_seconds(Path(folder)))
    median = statistics.median(samples)
    print(
        f"  python -m wftui in a pty until the footer is drawn: median {median * 1000:.0f} ms "
        f"of {repeat} (min {min(samples) * 1000:.0f}): {verdict(median, TARGET_STARTUP_S)}"
    )
    asyncio.run(in_process_startup())


def first_screen_seconds(folder: Path) -> float:
    """Launch the real CLI in a 120x40 pseudo-terminal; seconds until the footer shows."""
    primary, secondary = pty.openpty()
    os.set_blocking(primary, False)
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="120", LINES="40")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "wftui", "--checkpoint-dir", str(folder / "cps"), "--chat", "local"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=folder,
        env=env,
        start_new_session=True,
    )
    seen = b""
    try:
        while b"New run" not in seen:
            if time.perf_counter() - start > 20:
                raise RuntimeError(f"no first screen; got {seen[-300:]!r}")
            ready, _, _ = select.select([primary], [], [], 0.05)
            if ready:
                seen += os.read(primary, 65536)
        elapsed = time.perf_counter() - start
        os.write(primary, b"q")
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
        os.close(secondary)
    return elapsed


async def in_process_startup() -> None:
    start = time.perf_counter()
    app = make_app(load_pipeline(), InMemoryCheckpointStorage())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - start
    print(f"  in process, make_app -> first screen (imports done): {elapsed * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller store and run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the store figures, or of --only-flood"
    )
    parser.add_argument("--only-store", action="store_true", help="only the store figures")
    parser.add_argument("--only-flood", action="store_true", help="only the flood figures")
    parser.add_argument("--store-round", nargs=2, metavar=("PATH", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_round:
        path, size = args.store_round
        print(json.dumps(asyncio.run(store_round(Path(path), int(size)))))
        return
    if args.only_flood:
        for _ in range(args.rounds):
            run_floods()
        return
    if not args.only_store:
        run_app_figures(args.quick)
    for size in (1_000, 5_000) if args.quick else (10_000, 50_000):
        bench_store(size, args.rounds)


def run_app_figures(quick: bool) -> None:
    bench_startup(repeat=3 if quick else 5)
    # Memory first, so the figures are this app's and not what earlier sections left behind.
    asyncio.run(bench_memory(200_000 if quick else 300_000))
    run_floods()


def run_floods() -> None:
    asyncio.run(bench_flood(20_000, paced=True))
    asyncio.run(bench_flood(20_000, paced=False))


if __name__ == "__main__":
    main()
