"""The engine workloads of ``bench_engine.py``, written once against the API wftui shares with
agent-framework's old workflow API, so the very same code runs on both.

``bench_engine.py`` runs it in-process on wftui and, for the peer, as a subprocess with the
peer's Python (``--framework agent_framework``), which prints its figures as JSON.

No ``from __future__ import annotations`` here: the executors are built per framework inside a
function, and both frameworks read handler annotations as real objects.
"""

import argparse
import asyncio
import importlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

MESSAGE = "x" * 64
TURN_BYTES = 500  # one conversation message
BLOB_BYTES = 200_000  # the value set once


class Workloads:
    """The executors and runs, for one framework module (``wftui`` or ``agent_framework``)."""

    def __init__(self, fw: ModuleType) -> None:
        self.fw = fw
        WorkflowContext = fw.WorkflowContext

        class PassThrough(fw.Executor):  # type: ignore[misc,name-defined]
            """Keeps a small state and passes the text on."""

            @fw.handler  # type: ignore[misc]
            async def step(self, text: str, ctx: WorkflowContext[str]) -> None:  # type: ignore[valid-type]
                state = await ctx.get_state() or {}
                await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
                await ctx.send_message(text)

        class Last(fw.Executor):  # type: ignore[misc,name-defined]
            @fw.handler  # type: ignore[misc]
            async def step(self, text: str, ctx: WorkflowContext[Any, str]) -> None:  # type: ignore[valid-type]
                state = await ctx.get_state() or {}
                await ctx.set_state({"count": state.get("count", 0) + 1, "last": text})
                await ctx.yield_output(text)

        class Talker(fw.Executor):  # type: ignore[misc,name-defined]
            """A growing conversation in its state; a large value set once in shared state."""

            def __init__(self, id: str, turns: int) -> None:
                super().__init__(id=id)
                self.turns = turns

            @fw.handler  # type: ignore[misc]
            async def turn(self, n: int, ctx: WorkflowContext[int, int]) -> None:  # type: ignore[valid-type]
                state = await ctx.get_state() or {"messages": []}
                if n == 0:
                    await ctx.set_shared_state("document", "b" * BLOB_BYTES)
                said = {
                    "role": "user" if n % 2 else "assistant",
                    "text": f"{n}:" + "m" * TURN_BYTES,
                }
                await ctx.set_state({"messages": [*state["messages"], said]})
                if n + 1 < self.turns:
                    await ctx.send_message(n + 1)
                else:
                    await ctx.yield_output(n + 1)

        self.PassThrough, self.Last, self.Talker = PassThrough, Last, Talker

    def _checkpointing(self, builder: Any, folder: Path, durability: str) -> Any:
        storage = self.fw.FileCheckpointStorage(folder)
        if self.fw.__name__ == "wftui":
            return builder.with_checkpointing(storage, durability=durability)
        return builder.with_checkpointing(storage)

    def chain(self, n: int, folder: Path, durability: str = "sync") -> Any:
        executors = [self.PassThrough(id=f"step{i:03d}") for i in range(n - 1)]
        executors.append(self.Last(id=f"step{n - 1:03d}"))
        builder = self.fw.WorkflowBuilder(max_iterations=n + 1)
        builder.add_chain(executors).set_start_executor(executors[0])
        return self._checkpointing(builder, folder, durability).build()

    def talker(self, turns: int, folder: Path, durability: str = "sync") -> Any:
        talker = self.Talker("talker", turns)
        builder = self.fw.WorkflowBuilder(max_iterations=turns + 1)
        builder.add_edge(talker, talker).set_start_executor(talker)
        return self._checkpointing(builder, folder, durability).build()

    async def per_superstep_ms(
        self, n: int, durability: str, runs: int, tmp: Path, journal: bool = False
    ) -> float:
        """``runs`` runs of the N-chain (after a warm-up run): ms per superstep over them all.
        The runs go into one store, each with a fresh workflow and storage object, as ``wftui
        run`` after ``wftui run`` does (a store's own files are made once, by its first run).
        With ``journal`` (wftui only), each run is journaled as ``wftui run`` journals it."""
        elapsed = 0.0
        for index in range(runs + 1):
            workflow = self.chain(n, tmp / f"chain{n}-{durability}", durability)
            start = time.perf_counter()
            stream = workflow.run_stream(MESSAGE)
            if journal:
                stream = self._journaled(stream, workflow.checkpoint_storage)
            async for _ in stream:
                pass
            if index:
                elapsed += time.perf_counter() - start
        return elapsed * 1000 / (n * runs)

    def _journaled(self, stream: Any, storage: Any) -> Any:
        from wftui.journal import Execution, journal_for, journaled

        execution = Execution.here("run", None, input=MESSAGE)
        return journaled(stream, journal_for(storage), execution, storage)

    async def resume_ms(self, rounds: int, tmp: Path) -> list[float]:
        """Load a checkpoint 5 supersteps before the end (N=100) on a fresh workflow, until the
        first executor is invoked."""
        folder = tmp / "resume"
        saved = []
        async for event in self.chain(100, folder).run_stream(MESSAGE):
            if type(event).__name__ == "CheckpointSavedEvent":
                saved.append(event.checkpoint_id)
        if not saved:  # the peer announces no checkpoints: its storage lists them
            checkpoints = await self.fw.FileCheckpointStorage(folder).list_checkpoints()
            saved = [cp.checkpoint_id for cp in sorted(checkpoints, key=lambda cp: cp.timestamp)]
        target = saved[-6]
        samples = []
        for _ in range(rounds):
            fresh = self.chain(100, folder)
            start = time.perf_counter()
            stream = fresh.run_stream_from_checkpoint(target)
            async for event in stream:
                if type(event).__name__ == "ExecutorInvokedEvent":
                    samples.append((time.perf_counter() - start) * 1000)
                    break
            await stream.aclose()
        return samples

    async def storage_growth(
        self, turns: int, tmp: Path, durability: str = "sync"
    ) -> dict[str, int]:
        """Bytes on disk after the run, and the bytes of its final state (the last checkpoint
        with everything it refers to, as one compact JSON document)."""
        folder = tmp / f"growth-{durability}"
        async for _ in self.talker(turns, folder, durability).run_stream(0):
            pass
        files = [path for path in folder.iterdir() if path.suffix == ".json"]
        on_disk = sum(path.stat().st_size for path in files)
        newest = max(files, key=lambda path: path.stat().st_mtime_ns)
        if self.fw.__name__ == "wftui":
            from wftui.checkpoint.document import parse_checkpoint
            from wftui.checkpoint.references import whole_document

            storage = self.fw.FileCheckpointStorage(folder)
            latest = (await storage.list_summaries(limit=1))[0].checkpoint_id
            document = await whole_document(storage, latest, parse_checkpoint)
            final = len(json.dumps(document, separators=(",", ":")))
        else:
            final = len(json.dumps(json.loads(newest.read_bytes()), separators=(",", ":")))
        return {"on_disk": on_disk, "final_state": final, "files": len(files)}


async def serve(fw_name: str) -> None:
    """Answer one task per input line (JSON) with its figures (JSON), so a benchmark can
    alternate rounds between frameworks on the same disk at the same time."""
    logging.getLogger("agent_framework").setLevel(logging.ERROR)
    work = Workloads(importlib.import_module(fw_name))
    with tempfile.TemporaryDirectory(prefix="wftui-bench-") as tmp:
        for index, line in enumerate(iter(sys.stdin.readline, "")):
            task = json.loads(line)
            folder = Path(tmp) / str(index)
            folder.mkdir()
            result = await run_task(work, task, folder)
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
            # Folders are removed at the end, not between rounds: ext4 passes over recently
            # freed inodes when it makes a file, so a round after the deletion of thousands
            # paid up to 1 ms per file made (on both sides) and measured that, not the library.


async def run_task(work: Workloads, task: dict[str, Any], folder: Path) -> Any:
    kind = task["task"]
    if kind == "per_superstep":
        return await work.per_superstep_ms(
            task["n"], task["mode"], task["runs"], folder, task.get("journal", False)
        )
    if kind == "resume":
        return await work.resume_ms(task["runs"], folder)
    if kind == "growth":
        return await work.storage_growth(task["turns"], folder, task.get("mode", "sync"))
    raise ValueError(f"unknown task {kind!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", default="agent_framework")
    asyncio.run(serve(parser.parse_args().framework))
