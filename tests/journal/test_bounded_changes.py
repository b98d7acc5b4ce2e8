"""The journal's change sequence stays bounded: the file log keeps its newest half once it
passes its size and empties on a prune, SQL stores keep a few rows per execution and drop a
pruned run's. Seqs only grow, and a watcher that resumes below what was kept gets a ``reset``
rather than missing a change."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.checkpoint.conformance import Backend
from tests.cli.support import REPO, environment
from wftui.journal import Entry, Execution, JournalChange, journal_for
from wftui.journal.changelog import LOG_NAME, ChangeLog
from wftui.journal.files import FileJournal
from wftui.journal.follow import follow

PATIENCE = 60.0


def _entry(seq: int) -> Entry:
    return Entry(seq, 1000.0 + seq, "invoked", "step", f"line {seq}", "plain", {"n": seq})


async def _until_seq(watcher: AsyncIterator[JournalChange], seq: int) -> list[JournalChange]:
    """Changes until one at or past ``seq``."""
    seen: list[JournalChange] = []
    while not seen or seen[-1].seq < seq:
        seen.append(await asyncio.wait_for(anext(watcher), PATIENCE))
    return seen


def test_a_full_change_log_keeps_its_newest_half_under_the_same_seqs(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path, max_bytes=2000)
    log.record("e0", "run-0", "begun")
    first, _ = log.read(0)
    every: list[JournalChange] = []
    for index in range(200):
        log.record(f"e{index % 3}", f"run-{index % 3}", "beat")
        every += log.read(every[-1].seq if every else first[-1].seq)[0]
        assert (tmp_path / LOG_NAME).stat().st_size <= 2000
    seqs = [change.seq for change in every]
    assert seqs == sorted(set(seqs)) and seqs[0] > first[-1].seq  # only ever grew
    assert log.last_seq() == seqs[-1]

    kept, end = log.read(seqs[-15])  # still in the kept half: read on, nothing new said
    assert kept == every[-14:] and end == seqs[-1]
    behind, _ = log.read(first[-1].seq)  # compacted away: a reset, then what is kept
    assert behind[0].kind == "reset" and behind[0].seq > first[-1].seq
    assert behind[1:] == every[-len(behind) + 1 :] and len(behind) > 10
    assert log.read(seqs[-1] + 7)[0][0].kind == "reset"  # past the end: the log was replaced


def test_a_trimmed_log_goes_on_from_its_last_seq(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    log.trim()  # no log yet: nothing to do
    assert not (tmp_path / LOG_NAME).exists()
    for kind in ("begun", "entries", "ended"):
        log.record("e1", "run-1", kind)  # type: ignore[arg-type]
    last = log.last_seq()
    log.trim()
    assert log.last_seq() == last and log.read(last) == ([], last)
    reset, end = log.read(0)
    assert [(c.seq, c.kind) for c in reset] == [(last, "reset")] and end == last
    log.record("e2", "run-2", "begun")
    [after] = log.read(last)[0]
    assert (after.execution_id, after.kind) == ("e2", "begun") and after.seq > last


def test_writers_in_several_processes_lose_no_line_across_compactions(tmp_path: Path) -> None:
    script = (
        "import sys\nfrom pathlib import Path\nfrom wftui.journal.changelog import ChangeLog\n"
        "log = ChangeLog(Path(sys.argv[1]), max_bytes=4000)\n"
        "for n in range(300):\n    log.record(f'{sys.argv[2]}-{n}', None, 'beat')\n"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), f"w{w}"], cwd=REPO, env=environment()
        )
        for w in range(3)
    ]
    log = ChangeLog(tmp_path, max_bytes=4000)
    seen: list[JournalChange] = []
    seq = 0
    while any(writer.poll() is None for writer in writers) or seq < log.last_seq():
        changes, seq = log.read(seq)
        seen += changes
    assert all(writer.wait() == 0 for writer in writers)
    seqs = [change.seq for change in seen]
    assert seqs == sorted(seqs)
    assert (tmp_path / LOG_NAME).stat().st_size <= 4000
    # Each writer's lines arrive in its order with no gap, unless a reset said lines were
    # dropped: none goes missing unannounced (a writer that waited on a compacted log reopened
    # it rather than write to the old one). A reset speaks for every writer, also one whose
    # lines all went before the reader (starved on a busy machine) saw any of them.
    writers_names = [f"w{w}" for w in range(3)]
    last: dict[str, int] = {}
    announced: dict[str, bool] = {}
    for change in seen:
        if change.kind == "reset":
            last.clear()
            announced = dict.fromkeys(writers_names, True)
            continue
        writer_name, number = str(change.execution_id).split("-")
        if writer_name in last:
            assert number == str(last[writer_name] + 1), (writer_name, number)
        last[writer_name], announced[writer_name] = int(number), False
    assert all(last.get(name) == 299 or announced.get(name) for name in writers_names)


async def test_a_watcher_behind_a_compaction_is_told_to_read_again(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal", change_log_bytes=3000)
    execution = Execution.here("run", "pipelines.loop", run="run-1")
    await journal.begin(execution)
    watcher = journal.watch(0)  # reads nothing until asked: it falls behind
    try:
        for beat in range(100):  # heartbeats alone pass the log's size
            await journal.beat(execution.id, execution.started + beat)
        assert (journal.folder / LOG_NAME).stat().st_size <= 3000
        reset = await asyncio.wait_for(anext(watcher), PATIENCE)
        assert (reset.kind, reset.execution_id) == ("reset", None) and reset.seq > 0
        rest = await _until_seq(watcher, await journal.last_seq())
        assert {c.kind for c in rest} == {"beat"} and reset.seq < rest[0].seq
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]


async def test_follow_yields_every_entry_once_while_the_log_is_compacted(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal", change_log_bytes=1200)
    execution = Execution.here("run", "pipelines.loop", run="run-1")
    await journal.begin(execution)
    followed = follow(journal, "run-1")

    async def write() -> None:
        for seq in range(1, 61):
            await journal.append(execution.id, [_entry(seq)])
            for _ in range(3):
                await journal.beat(execution.id, execution.started + seq)
            await asyncio.sleep(0)
        await journal.end(execution.id, "completed", execution.started + 99)

    writing = asyncio.create_task(write())
    seen = [entry.seq async for _, entry in followed]
    await writing
    assert seen == list(range(1, 61))
    assert (journal.folder / LOG_NAME).stat().st_size <= 1200


async def test_a_prune_drops_the_pruned_runs_changes_and_seqs_go_on(
    shared_backend: Backend,
) -> None:
    writer, reader = journal_for(shared_backend.open()), journal_for(shared_backend.open())
    watchers: list[AsyncIterator[JournalChange]] = []
    try:
        gone, kept = (
            Execution.here("run", "p", run="run-1"),
            Execution.here("run", "p", run="run-2"),
        )
        await writer.begin(gone)
        await writer.post_answer("run-1", "req", "yes")
        await writer.begin(kept)
        for execution in (gone, kept):  # the newest change of all (kept's) stays on SQL
            await writer.append(execution.id, [_entry(1)])
            await writer.beat(execution.id, execution.started + 1)
            await writer.end(execution.id, "completed", execution.started + 2)
        before = await reader.last_seq()
        watchers.append(reader.watch(before))  # up to date: the prune costs it nothing

        assert await writer.delete_runs(["run-1"]) == 1
        assert await reader.last_seq() >= before  # never goes back
        later = Execution.here("run", "p", run="run-3")
        await writer.begin(later)
        [begun] = await _until_seq(watchers[0], before + 1)
        assert (begun.execution_id, begun.kind) == (later.id, "begun") and begun.seq > before

        watchers.append(reader.watch(0))  # from the start: the pruned run is not in it
        changes = await _until_seq(watchers[1], begun.seq)
        named = {c.execution_id for c in changes}
        assert gone.id not in named and ("run-1", "answer") not in {
            (c.run, c.kind) for c in changes
        }
        # What remains is either named, or a reset says to read the journal again.
        assert kept.id in named or changes[0].kind == "reset"
        assert changes[-1] == begun
        assert len(changes) <= 6  # a few changes per execution kept, not one per write
    finally:
        for watcher in watchers:
            await watcher.aclose()  # type: ignore[attr-defined]
        await writer.close()
        await reader.close()


async def test_heartbeats_keep_a_few_changes_per_execution(shared_backend: Backend) -> None:
    """SQL stores keep one beat change per execution; the file log keeps its newest half once
    past its size, so many executions beating for a long time stay within it."""
    storage = shared_backend.open()
    journal = journal_for(storage)
    if isinstance(journal, FileJournal):
        journal = FileJournal(journal.folder, change_log_bytes=8000)
    try:
        executions = [Execution.here("run", "p", run=f"run-{n}") for n in range(5)]
        for execution in executions:
            await journal.begin(execution)
        for beat in range(100):
            for execution in executions:
                await journal.beat(execution.id, execution.started + beat)
        watcher = journal.watch(0)
        try:
            changes = await _until_seq(watcher, await journal.last_seq())
        finally:
            await watcher.aclose()  # type: ignore[attr-defined]
        assert len(changes) < 150  # of 505 writes
        assert {c.execution_id for c in changes if c.kind == "beat"} == {e.id for e in executions}
    finally:
        await journal.close()
