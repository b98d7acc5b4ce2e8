"""Spare journal files (``wftui/journal/spare_files.py``): the next execution's file is a
nameless file made ahead and linked under its name; a name already taken keeps its file; a
forked child never links its parent's spare; spares never used leave nothing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.checkpoint.support import nameless_files
from wftui.journal import Entry, Execution
from wftui.journal.changelog import LOG_NAME
from wftui.journal.files import SUFFIX, FileJournal
from wftui.journal.spare_files import SPARES

WAIT_SECONDS = 30.0


async def spare_made(folder: Path) -> int:
    """The inode of the spare made for ``folder``, once this process holds it."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not (spares := nameless_files(os.getpid(), folder)):
            await asyncio.sleep(0.005)
    [inode] = spares
    return inode


async def journal_one(journal: FileJournal, outcome: str = "completed") -> Execution:
    execution = Execution.here("run", "pipelines.loop")
    await journal.begin(execution, inline=True)
    entry = Entry(1, execution.started, "invoked", "step", "line 1", "plain", {})
    await journal.end(execution.id, outcome, execution.started + 1, [entry])
    return execution


@pytest.fixture(autouse=True)
def no_spares_kept() -> object:
    SPARES.close()
    yield
    SPARES.close()


async def test_the_next_execution_file_is_the_spare_made_after_the_last(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    first = await journal_one(journal)  # makes the folder, then asks for a spare
    inode = await spare_made(journal.folder)
    assert sorted(os.listdir(journal.folder)) == sorted([f"{first.id}{SUFFIX}", LOG_NAME]), (
        "a spare has no name until it is linked"
    )

    second = await journal_one(journal, "failed")

    path = journal.folder / f"{second.id}{SUFFIX}"
    assert os.stat(path).st_ino == inode
    [read] = [e for e in await journal.executions() if e.id == second.id]
    assert read.outcome == "failed"
    assert [e.text for e in await journal.entries(second.id)] == ["line 1"]
    assert await spare_made(journal.folder) != inode  # and the next one is on its way
    await journal.close()


async def test_a_name_already_taken_keeps_its_file(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    await journal_one(journal)
    await spare_made(journal.folder)
    execution = Execution.here("run", "pipelines.loop")
    path = journal.folder / f"{execution.id}{SUFFIX}"
    path.write_bytes(b'{"note": "there before"}\n')

    await journal.begin(execution, inline=True)

    lines = path.read_bytes().splitlines()
    assert lines[0] == b'{"note": "there before"}'
    assert lines[1].startswith(b'{"begin":')
    assert (await journal.execution(execution.id)) is not None
    await journal.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
async def test_a_forked_child_never_takes_its_parents_spare(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    await journal_one(journal)
    await spare_made(journal.folder)

    child = os.fork()
    if child == 0:
        os._exit(0 if SPARES.take(str(journal.folder)) is None else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    spare = SPARES.take(str(journal.folder))  # the parent's is still there
    assert spare is not None
    os.close(spare)
    await journal.close()


async def test_spares_never_used_leave_nothing(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal")
    first = await journal_one(journal)
    await spare_made(journal.folder)

    SPARES.close()

    assert nameless_files(os.getpid(), journal.folder) == []
    assert sorted(os.listdir(journal.folder)) == sorted([f"{first.id}{SUFFIX}", LOG_NAME])
    await journal.close()
