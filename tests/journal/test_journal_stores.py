"""Every store keeps the journal's promises: executions, entries in order, heartbeats, ends,
answers; and a real run journals its events completely, with nothing secret in them."""

from __future__ import annotations

import json

import pytest

from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import LOST, RUNNING, Entry, Execution, journal_for, journaled
from wftui.journal.redact import REDACTED, Redactor
from wftui.loader import load_pipeline


def _entry(seq: int) -> Entry:
    return Entry(seq, 1000.0 + seq, "invoked", "step", f"line {seq}", "plain", {"n": seq})


async def test_executions_entries_and_ends_round_trip(storage: CheckpointStorage) -> None:
    journal = journal_for(storage)
    try:
        execution = Execution.here("run", "pipelines.loop", input="hi")
        await journal.begin(execution)
        await journal.set_run(execution.id, "run-1")
        await journal.append(execution.id, [_entry(1), _entry(2)])
        await journal.append(execution.id, [_entry(3)])
        [running] = await journal.executions("run-1")
        assert (running.id, running.kind, running.pipeline, running.input) == (
            execution.id,
            "run",
            "pipelines.loop",
            "hi",
        )
        assert running.status() == RUNNING
        assert [e.seq for e in await journal.entries(execution.id)] == [1, 2, 3]
        assert await journal.entries(execution.id, after_seq=2) == [_entry(3)]
        await journal.beat(execution.id, execution.started + 5)
        await journal.end(execution.id, "completed", execution.started + 6)
        [ended] = await journal.executions()
        assert (ended.heartbeat, ended.ended, ended.status()) == (
            execution.started + 5,
            execution.started + 6,
            "completed",
        )
        assert await journal.executions("another run") == []
    finally:
        await journal.close()


async def test_answers_are_kept_per_run_and_the_last_one_wins(storage: CheckpointStorage) -> None:
    journal = journal_for(storage)
    try:
        await journal.post_answer("run-1", "req-a", "yes")
        await journal.post_answer("run-1", "req-a", "no")
        await journal.post_answer("run-2", "req-b", "maybe")
        assert await journal.answers("run-1") == {"req-a": "no"}
        assert await journal.answers("run-3") == {}
    finally:
        await journal.close()


def test_an_execution_whose_heartbeats_stop_is_lost_after_the_missed_beats() -> None:
    execution = Execution.here("run", None, beat_every=2.0)
    beat = execution.heartbeat
    assert execution.status(now=beat + 2.0 * 3) == RUNNING
    assert execution.status(now=beat + 2.0 * 3 + 0.01) == LOST
    assert execution.updated(outcome="failed").status(now=beat + 100) == "failed"


def test_redaction_removes_secret_environment_values_and_key_shapes() -> None:
    redact = Redactor({"MY_API_KEY": "hunter2-marker", "HOME": "/root", "SHORT_TOKEN": "abc"})
    text = redact.text("key hunter2-marker sk-abcdefghijklmnop12 postgresql://u:pw@h/db abc /root")
    assert text == f"key {REDACTED} {REDACTED} postgresql://u:{REDACTED}@h/db abc /root"


async def test_a_run_journals_every_event_in_order_without_its_secret(
    storage: CheckpointStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "marker-secret-4711"
    monkeypatch.setenv("OPENAI_API_KEY", marker)
    pipeline = load_pipeline("pipelines.fan_out")
    workflow = pipeline.create_workflow(storage, None)
    journal = journal_for(storage)
    execution = Execution.here("run", "pipelines.fan_out", input=f"text {marker}")
    try:
        seen = [
            e
            async for e in journaled(
                workflow.run_stream(f"text {marker}"), journal, execution, storage
            )
        ]
        [done] = await journal.executions()
        entries = await journal.entries(done.id)
        [checkpoint] = [await storage.get_latest()]
        assert checkpoint is not None and done.run == checkpoint.workflow_id
        assert done.status() == "completed" and done.ended is not None
        assert [e.seq for e in entries] == list(range(1, len(seen) + 1))
        assert [e.event["event"] for e in entries] == [type(e).__name__ for e in seen]
        written = json.dumps([done.to_json(), *(e.to_json() for e in entries)])
        assert marker not in written and REDACTED in written
    finally:
        await journal.close()
