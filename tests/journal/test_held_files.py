"""What keeping journal files open must not change: an execution's end written with its last
entries reads back whole on every store; a file journal's execution file replaced meanwhile, or
its change log compacted by another process, gets the next write where readers look; forked
children write the change log beside their parent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import REPO, environment
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import Entry, Execution, JournalChange, journal_for
from wftui.journal.changelog import LOG_NAME, ChangeLog
from wftui.journal.files import FileJournal


def _entry(seq: int) -> Entry:
    return Entry(seq, 1000.0 + seq, "invoked", "step", f"line {seq}", "plain", {"n": seq})


async def test_an_end_written_with_the_last_entries_and_the_run_reads_back_whole(
    storage: CheckpointStorage,
) -> None:
    journal = journal_for(storage)
    start = await journal.last_seq()
    watcher = journal.watch(start)
    try:
        execution = Execution.here("run", "pipelines.loop")
        await journal.begin(execution)
        await journal.append(execution.id, [_entry(1)])
        await journal.set_run(execution.id, "run-1")
        await journal.end(execution.id, "completed", execution.started + 3, [_entry(2), _entry(3)])

        [ended] = await journal.executions("run-1")
        assert (ended.id, ended.outcome, ended.ended) == (
            execution.id,
            "completed",
            execution.started + 3,
        )
        assert await journal.entries(execution.id) == [_entry(1), _entry(2), _entry(3)]
        assert await journal.entries(execution.id, after_seq=1) == [_entry(2), _entry(3)]
        changes: list[JournalChange] = []
        while not changes or changes[-1].kind != "ended":
            changes.append(await anext(watcher))
        assert (changes[-1].execution_id, changes[-1].run) == (execution.id, "run-1")
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]
        await journal.close()


async def test_an_execution_file_replaced_while_it_runs_gets_the_next_write(
    tmp_path: Path,
) -> None:
    writer = FileJournal(tmp_path / "journal")
    execution = Execution.here("run", "pipelines.loop", run="run-1")
    await writer.begin(execution)
    await writer.append(execution.id, [_entry(1)])
    # Another process copies the execution in (``wftui journal`` import): the file is replaced.
    await FileJournal(tmp_path / "journal").put_execution(execution, [_entry(1)])
    await writer.append(execution.id, [_entry(2)])
    await writer.end(execution.id, "completed", execution.started + 2)

    reader = FileJournal(tmp_path / "journal")
    assert await reader.entries(execution.id) == [_entry(1), _entry(2)]
    found = await reader.execution(execution.id)
    assert found is not None and found.outcome == "completed"


def test_a_change_log_compacted_by_another_process_gets_the_next_line(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    log.record("e1", "run-1", "begun")
    log.record("e1", "run-1", "entries")
    before = log.last_seq()
    subprocess.run(  # trim: the log is rewritten and renamed over the one this process holds
        [sys.executable, "-c", _TRIM, str(tmp_path)], cwd=REPO, env=environment(), check=True
    )
    log.record("e1", "run-1", "ended")
    [ended] = log.read(before)[0]
    assert (ended.execution_id, ended.kind) == ("e1", "ended")
    assert ended.seq == log.last_seq() > before


_TRIM = "import sys\nfrom pathlib import Path\nfrom wftui.journal.changelog import ChangeLog\n"
_TRIM += "ChangeLog(Path(sys.argv[1])).trim()\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_forked_children_lose_no_line_across_compactions(tmp_path: Path) -> None:
    """Children forked while the parent holds the log open write beside it and each other:
    every line arrives in its writer's order, or a reset says lines were dropped."""
    log = ChangeLog(tmp_path, max_bytes=600)  # compacted every dozen lines or so
    log.record("parent", None, "begun")  # held open by this process from here on
    children = []
    for name in ("w0", "w1", "w2"):
        child = os.fork()
        if child == 0:
            code = 1
            try:
                for n in range(300):
                    log.record(f"{name}-{n}", None, "beat")
                code = 0
            finally:
                os._exit(code)
        children.append(child)
    seen: list[JournalChange] = []
    seq, running = log.read(0)[1], set(children)
    while running or seq < log.last_seq():
        changes, seq = log.read(seq)
        seen += changes
        for child in list(running):
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                assert os.waitstatus_to_exitcode(status) == 0
                running.discard(child)
    last: dict[str, int] = {}
    for change in seen:
        if change.kind == "reset":  # lines were dropped, and said so
            last.clear()
            continue
        name, number = str(change.execution_id).split("-")
        if name in last:
            assert int(number) == last[name] + 1, (name, number)
        last[name] = int(number)
    log.record("parent", None, "ended")  # the parent's own log still works after the forks
    assert log.read(seq)[0][-1].kind == "ended"
    assert (tmp_path / LOG_NAME).stat().st_size <= 600


async def test_an_entry_with_an_integer_past_64_bits_is_written_and_read_back(
    tmp_path: Path,
) -> None:
    journal = FileJournal(tmp_path / "journal")
    execution = Execution.here("run", "pipelines.loop", run="run-1")
    huge = Entry(1, 1.0, "output", "step", "many", "output", {"data": 2**70})
    await journal.begin(execution)
    await journal.append(execution.id, [huge, _entry(2)])
    await journal.end(execution.id, "completed", execution.started + 1, [_entry(3)])
    assert await FileJournal(journal.folder).entries(execution.id) == [huge, _entry(2), _entry(3)]
