"""Searching text inside checkpoint values (the browser's ``/``), on a folder store of 10,000.

- the search alone (``ValueSearch``): a word in 1% of the checkpoints, read cold (a fresh search
  object, so nothing cached), then a longer word that extends it (reads only the first's hits),
  then the same word again (reads nothing), and the longest stall of the event loop while the
  cold search runs (what a key pressed meanwhile waits at most);
- in the app: ``/`` and the word typed, to the last match shown, and a key (``j``) pressed
  while the search runs, to its answer.

    python benchmarks/bench_value_search.py            # 10,000 checkpoints, 5 rounds
    python benchmarks/bench_value_search.py --quick    # 2,000 checkpoints, 3 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events

from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import load_pipeline
from wftui.tui.app import make_app
from wftui.tui.browser.value_search import ValueSearch

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "report",
    "draft",
    "summary",
    "answer",
    "model",
    "token",
    "step",
    "value",
]
RARE = "zebra"  # in 1% of the checkpoints
PER_RUN = 50


async def write_store(path: Path, size: int) -> list[str]:
    storage = FileCheckpointStorage(path)
    signature = load_pipeline().create_workflow(None).signature
    rng = random.Random(13)
    ids, parents = [], {}
    for index in range(size):
        run = f"run{index // PER_RUN:04d}"
        text = " ".join(rng.choice(WORDS) for _ in range(40))
        if index % 100 == 7:
            text += f" {RARE} crossing"
        checkpoint = WorkflowCheckpoint(
            workflow_id=run,
            workflow_name="text_processing",
            parent_checkpoint_id=parents.get(run),
            iteration_count=index % PER_RUN,
            shared_state={"draft": text, "notes": [rng.choice(WORDS) for _ in range(20)]},
            executor_states={"writer": {"last": text[:80], "count": index}},
            graph_signature=signature,
        )
        parents[run] = await storage.save_checkpoint(checkpoint)
        ids.append(parents[run])
    return ids


async def search_round(path: Path, ids: list[str]) -> dict[str, float]:
    storage = FileCheckpointStorage(path)
    search = ValueSearch(storage.load_document)
    stalls: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0)
            stalls.append(time.perf_counter() - before)

    async def timed(needle: str) -> tuple[float, int]:
        start = time.perf_counter()
        hits = [cid for batch, _ in [b async for b in search.search(needle, ids)] for cid in batch]
        return time.perf_counter() - start, len(hits)

    watching = asyncio.create_task(ticker())
    cold, found = await timed(RARE[:3])
    done.set()
    await watching
    longer, narrowed = await timed(RARE)
    again, _ = await timed(RARE)
    assert found == narrowed == len(ids) // 100, (found, narrowed)
    return {"cold": cold, "longer": longer, "again": again, "stall": max(stalls)}


async def app_round(path: Path, size: int) -> dict[str, float]:
    """Seconds from the typed word to the last match shown, and from a key pressed during the
    search to its answer."""
    app = make_app(load_pipeline(), FileCheckpointStorage(path))
    async with app.run_test(size=(120, 40)) as pilot:
        browser = app.main.browser
        while len(browser.summaries) < size:
            await asyncio.sleep(0.005)
        browser.table.focus()
        await pilot.press("slash", *RARE)
        start = time.perf_counter()
        while not browser.searching_values or browser._searched in (None, (0, 0)):
            await asyncio.sleep(0.001)  # the search has started reading
        browser.table.focus()
        before = browser.table.cursor_row
        key = time.perf_counter()
        app.post_message(events.Key("j", "j"))  # as the terminal driver would; not pilot.press,
        while browser.table.cursor_row == before:  # which waits for the app to be idle
            await asyncio.sleep(0)
        answered = time.perf_counter() - key
        while browser.searching_values:
            await asyncio.sleep(0.005)
        shown = time.perf_counter() - start
        assert browser.model.matched_count() == size // 100
    return {"shown": shown, "key": answered}


def spread(values: list[float], unit: str = "ms", scale: float = 1000.0) -> str:
    scaled = [value * scale for value in values]
    return f"{statistics.median(scaled):.0f} {unit} (range {min(scaled):.0f}-{max(scaled):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size, rounds = (2_000, 3) if args.quick else (10_000, 5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store"
        start = time.perf_counter()
        ids = asyncio.run(write_store(path, size))
        print(
            f"== {size} checkpoints in {size // PER_RUN} runs ({time.perf_counter() - start:.0f} s to write)"
        )
        searches = [asyncio.run(search_round(path, ids)) for _ in range(rounds)]
        apps = [asyncio.run(app_round(path, size)) for _ in range(rounds)]

    def figure(samples: list[dict[str, float]], key: str) -> str:
        return spread([sample[key] for sample in samples])

    print(f"  {rounds} rounds, median (range); the word is in {size // 100} checkpoints")
    print(f"  search of every document, nothing cached: {figure(searches, 'cold')}")
    print(f"  a longer word then (reads the first's hits): {figure(searches, 'longer')}")
    print(f"  the same word again: {figure(searches, 'again')}")
    print(f"  longest event-loop stall during the first search: {figure(searches, 'stall')}")
    print(
        f"  app: typed word to every match shown (0.25 s pause included): {figure(apps, 'shown')}"
    )
    print(f"  app: a key pressed during the search answered in {figure(apps, 'key')}")


if __name__ == "__main__":
    main()
