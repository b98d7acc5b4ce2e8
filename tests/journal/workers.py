"""A worker process for the multi-process journal test: COUNT journaled runs into one store.

python -m tests.journal.workers KIND TARGET WORKER COUNT   (KIND: file | sqlite | postgresql)

Each run's input carries the ``WFTUI_TEST_SECRET_KEY`` value, which no journal may keep.
"""

from __future__ import annotations

import asyncio
import os
import sys

from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.storage import CheckpointStorage
from wftui.cli.stores import close_store
from wftui.journal import Execution, journal_for, journaled
from wftui.loader import load_pipeline

PIPELINE = "pipelines.fan_out"


def open_storage(kind: str, target: str) -> CheckpointStorage:
    if kind == "file":
        return FileCheckpointStorage(target)
    if kind == "sqlite":
        return SqliteCheckpointStorage(target)
    return PostgresCheckpointStorage.from_url(target)


async def work(kind: str, target: str, worker: int, count: int) -> None:
    storage = open_storage(kind, target)
    journal = journal_for(storage)
    pipeline = load_pipeline(PIPELINE)
    secret = os.environ.get("WFTUI_TEST_SECRET_KEY", "")
    try:
        for index in range(count):
            text = f"worker {worker} run {index} key {secret}"
            workflow = pipeline.create_workflow(storage, None)
            execution = Execution.here("run", PIPELINE, input=text)
            async for _ in journaled(workflow.run_stream(text), journal, execution, storage):
                pass
    finally:
        await journal.close()
        await close_store(storage)


if __name__ == "__main__":
    kind, target, worker, count = sys.argv[1:]
    asyncio.run(work(kind, target, int(worker), int(count)))
