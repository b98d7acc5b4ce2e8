"""The event loop's share of one checkpoint save, without the run around it (issue 13).

What the engine does in the loop thread for every checkpoint before a store touches it:
``Snapshots.prepare`` (the checkpoint and its values' stored forms) and the document's bytes
(``JsonCheckpointSerializer.dumps``), plus the listing summary a store makes of it. The state is
the N=5 chain's (``bench_engine.py``): each superstep one executor sets ``{"count", "last"}`` and
one 64-character message is pending; the first checkpoint of a run also holds the graph. Median
over rounds of microseconds per checkpoint, each round a fresh run state of many checkpoints.

    python benchmarks/bench_save.py               # a few seconds
    python benchmarks/bench_save.py --rounds 9
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_engine import MESSAGE, chain
from wftui import InMemoryCheckpointStorage
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER
from wftui.engine.edges import Router
from wftui.engine.execution import ExecutionInfo, ExecutionKind
from wftui.engine.records import Message
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState, StoredValue

N = 5
CHECKPOINTS_PER_RUN = N + 1  # the initial one, then one per superstep


def one_round(checkpoints: int) -> dict[str, float]:
    """Microseconds per checkpoint of each step, over ``checkpoints`` saves of fresh runs."""
    workflow = chain(N, None)
    snapshots = Snapshots(
        name=workflow.name,
        max_iterations=workflow.max_iterations,
        graph=workflow.graph,
        router=Router(workflow.edge_groups, workflow.executors),
    )
    ids = list(workflow.executors)
    storage = InMemoryCheckpointStorage()
    spent = {"prepare": 0.0, "dumps": 0.0, "summary": 0.0}
    state = RunState(workflow_id="")
    for index in range(checkpoints):
        step = index % CHECKPOINTS_PER_RUN
        if step == 0:  # a new run
            info = ExecutionInfo(kind=ExecutionKind.RUN)
            state = RunState(workflow_id=f"run{index}", metadata={"execution": info.as_metadata()})
        else:  # what a superstep commits: its executor's state, its message on
            executor_id = ids[step - 1]
            state.iteration = step
            state.executor_states[executor_id] = StoredValue.of(
                {"count": 1, "last": MESSAGE}, f"executor_states.{executor_id}"
            )
            state.ledger.record(executor_id, {"runs": 1, "ms": 3})
        sender = ids[step - 1] if step else "__input__"
        target = ids[0] if not step else None
        state.pending = [] if step == N else [Message(MESSAGE, sender, target)]
        state.routed = None
        start = time.perf_counter()
        prepared = snapshots.prepare(state, storage, graph=step == 0)
        middle = time.perf_counter()
        data = DEFAULT_SERIALIZER.dumps(prepared.checkpoint, prepared.encoded)
        end = time.perf_counter()
        prepared.checkpoint.summary(len(data))
        spent["summary"] += time.perf_counter() - end
        spent["prepare"] += middle - start
        spent["dumps"] += end - middle
        snapshots.hold(state, storage, prepared)
        state.last_checkpoint_id = prepared.checkpoint.checkpoint_id
    return {name: seconds * 1e6 / checkpoints for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checkpoints", type=int, default=6000)
    args = parser.parse_args()
    one_round(600)  # warm-up: imports, type caches
    rounds = [one_round(args.checkpoints) for _ in range(args.rounds)]
    print(f"us per checkpoint, N={N} chain, median (min-max) of {args.rounds} rounds")
    for name in ("prepare", "dumps", "summary"):
        values = [r[name] for r in rounds]
        print(f"{name:8} {statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})")
    totals = [r["prepare"] + r["dumps"] for r in rounds]
    print(f"{'both':8} {statistics.median(totals):7.2f} ({min(totals):.2f}-{max(totals):.2f})")


if __name__ == "__main__":
    main()
