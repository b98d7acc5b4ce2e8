"""The folder journal's own promise: a copied execution is written without following a link
someone left where its temporary file goes."""

from __future__ import annotations

import os
from pathlib import Path

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
