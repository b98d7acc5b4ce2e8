"""A writer process for the multi-process store tests: saves COUNT checkpoints of its own run.

python -m tests.store_writers STORE_URL WORKER COUNT
"""

from __future__ import annotations

import asyncio
import sys

from wftui.checkpoint import WorkflowCheckpoint, open_store


def written_ids(worker: int, count: int) -> list[str]:
    return [f"w{worker}-{index:04d}" for index in range(count)]


async def write(url: str, worker: int, count: int) -> None:
    storage = open_store(url, create=True)
    try:
        for index, checkpoint_id in enumerate(written_ids(worker, count)):
            checkpoint = WorkflowCheckpoint(
                checkpoint_id=checkpoint_id,
                workflow_id=f"writer-{worker}",
                iteration_count=index,
                executor_states={"worker": {"index": index}},
                messages={"worker": [{"data": index, "source_id": "worker", "target_id": None}]},
            )
            await storage.save_checkpoint(checkpoint)
    finally:
        close = getattr(storage, "close", None)
        if close is not None:
            await close()


if __name__ == "__main__":
    url, worker, count = sys.argv[1:]
    asyncio.run(write(url, int(worker), int(count)))
