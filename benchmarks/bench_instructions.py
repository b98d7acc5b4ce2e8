"""Instructions per run of the N=5 chain, counted by valgrind (issue 13): a figure that does
not move with the load on a shared machine, where wall-clock times of the same code moved by
a third from one minute to the next.

Each variant runs in a fresh process under ``valgrind --tool=cachegrind``; instructions per run
are (count after ``--runs`` + 10 runs - count after 10 runs) / ``--runs``, so imports and
warm-up cancel out. Variants: no checkpoints; file checkpoints (``async``, the default) with
the save thread's work replaced by an at-once answer (what the event loop spends per run); the
full file store; the same with the run journal on. Only this process is counted: the save
worker (a child process) is not, and the kernel's work never is. Skipped without valgrind.

    python benchmarks/bench_instructions.py            # about two minutes
    python benchmarks/bench_instructions.py --runs 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = {
    "no checkpoints": "none",
    "file checkpoints, the loop's share (saves answered at once)": "loop",
    "file checkpoints (async)": "file",
    "file checkpoints (async), run journal on": "journal",
}
WARM_UP = 10


def run_variant(variant: str, runs: int, folder: Path) -> None:
    """In the counted process: ``runs`` runs of the chain as ``variant`` makes them."""
    import wftui
    from benchmarks.engine_workloads import MESSAGE, Workloads
    from wftui.journal import Execution, journal_for, journaled

    work = Workloads(wftui)
    if variant == "loop":
        from wftui.checkpoint.file import writer

        def answer_at_once(self: writer.SaveThread, _: object, job: writer.SaveJob) -> None:
            job.future.get_loop().call_soon(job.future.set_result, job.checkpoint_id)

        writer.SaveThread.submit = answer_at_once  # type: ignore[method-assign]

    def workflow() -> wftui.Workflow:
        if variant != "none":
            return work.chain(5, folder, "async")  # type: ignore[no-any-return]
        steps = [work.PassThrough(id=f"step{i:03d}") for i in range(4)] + [work.Last(id="step004")]
        builder = wftui.WorkflowBuilder(max_iterations=6).add_chain(steps)
        return builder.set_start_executor(steps[0]).build()

    async def main() -> None:
        for _ in range(runs):
            run = workflow()
            stream = run.run_stream(MESSAGE)
            if variant == "journal":
                storage = run.checkpoint_storage
                assert storage is not None
                execution = Execution.here("run", None, input=MESSAGE)
                stream = journaled(stream, journal_for(storage), execution, storage)
            async for _ in stream:
                pass

    asyncio.run(main())


def instructions(variant: str, runs: int, folder: Path) -> int:
    """valgrind's instruction count of a process making ``runs`` runs."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        os.path.realpath(sys.executable),  # not a launcher script (pyenv's shims are)
        __file__,
        "--child",
        variant,
        str(runs),
        str(folder),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "RUNS", "FOLDER"))
    args = parser.parse_args()
    if args.child:
        variant, runs, folder = args.child
        run_variant(variant, int(runs), Path(folder))
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: skipped")
        return
    print(f"Instructions per run of the N=5 chain (5 supersteps), {args.runs} runs counted")
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, variant in VARIANTS.items():
            before = instructions(variant, WARM_UP, Path(tmp) / f"{variant}-warm")
            after = instructions(variant, WARM_UP + args.runs, Path(tmp) / variant)
            counts[variant] = (after - before) / args.runs
            print(f"  {label:60s} {counts[variant] / 1e6:6.2f} M")
    file, journal, loop = counts["file"], counts["journal"], counts["loop"]
    print(
        f"  the save thread's share (full file store - the loop's share)  {(file - loop) / 1e6:.2f} M"
    )
    print(
        f"  the run journal's share                                        {(journal - file) / 1e6:.2f} M "
        f"({(journal - file) / file:.0%} of a run without it)"
    )


if __name__ == "__main__":
    main()
