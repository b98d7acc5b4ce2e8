"""The folder journal's own promise: a copied execution is written without following a link
someone left where its temporary file goes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.checkpoint.support import nameless_files
from wftui.journal import Entry, Execution
from wftui.journal.files import FileJournal


async def test_a_put_execution_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    journal.folder.mkdir()
    execution = Execution.here("run", "pipelines.loop", run="run-1")
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    os.symlink(victim, journal.folder / f".{execution.id}.jsonl.{os.getpid()}.tmp")

    entry = Entry(1, 1.0, "invoked", "step", "line", "plain", {})
    await journal.put_execution(execution, [entry])

    assert victim.read_text() == "not yours"
    assert await journal.executions() == [execution]
    assert await journal.entries(execution.id) == [entry]


async def test_an_execution_made_of_a_spare_file_keeps_every_record(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    first = Execution.here("run", "pipelines.loop", run="run-1")
    await journal.begin(first)  # no spare yet: the file is made; one is made for the next
    await journal.end(first.id, "completed", 2.0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30.0
    while not (spares := nameless_files(os.getpid(), journal.folder)):
        assert loop.time() < deadline, "no spare file was made for the journal folder"
        await asyncio.sleep(0.01)

    second = Execution.here("run", "pipelines.loop", run="run-1")
    await journal.begin(second)
    assert (journal.folder / f"{second.id}.jsonl").stat().st_ino == spares[0]  # named at once
    entries = [Entry(1, 1.0, "invoked", "step", "line", "plain", {})]
    await journal.append(second.id, entries)
    await journal.end(second.id, "completed", 3.0)

    found = {execution.id: execution for execution in await journal.executions()}
    assert found[second.id].outcome == "completed"
    assert found[first.id].outcome == "completed"
    assert await journal.entries(second.id) == entries
    lines = (journal.folder / f"{second.id}.jsonl").read_bytes().splitlines()
    assert lines[0].startswith(b'{"begin":') and lines[-1].startswith(b'{"end":')
