"""A writer process for the multi-process journal and cassette promises: COUNT executions of its
own run, each begun, filled in batches with heartbeats and ended, plus one cassette line per
execution in its run's cassette and in one cassette every writer shares.

python -m tests.checkpoint.journal_writers STORE_URL WORKER COUNT
"""

from __future__ import annotations

import asyncio
import os
import sys

from wftui.agents.cassette import Recording, cassette_store_for
from wftui.checkpoint import open_store
from wftui.cli.stores import close_store
from wftui.journal import Entry, Execution, journal_for

ENTRIES = range(1, 13)
BATCH = 4
SHARED_RUN = "shared-run"


def writer_run(worker: int) -> str:
    return f"writer-{worker}"


def execution_ids(worker: int, count: int) -> list[str]:
    return [f"w{worker}-e{index:03d}" for index in range(count)]


def recording(worker: int, index: int) -> Recording:
    return Recording(
        key=f"w{worker}-{index:03d}",
        request={"model": "m", "worker": worker, "index": index},
        backend="tests",
        executor=None,
        recorded="2024-01-01T00:00:00+00:00",
        response={"text": f"answer {worker}.{index}"},
    )


async def write(url: str, worker: int, count: int) -> None:
    storage = open_store(url, create=True)
    journal = journal_for(storage)
    cassettes = cassette_store_for(storage)
    assert cassettes is not None
    try:
        for index, execution_id in enumerate(execution_ids(worker, count)):
            started = 1_000_000.0 + index  # each writer's executions list oldest first
            await journal.begin(
                Execution(
                    execution_id,
                    "run",
                    "tests",
                    "test-host",
                    os.getpid(),
                    started,
                    run=writer_run(worker),
                    heartbeat=started,
                )
            )
            seqs = list(ENTRIES)
            for start in range(0, len(seqs), BATCH):
                batch = seqs[start : start + BATCH]
                await journal.append(
                    execution_id,
                    [
                        Entry(
                            seq,
                            started,
                            "invoked",
                            "step",
                            f"{execution_id} {seq}",
                            "plain",
                            {"seq": seq},
                        )
                        for seq in batch
                    ],
                )
                await journal.beat(execution_id, started + batch[-1])
            await journal.end(execution_id, "completed", started + len(seqs))
            await cassettes.append(writer_run(worker), recording(worker, index))
            await cassettes.append(SHARED_RUN, recording(worker, index))
    finally:
        await journal.close()
        await close_store(storage)


if __name__ == "__main__":
    url, worker, count = sys.argv[1:]
    asyncio.run(write(url, int(worker), int(count)))
