"""The listing workload of ``bench_storage.py``, run in its own process (its per-superstep
figures run ``engine_workloads.py``, as ``bench_engine.py`` does).

The same code on wftui or on agent-framework's old API (their names are the same), so the two
figures differ only in the library. It prints one JSON line of samples in ms.

    python benchmarks/peer_workloads.py wftui|agent_framework list COUNT ROUNDS FOLDER
        COUNT checkpoints of five small executor states saved (unless FOLDER exists), then
        ``list_checkpoints()`` of them all by a fresh storage object, ROUNDS times
"""

import asyncio
import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

MESSAGE = "x" * 64
# The package argv[1] names: both have these names.
api: Any = importlib.import_module(sys.argv[1] if __name__ == "__main__" else "wftui")


def history_checkpoint(index: int) -> Any:
    """A checkpoint as a five-executor run leaves it (both libraries have these fields)."""
    return api.WorkflowCheckpoint(
        workflow_id=f"run-{index % 20}",
        iteration_count=index,
        messages={"step000": [{"data": MESSAGE, "source_id": "step000", "target_id": None}]},
        shared_state={"original_input": "hello world", "upper_output": "HELLO WORLD"},
        executor_states={
            f"step{i:03d}": {"count": index, "last_input": MESSAGE, "last_output": MESSAGE}
            for i in range(5)
        },
    )


async def list_all(count: int, rounds: int, folder: Path) -> list[float]:
    """Fills ``folder`` with ``count`` checkpoints on first use; later calls only list."""
    if not folder.exists():
        writer = api.FileCheckpointStorage(str(folder))
        for index in range(count):
            await writer.save_checkpoint(history_checkpoint(index))
    samples = []
    for _ in range(rounds):
        storage = api.FileCheckpointStorage(str(folder))
        start = time.perf_counter()
        listed = await storage.list_checkpoints()
        samples.append((time.perf_counter() - start) * 1000)
        assert len(listed) == count, len(listed)
    return samples


async def main(workload: str, size: int, repeat: int, folder: Path) -> None:
    logging.getLogger("agent_framework").setLevel(logging.ERROR)
    if workload != "list":
        raise SystemExit(f"unknown workload {workload!r}")
    print(json.dumps(await list_all(size, repeat, folder)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])))
