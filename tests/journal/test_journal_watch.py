"""``Journal.watch()`` on every store: changes in sequence order, resumed after a seq, from
this process and from others; and the file journal's change log read on from any offset."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tests.checkpoint.conformance import Backend
from tests.cli.support import REPO, environment
from tests.store_writers import run_input
from wftui.checkpoint.capabilities import SequencedStorage, WatchableStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import Entry, Execution, JournalChange, journal_for
from wftui.journal.changelog import LOG_NAME, ChangeLog

PATIENCE = 60.0  # seconds before a wait on a change gives up (a hang fails, not blocks)


def _entry(seq: int) -> Entry:
    return Entry(seq, 1000.0 + seq, "invoked", "step", f"line {seq}", "plain", {"n": seq})


async def _take(watcher: AsyncIterator[JournalChange], count: int) -> list[JournalChange]:
    return [await asyncio.wait_for(anext(watcher), PATIENCE) for _ in range(count)]


async def _until(
    watcher: AsyncIterator[JournalChange], done: Callable[[list[JournalChange]], bool]
) -> list[JournalChange]:
    seen: list[JournalChange] = []
    while not done(seen):
        seen.append(await asyncio.wait_for(anext(watcher), PATIENCE))
    return seen


async def test_a_watcher_sees_each_change_in_order_and_resumes_after_a_seq(
    storage: CheckpointStorage,
) -> None:
    writer, reader = journal_for(storage), journal_for(storage)
    watchers: list[AsyncIterator[JournalChange]] = []
    try:
        assert await reader.last_seq() == 0
        execution = Execution.here("resume", "pipelines.loop", run="run-1")
        await writer.begin(execution)
        await writer.append(execution.id, [_entry(1), _entry(2)])
        await writer.beat(execution.id, execution.started + 1)
        await writer.end(execution.id, "completed", execution.started + 2)
        await writer.post_answer("run-1", "req-a", "yes")

        watchers.append(reader.watch())
        changes = await _take(watchers[0], 5)
        assert [(c.execution_id, c.run, c.kind) for c in changes] == [
            (execution.id, "run-1", "begun"),
            (execution.id, "run-1", "entries"),
            (execution.id, "run-1", "beat"),
            (execution.id, "run-1", "ended"),
            (None, "run-1", "answer"),
        ]
        seqs = [c.seq for c in changes]
        assert seqs == sorted(set(seqs)) and seqs[0] > 0
        assert await reader.last_seq() == seqs[-1]

        watchers.append(reader.watch(after_seq=seqs[1]))
        assert [c.kind for c in await _take(watchers[1], 3)] == ["beat", "ended", "answer"]

        waiting = asyncio.ensure_future(anext(watchers[0]))
        await writer.post_answer("run-1", "req-b", "no")
        late = await asyncio.wait_for(waiting, PATIENCE)
        assert (late.kind, late.run) == ("answer", "run-1") and late.seq > seqs[-1]
        found = await reader.execution(execution.id)
        assert found is not None and (found.id, found.outcome) == (execution.id, "completed")
        assert await reader.execution("no-such-execution") is None
    finally:
        for watcher in watchers:
            await watcher.aclose()  # type: ignore[attr-defined]
        await writer.close()
        await reader.close()


async def test_a_change_names_the_run_once_the_writer_knows_it(storage: CheckpointStorage) -> None:
    journal = journal_for(storage)
    watcher = journal.watch()
    try:
        execution = Execution.here("run", "pipelines.loop")
        await journal.begin(execution)
        await journal.set_run(execution.id, "run-2")
        await journal.append(execution.id, [_entry(1)])
        begun, entries = await _take(watcher, 2)
        assert (begun.kind, begun.run) == ("begun", None)
        assert (entries.kind, entries.run) == ("entries", "run-2")
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]
        await journal.close()


async def test_many_batches_and_beats_leave_a_watcher_with_every_entry(
    storage: CheckpointStorage,
) -> None:
    """A store may merge an execution's ``entries`` and ``beat`` changes into the newest one;
    whatever it keeps, a watcher that reads what each change names misses no entry."""
    journal = journal_for(storage)
    watcher = journal.watch()
    try:
        execution = Execution.here("run", "pipelines.loop", run="run-3")
        await journal.begin(execution)
        for seq in range(1, 21):
            await journal.append(execution.id, [_entry(seq)])
            await journal.beat(execution.id, execution.started + seq)
        await journal.end(execution.id, "completed", execution.started + 30)
        changes = await _until(watcher, lambda seen: any(c.kind == "ended" for c in seen))
        kinds = [c.kind for c in changes]
        assert kinds[0] == "begun" and kinds[-1] == "ended"
        assert {"entries", "beat"} <= set(kinds) and len(kinds) <= 42
        entries = await journal.entries(execution.id)
        assert [e.seq for e in entries] == list(range(1, 21))
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]
        await journal.close()


async def test_runs_journaled_by_another_process_are_seen_whole(shared_backend: Backend) -> None:
    journal = journal_for(shared_backend.open())
    start = await journal.last_seq()
    watcher = journal.watch(start)
    try:
        writer = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "tests.store_writers", "--runs", shared_backend.url, "7", "2"),
            cwd=REPO,
            env=environment(),
            stderr=asyncio.subprocess.PIPE,
        )
        changes = await _until(watcher, lambda seen: [c.kind for c in seen].count("ended") == 2)
        _, errors = await writer.communicate()
        assert writer.returncode == 0, errors.decode()
        ended = [c for c in changes if c.kind == "ended"]
        inputs = set()
        for change in ended:
            assert change.execution_id is not None and change.run is not None
            execution = await journal.execution(change.execution_id)
            assert execution is not None and execution.outcome == "completed"
            inputs.add(execution.input)
            entries = await journal.entries(change.execution_id)
            assert entries[0].event["event"] == "WorkflowStartedEvent"
            assert entries[-1].event.get("state") == "IDLE"
        assert inputs == {run_input(7, 0), run_input(7, 1)}
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]
        await journal.close()


# ----- the file journal's change log -----


def test_the_change_log_reads_on_from_any_offset_and_skips_a_torn_line(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    assert log.read(0) == ([], 0) and log.last_seq() == 0
    log.record("e1", None, "begun")
    log.record("e1", "run-1", "entries")
    first, end = log.read(0)
    assert [(c.execution_id, c.run, c.kind) for c in first] == [
        ("e1", None, "begun"),
        ("e1", "run-1", "entries"),
    ]
    assert end == first[-1].seq == log.last_seq() == (tmp_path / LOG_NAME).stat().st_size
    assert log.read(first[0].seq)[0] == first[1:]
    assert log.read(first[0].seq - 3)[0] == first[1:]  # inside a line: the next whole one

    with (tmp_path / LOG_NAME).open("ab") as handle:
        handle.write(b'["e1", "run-1", "be')  # a writer died mid-line
    assert log.read(end) == ([], end) and log.last_seq() == end
    log.record("e1", "run-1", "ended")
    later, _ = log.read(end)
    assert [c.kind for c in later] == ["ended"]
    assert later[0].seq == log.last_seq() == os.path.getsize(tmp_path / LOG_NAME)


def test_a_replaced_change_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    for kind in ("begun", "entries", "ended"):
        log.record("e1", "run-1", kind)  # type: ignore[arg-type]
    far = log.last_seq()
    (tmp_path / LOG_NAME).unlink()
    log.record("e2", "run-2", "begun")
    changes, _ = log.read(far)  # changes went with the old log: the watcher reads anew
    assert [(c.execution_id, c.kind) for c in changes] == [(None, "reset"), ("e2", "begun")]


async def test_a_store_watched_from_its_last_seq_replays_no_history(
    storage: CheckpointStorage,
) -> None:
    """What the app does at start: read the store, then watch after the seq taken before."""
    assert isinstance(storage, SequencedStorage) and isinstance(storage, WatchableStorage)
    assert await storage.last_seq() == 0
    old = [WorkflowCheckpoint(workflow_id=f"run-{n}") for n in range(3)]
    for checkpoint in old:
        await storage.save_checkpoint(checkpoint)
    history = storage.watch(0)
    try:  # a folder's changes are logged by its watchers: one look logs them
        seen = [await asyncio.wait_for(anext(history), PATIENCE) for _ in range(3)]
    finally:
        await history.aclose()  # type: ignore[attr-defined]
    last = await storage.last_seq()
    assert last == seen[-1].seq > 0

    watcher = storage.watch(last)
    try:
        late = WorkflowCheckpoint(workflow_id="run-late")
        await storage.save_checkpoint(late)
        change = await asyncio.wait_for(anext(watcher), PATIENCE)
        assert (change.checkpoint_id, change.kind) == (late.checkpoint_id, "saved")
        assert change.seq > last
    finally:
        await watcher.aclose()  # type: ignore[attr-defined]
