"""``wftui attach`` and ``follow()`` wake on the journal's watch: a run killed elsewhere ends
the attach as lost, and an execution that joins the followed run is followed too."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.cli.support import GATED_PIPELINE
from tests.journal.test_processes import PATIENCE, _lines, _running_execution, _start, until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.journal import LOST, Entry, Execution, journal_for
from wftui.journal.follow import follow


async def test_attach_ends_when_the_run_it_follows_is_killed(tmp_path: Path) -> None:
    (tmp_path / "gated_flow.py").write_text(GATED_PIPELINE)
    env = {"GATE": str(tmp_path / "never"), "WFTUI_HEARTBEAT_SECONDS": "0.2"}
    store = ("--checkpoint-dir", "store")
    run = _start("run", "gated_flow.py", *store, cwd=tmp_path, env=env)
    try:
        journal = journal_for(FileCheckpointStorage(tmp_path / "store"))
        execution = await until(lambda: _running_execution(journal), "the run to be journaled")
        assert execution.run is not None
        attach = _start("attach", execution.run, *store, cwd=tmp_path, env=env)
        lines = _lines(attach)
        while "slow" not in (line := await asyncio.wait_for(lines.get(), PATIENCE)):
            assert line, "attach ended before the run reached its gate"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    assert attach.wait(timeout=PATIENCE) == 0
    assert attach.stderr is not None
    assert f"run {execution.run[-8:]}: {LOST}" in attach.stderr.read()


async def test_follow_takes_in_an_execution_that_joins_the_run_and_no_other_run() -> None:
    journal = journal_for(InMemoryCheckpointStorage())
    first = Execution.here("run", "p", run="run-1")
    await journal.begin(first)
    await journal.append(first.id, [Entry(1, 1.0, "started", "", "started", "plain")])
    followed = follow(journal, "run-1")
    seen = [await anext(followed)]
    waiting = asyncio.ensure_future(anext(followed))
    other = Execution.here("run", "p", run="run-2")  # another run: never followed
    await journal.begin(other)
    await journal.append(other.id, [Entry(1, 2.0, "started", "", "not mine", "plain")])
    second = Execution.here("answer", "p", run="run-1")
    await journal.begin(second)
    await journal.end(first.id, "waiting", 3.0)
    await journal.append(second.id, [Entry(1, 4.0, "output", "out", "done", "output")])
    seen.append(await asyncio.wait_for(waiting, PATIENCE))
    await journal.end(second.id, "completed", 5.0)
    seen += [pair async for pair in followed]
    assert [(execution.id, entry.text) for execution, entry in seen] == [
        (first.id, "started"),
        (second.id, "done"),
    ]
