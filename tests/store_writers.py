"""Writer processes for the multi-process store tests.

python -m tests.store_writers STORE_URL WORKER COUNT          COUNT checkpoints of its own run
python -m tests.store_writers --runs STORE_URL WORKER COUNT   COUNT journaled runs of a tiny pipeline
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from wftui.checkpoint import WorkflowCheckpoint, open_store
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import Execution, journal_for, journaled
from wftui.loader import load_pipeline

# The smallest run that journals every kind of change: one step and the output, three
# checkpoints. The chain reads CHAIN_STEPS when it is built, so whoever loads it sets that too.
TINY_PIPELINE = str(Path(__file__).parent / "slow_chain.py")
TINY_STEPS = {"CHAIN_STEPS": "a"}


def written_ids(worker: int, count: int) -> list[str]:
    return [f"w{worker}-{index:04d}" for index in range(count)]


def run_input(worker: int, index: int) -> str:
    return f"worker {worker} run {index}"


async def write(storage: CheckpointStorage, worker: int, count: int) -> None:
    for index, checkpoint_id in enumerate(written_ids(worker, count)):
        checkpoint = WorkflowCheckpoint(
            checkpoint_id=checkpoint_id,
            workflow_id=f"writer-{worker}",
            iteration_count=index,
            executor_states={"worker": {"index": index}},
            messages={"worker": [{"data": index, "source_id": "worker", "target_id": None}]},
        )
        await storage.save_checkpoint(checkpoint)


async def run(storage: CheckpointStorage, worker: int, count: int) -> None:
    """COUNT runs one after another, each journaled as ``wftui run`` journals it."""
    os.environ.update(TINY_STEPS)
    pipeline = load_pipeline(TINY_PIPELINE)
    journal = journal_for(storage)
    try:
        for index in range(count):
            text = run_input(worker, index)
            execution = Execution.here("run", pipeline.reference, input=text)
            events = pipeline.create_workflow(storage).run_stream(text)
            async for _ in journaled(events, journal, execution, storage):
                pass
    finally:
        await journal.close()


async def main(arguments: list[str]) -> None:
    runs = arguments[:1] == ["--runs"]
    url, worker, count = arguments[1:] if runs else arguments
    storage = open_store(url, create=True)
    try:
        await (run if runs else write)(storage, int(worker), int(count))
    finally:
        close = getattr(storage, "close", None)
        if close is not None:
            await close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
