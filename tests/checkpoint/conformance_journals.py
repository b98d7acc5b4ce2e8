"""What every store's run journal promises, run on every backend of ``conformance.BACKENDS``
(``test_conformance.py`` collects these beside the checkpoint promises).

Executions (begin, run, beats, end), their entries in order, answers, whole-execution copies and
pruning by run; a real run journaled completely with nothing secret in it; writers in several
processes losing nothing while a reader lists.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from tests.checkpoint.conformance import Backend, run_writers
from tests.checkpoint.journal_writers import ENTRIES, execution_ids, writer_run
from tests.checkpoint.support import (
    HeldUntilReleased,
    executions_once_listed,
    journaled_in_background,
)
from wftui import WorkflowBuilder
from wftui.checkpoint import CheckpointStorage, open_store
from wftui.journal import (
    RUNNING,
    Entry,
    Execution,
    Journal,
    copy_journals,
    delete_journals,
    journal_for,
    journaled,
)
from wftui.journal.redact import REDACTED
from wftui.loader import load_pipeline


@pytest.fixture
async def journal(storage: CheckpointStorage) -> AsyncIterator[Journal]:
    """The journal beside the store's checkpoints, closed afterwards."""
    opened = journal_for(storage)
    yield opened
    await opened.close()


def entry(seq: int, executor: str = "step") -> Entry:
    return Entry(seq, 1000.0 + seq, "invoked", executor, f"line {seq}", "plain", {"n": seq})


def execution(run: str | None, started: float, kind: str = "run") -> Execution:
    made = Execution.here(kind, "pipelines.loop", run=run, input="hi")
    return made.updated(started=started, heartbeat=started)


async def test_executions_entries_and_ends_round_trip(journal: Journal) -> None:
    begun = Execution.here("run", "pipelines.loop", input="hi")
    await journal.begin(begun)
    await journal.set_run(begun.id, "run-1")
    await journal.append(begun.id, [entry(1), entry(2)])
    await journal.append(begun.id, [entry(3)])
    [running] = await journal.executions("run-1")
    assert (running.id, running.kind, running.pipeline, running.input, running.run) == (
        begun.id,
        "run",
        "pipelines.loop",
        "hi",
        "run-1",
    )
    assert running.status() == RUNNING
    assert await journal.entries(begun.id) == [entry(1), entry(2), entry(3)]
    assert await journal.entries(begun.id, after_seq=2) == [entry(3)]
    await journal.beat(begun.id, begun.started + 5)
    await journal.end(begun.id, "completed", begun.started + 6)
    [ended] = await journal.executions()
    assert (ended.heartbeat, ended.ended, ended.status()) == (
        begun.started + 5,
        begun.started + 6,
        "completed",
    )
    assert await journal.executions("another run") == []
    assert await journal.entries("never-begun") == []


async def test_executions_list_oldest_first_and_entries_stay_with_theirs(journal: Journal) -> None:
    late, early = execution("run-1", 300.0), execution("run-1", 100.0)
    other = execution("run-2", 200.0)
    for each in (late, early, other):
        await journal.begin(each)
    for seq in range(1, 4):  # interleaved appends, one execution after another
        for each in (late, early, other):
            await journal.append(each.id, [entry(seq, executor=each.id[:6])])
    assert [e.id for e in await journal.executions()] == [early.id, other.id, late.id]
    assert [e.id for e in await journal.executions("run-1")] == [early.id, late.id]
    for each in (late, early, other):
        assert await journal.entries(each.id) == [entry(s, each.id[:6]) for s in (1, 2, 3)]


async def test_answers_are_kept_per_run_and_the_last_one_wins(journal: Journal) -> None:
    await journal.post_answer("run-1", "req-a", "yes")
    await journal.post_answer("run-1", "req-a", "no")
    await journal.post_answer("run-2", "req-b", "maybe")
    assert await journal.answers("run-1") == {"req-a": "no"}
    assert await journal.answers("run-3") == {}


async def test_another_storage_object_reads_the_same_journal(shared_backend: Backend) -> None:
    writer = journal_for(shared_backend.open())
    reader = journal_for(shared_backend.open())
    try:
        begun = execution("run-1", 10.0)
        await writer.begin(begun)
        await writer.append(begun.id, [entry(1)])
        await writer.post_answer("run-1", "req", "yes")
        assert [e.id for e in await reader.executions()] == [begun.id]
        assert await reader.entries(begun.id) == [entry(1)]
        assert await reader.answers("run-1") == {"req": "yes"}
    finally:
        await writer.close()
        await reader.close()


async def test_an_execution_is_put_whole_and_runs_are_deleted_whole(journal: Journal) -> None:
    assert await journal.delete_runs(["run-1"]) == 0  # nothing journaled yet: nothing to do
    kept, gone = execution("run-keep", 1.0), execution("run-1", 2.0)
    ended = gone.updated(outcome="failed", ended=9.0, heartbeat=8.0)
    await journal.put_execution(ended, [entry(1), entry(2)])
    await journal.put_execution(ended, [entry(1), entry(2), entry(3)])  # replaced, not added
    await journal.put_execution(kept, [entry(1)])
    assert await journal.executions("run-1") == [ended]
    assert await journal.entries(ended.id) == [entry(1), entry(2), entry(3)]
    await journal.post_answer("run-1", "req", "yes")
    await journal.post_answer("run-keep", "req", "kept")

    assert await journal.delete_runs(["run-1", "run-1", "no-such-run"]) == 1
    assert await journal.executions() == [kept]
    assert await journal.entries(ended.id) == []
    assert await journal.answers("run-1") == {}
    assert await journal.entries(kept.id) == [entry(1)]
    assert await journal.answers("run-keep") == {"req": "kept"}


async def test_journals_copy_out_and_back_unchanged_and_idempotently(
    storage: CheckpointStorage, journal: Journal
) -> None:
    elsewhere = open_store("memory:", create=True)
    first, second = execution("run-1", 1.0), execution("run-2", 2.0, kind="resume")
    for each, count in ((first, 3), (second, 1)):
        await journal.begin(each)
        await journal.append(each.id, [entry(seq) for seq in range(1, count + 1)])
        await journal.end(each.id, "completed", each.started + 1)
    await journal.post_answer("run-1", "req", "yes")
    original = [(e, await journal.entries(e.id)) for e in await journal.executions()]

    out = await copy_journals(storage, elsewhere, None)
    assert (out.copied, out.unchanged) == (2, 0)
    assert (await copy_journals(storage, elsewhere, None)).unchanged == 2
    assert await delete_journals(storage, ["run-1", "run-2"]) == 2
    assert await journal.executions() == []
    back = await copy_journals(elsewhere, storage, "run-1")  # one run only
    assert (back.copied, back.unchanged) == (1, 0)
    await copy_journals(elsewhere, storage, None)

    assert [(e, await journal.entries(e.id)) for e in await journal.executions()] == original
    assert await journal.answers("run-1") == {"req": "yes"}


async def test_a_run_journals_every_event_in_order_without_its_secret(
    storage: CheckpointStorage, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "marker-secret-4711"
    monkeypatch.setenv("OPENAI_API_KEY", marker)
    workflow = load_pipeline("pipelines.fan_out").create_workflow(storage, None)
    begun = Execution.here("run", "pipelines.fan_out", input=f"text {marker}")
    stream = journaled(workflow.run_stream(f"text {marker}"), journal, begun, storage)
    seen = [event async for event in stream]
    [done] = await journal.executions()
    entries = await journal.entries(done.id)
    checkpoint = await storage.get_latest()
    assert checkpoint is not None and done.run == checkpoint.workflow_id
    assert done.status() == "completed" and done.ended is not None
    assert [e.seq for e in entries] == list(range(1, len(seen) + 1))
    assert [e.event["event"] for e in entries] == [type(e).__name__ for e in seen]
    written = json.dumps([done.to_json(), *(e.to_json() for e in entries)])
    assert marker not in written and REDACTED in written


async def test_a_run_still_going_is_listed_as_running_before_its_first_superstep_ends(
    storage: CheckpointStorage, journal: Journal
) -> None:
    """A run's first record may wait for its end when the run is short, never for longer than
    a follower would notice: one held in its first superstep is listed, running, meanwhile."""
    release = asyncio.Event()
    held = HeldUntilReleased(release)
    workflow = WorkflowBuilder().set_start_executor(held).with_checkpointing(storage).build()
    begun = Execution.here("run", "tests.held", input="hi")

    running = journaled_in_background(workflow, "hi", journal, begun)
    try:
        listed = await executions_once_listed(journal)
        assert [e.id for e in listed] == [begun.id]
        assert listed[0].status() == RUNNING
        assert not running.done()
    finally:
        release.set()
    await running
    [done] = await journal.executions()
    assert done.status() == "completed"


async def run_journal_writers(backend: Backend, workers: int, count: int) -> None:
    """``workers`` processes each journaling ``count`` executions (and recording cassette lines)."""
    await run_writers(backend, workers, count, module="tests.checkpoint.journal_writers")


async def test_journal_writers_in_several_processes_lose_nothing_while_a_reader_lists(
    shared_backend: Backend,
) -> None:
    workers, count = 4, 10
    reader = journal_for(shared_backend.open())
    try:
        finished = asyncio.ensure_future(run_journal_writers(shared_backend, workers, count))
        seen: dict[str, int] = {}  # execution id -> entries seen last time
        looks = 0
        while not finished.done() or looks == 0:
            listed = await reader.executions()
            assert len({e.id for e in listed}) == len(listed), "an execution listed twice"
            assert set(seen) <= {e.id for e in listed}, "listed before, gone now"
            for each in listed:
                entries = await reader.entries(each.id)
                # What a reader sees of an execution is always a whole prefix, in order.
                assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
                assert len(entries) >= seen.get(each.id, 0)
                seen[each.id] = len(entries)
            looks += 1
            await asyncio.sleep(0.01)  # let the writers in; the loop ends on their exit
        await finished

        executions = await reader.executions()
        expected = {eid for worker in range(workers) for eid in execution_ids(worker, count)}
        assert {e.id for e in executions} == expected
        for worker in range(workers):
            mine = await reader.executions(writer_run(worker))
            assert [e.id for e in mine] == execution_ids(worker, count)  # oldest first
            for each in mine:
                assert each.status() == "completed"
                assert [e.seq for e in await reader.entries(each.id)] == list(ENTRIES)
    finally:
        await reader.close()
