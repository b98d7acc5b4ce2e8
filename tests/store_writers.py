"""A writer process for the multi-process store tests: saves COUNT checkpoints of its own run.

python -m tests.store_writers sqlite PATH WORKER COUNT
python -m tests.store_writers postgresql URL WORKER COUNT
"""

from __future__ import annotations

import asyncio
import sys

from wftui.checkpoint import WorkflowCheckpoint
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.sql.common import SqlCheckpointStorage


def written_ids(worker: int, count: int) -> list[str]:
    return [f"w{worker}-{index:04d}" for index in range(count)]


def open_store(kind: str, target: str) -> SqlCheckpointStorage:
    if kind == "sqlite":
        return SqliteCheckpointStorage(target)
    return PostgresCheckpointStorage.from_url(target)


async def write(kind: str, target: str, worker: int, count: int) -> None:
    async with open_store(kind, target) as storage:
        for index, checkpoint_id in enumerate(written_ids(worker, count)):
            checkpoint = WorkflowCheckpoint(
                checkpoint_id=checkpoint_id,
                workflow_id=f"writer-{worker}",
                iteration_count=index,
                executor_states={"worker": {"index": index}},
                messages={"worker": [{"data": index, "source_id": "worker", "target_id": None}]},
            )
            await storage.save_checkpoint(checkpoint)


if __name__ == "__main__":
    kind, target, worker, count = sys.argv[1:]
    asyncio.run(write(kind, target, int(worker), int(count)))
