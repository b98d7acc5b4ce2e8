"""diff(a, b) on checkpoints a real workflow wrote to real files and that were loaded back."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from wftui import (
    Executor,
    FileCheckpointStorage,
    WorkflowBuilder,
    WorkflowCheckpoint,
    WorkflowContext,
    WorkflowOutputEvent,
    handler,
    register_type,
)
from wftui.checkpoint import CheckpointDecodingError
from wftui.checkpoint.codec import parse_checkpoint
from wftui.checkpoint.diff import Change, ChangeKind, CheckpointDiff, diff
from wftui.checkpoint.paths import parse_path


@register_type
class Report(BaseModel):
    title: str
    body: str
    score: int
    tags: tuple[str, ...] = ()


class Mood(StrEnum):
    CALM = "calm"
    STORMY = "stormy"


@register_type
@dataclass
class Reading:
    mood: Mood
    at: dt.datetime
    depth: Decimal
    seen: set[int]
    raw: bytes


BODY = "\n".join(f"Line {n} of the draft, which covers the topic at some length." for n in range(6))


class Drafter(Executor):
    """Writes the report and its own notes; a topic ending in '!' is marked urgent."""

    @handler
    async def draft(self, topic: str, ctx: WorkflowContext[str]) -> None:
        await ctx.set_shared_state("report", Report(title=topic, body=BODY, score=1, tags=("new",)))
        state: dict[str, Any] = {"drafts": 1, "notes": topic.split()}
        if topic.endswith("!"):
            state["urgent"] = True
        await ctx.set_state(state)
        await ctx.send_message(topic)


class Reviewer(Executor):
    """Changes one field of the report."""

    @handler
    async def review(self, topic: str, ctx: WorkflowContext[str]) -> None:
        report = await ctx.get_shared_state("report")
        await ctx.set_shared_state("report", report.model_copy(update={"score": 2}))
        await ctx.send_message(topic)


class Editor(Executor):
    """Rewrites one line of the long body, tags the report and leaves a note under a dotted key."""

    @handler
    async def edit(self, topic: str, ctx: WorkflowContext[Any, str]) -> None:
        report = await ctx.get_shared_state("report")
        body = report.body.replace("Line 3", "LINE THREE")
        await ctx.set_shared_state(
            "report", report.model_copy(update={"body": body, "tags": (*report.tags, "edited")})
        )
        await ctx.set_shared_state("editor.note", "tightened line 3")
        await ctx.yield_output(topic)


async def run(store: Path, topic: str) -> list[WorkflowCheckpoint]:
    """Run the three steps on ``topic`` in a fresh folder; its checkpoints loaded back, in order."""
    drafter = Drafter(id="drafter")
    workflow = (
        WorkflowBuilder(name="report")
        .add_chain([drafter, Reviewer(id="reviewer"), Editor(id="editor")])
        .set_start_executor(drafter)
        .with_checkpointing(checkpoint_storage=FileCheckpointStorage(store))
        .build()
    )
    events = [event async for event in workflow.run_stream(topic)]
    outputs = [event.data for event in events if isinstance(event, WorkflowOutputEvent)]
    assert topic in outputs
    checkpoints = await FileCheckpointStorage(store).list_checkpoints()
    return sorted(checkpoints, key=lambda cp: cp.iteration_count)


def stored_bytes(store: Path, checkpoint: WorkflowCheckpoint) -> bytes:
    return (store / f"{checkpoint.checkpoint_id}.json").read_bytes()


def paths(result: CheckpointDiff) -> list[tuple[str, str]]:
    return [(change.kind.symbol, change.path) for change in result.changes]


def stored_forms(store: Path, checkpoint: WorkflowCheckpoint) -> list[Any]:
    """The same checkpoint three ways: loaded (live values), raw typed JSON, the file's document."""
    data = stored_bytes(store, checkpoint)
    return [checkpoint, parse_checkpoint(data), orjson.loads(data)]


async def test_a_pydantic_value_with_one_field_changed_shows_that_field_only(
    tmp_path: Path,
) -> None:
    _, drafted, reviewed, _ = await run(tmp_path, "tides")
    result = diff(drafted, reviewed)
    assert paths(result) == [
        ("~", "iteration_count"),
        ("~", "next_executor_ids"),
        ("~", "shared_state.report.score"),
        ("-", "messages.drafter"),
        ("+", "messages.reviewer"),
    ]
    assert result.changes[2] == Change(
        ChangeKind.CHANGED, "shared_state", "shared_state.report.score", 1, 2
    )
    assert "  ~ shared_state.report.score: 1 -> 2" in str(result).splitlines()


async def test_a_long_string_shows_a_unified_text_diff(tmp_path: Path) -> None:
    *_, reviewed, edited = await run(tmp_path, "tides")
    result = diff(reviewed, edited)
    by_path = {change.path: change for change in result.changes}
    body = by_path["shared_state.report.body"]
    assert body.kind is ChangeKind.CHANGED
    assert body.text_diff[:3] == ("--- before", "+++ after", "@@ -1,6 +1,6 @@")
    removed = [line for line in body.text_diff if line.startswith("-Line")]
    added = [line for line in body.text_diff if line.startswith("+LINE")]
    assert removed == ["-Line 3 of the draft, which covers the topic at some length."]
    assert added == ["+LINE THREE of the draft, which covers the topic at some length."]
    lines = str(result).splitlines()
    at = lines.index("  ~ shared_state.report.body")
    assert lines[at + 1 : at + 3] == ["      --- before", "      +++ after"]
    # The tuple field compares position by position; the dotted key is quoted and reads back.
    assert by_path["shared_state.report.tags[1]"].after == "edited"
    note = by_path['shared_state["editor.note"]']
    assert (note.kind, note.after) == (ChangeKind.ADDED, "tightened line 3")
    assert parse_path(note.path) == ["shared_state", "editor.note"]
    assert ("~", "status") in paths(result)
    assert "  ~ status: 'in progress' -> 'completed'" in lines


async def test_two_runs_compare_and_the_header_says_they_differ(tmp_path: Path) -> None:
    calm = (await run(tmp_path / "calm", "tides"))[1]
    urgent = (await run(tmp_path / "urgent", "high tides!"))[1]
    forward, backward = diff(calm, urgent), diff(urgent, calm)
    assert not forward.same_run
    assert f"different runs: {calm.workflow_id[-8:]} -> {urgent.workflow_id[-8:]}" in str(forward)
    assert paths(forward) == [
        ("~", "shared_state.report.title"),
        ("~", "executor_states.drafter.notes[0]"),
        ("+", "executor_states.drafter.notes[1]"),
        ("+", "executor_states.drafter.urgent"),
        ("~", "messages.drafter[0].data"),
    ]
    message = forward.changes[-1]
    assert (message.before, message.after) == ("tides", "high tides!")
    assert "  ~ messages.drafter[0].data: 'tides' -> 'high tides!'" in str(forward).splitlines()
    assert paths(backward) == [
        ("~", "shared_state.report.title"),
        ("~", "executor_states.drafter.notes[0]"),
        ("-", "executor_states.drafter.notes[1]"),
        ("-", "executor_states.drafter.urgent"),
        ("~", "messages.drafter[0].data"),
    ]
    removed = backward.changes[3]
    assert (removed.before, removed.line()) == (True, "- executor_states.drafter.urgent: True")


async def test_raw_decoded_and_document_inputs_give_the_same_diff(tmp_path: Path) -> None:
    checkpoints = await run(tmp_path, "tides")
    for older, newer in itertools.pairwise(checkpoints):
        results = {
            diff(a, b).to_json()
            for a in stored_forms(tmp_path, older)
            for b in stored_forms(tmp_path, newer)
        }
        assert len(results) == 1
        assert json.loads(results.pop())["changes"]


async def test_to_json_is_byte_identical_for_the_same_input_and_keys_are_sorted(
    tmp_path: Path,
) -> None:
    first = await run(tmp_path, "tides")
    again = await FileCheckpointStorage(tmp_path).list_checkpoints()
    again.sort(key=lambda cp: cp.iteration_count)
    text = diff(first[1], first[3]).to_json()
    assert diff(again[1], again[3]).to_json() == text
    document = json.loads(text)
    assert json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) == text
    assert document["a"]["checkpoint_id"] == first[1].checkpoint_id
    assert document["same_run"] is True
    kinds = {change["kind"]: change for change in document["changes"]}
    assert "before" not in kinds["added"] and "after" in kinds["added"]
    assert {"before", "after", "kind", "path", "section", "text_diff"} == set(kinds["changed"])


async def test_identical_checkpoints_give_an_empty_diff_that_says_so(tmp_path: Path) -> None:
    checkpoint = (await run(tmp_path, "tides"))[2]
    for other in stored_forms(tmp_path, checkpoint):
        result = diff(checkpoint, other)
        assert result.changes == []
        assert str(result).splitlines()[-1] == "no changes: both hold the same state"


async def saved_and_parsed(store: Path, checkpoint: WorkflowCheckpoint) -> WorkflowCheckpoint:
    await FileCheckpointStorage(store).save_checkpoint(checkpoint)
    return parse_checkpoint(stored_bytes(store, checkpoint))


async def test_typed_values_show_as_their_types_in_every_section(tmp_path: Path) -> None:
    when = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    reading = Reading(Mood.CALM, when, Decimal("1.50"), {1, 2}, b"ok")
    before = WorkflowCheckpoint(
        workflow_id="run",
        shared_state={"reading": reading, "count": 1, "flag": 1},
        pending_requests={"r1": {"request_id": "r1", "data": (1, "a")}},
        fan_in_buffers={"join": {"left": ["x"]}},
    )
    changed = Reading(Mood.STORMY, when + dt.timedelta(hours=1), Decimal("2.5"), {3}, b"no")
    after = WorkflowCheckpoint(
        workflow_id="run",
        shared_state={"reading": changed, "count": 1.0, "flag": True},
        pending_requests={"r1": {"request_id": "r1", "data": (1, "b")}},
        fan_in_buffers={"join": {"left": ["x"], "right": ["y"]}},
    )
    result = diff(await saved_and_parsed(tmp_path, before), await saved_and_parsed(tmp_path, after))
    assert [change.line() for change in result.changes] == [
        "~ shared_state.count: 1 -> 1.0",
        "~ shared_state.flag: 1 -> True",
        "~ shared_state.reading.at: datetime('2026-05-01T12:00:00+00:00') -> "
        "datetime('2026-05-01T13:00:00+00:00')",
        "~ shared_state.reading.depth: Decimal('1.50') -> Decimal('2.5')",
        "~ shared_state.reading.mood: Mood('calm') -> Mood('stormy')",
        "~ shared_state.reading.raw: b'ok' -> b'no'",
        "~ shared_state.reading.seen: {1, 2} -> {3}",
        "~ pending_requests.r1.data[1]: 'a' -> 'b'",
        "+ fan_in_buffers.join.right: ['y']",
    ]
    assert [change.section for change in result.changes][-2:] == [
        "pending_requests",
        "fan_in_buffers",
    ]


async def test_a_long_added_string_is_cut_with_its_size(tmp_path: Path) -> None:
    text = "word " * 100
    before = WorkflowCheckpoint(workflow_id="run")
    after = WorkflowCheckpoint(workflow_id="run", shared_state={"text": text})
    (change,) = diff(before, after).changes
    assert change.text_diff == ()
    assert change.after_text == f"{repr(text[:60])[:-1]}…' (500 chars)"


def test_something_that_is_not_a_checkpoint_is_refused_in_one_line() -> None:
    checkpoint = WorkflowCheckpoint(workflow_id="run")
    with pytest.raises(CheckpointDecodingError) as caught:
        diff({"checkpoint_id": "x"}, checkpoint)
    assert str(caught.value) == "not a checkpoint document: workflow_id: Field required"
    with pytest.raises(TypeError, match=r"^diff compares checkpoints, not int$"):
        diff(checkpoint, 42)  # type: ignore[arg-type]


async def test_a_loaded_checkpoint_changed_with_model_copy_shows_its_new_values(
    tmp_path: Path,
) -> None:
    loaded = (await run(tmp_path, "tides"))[1]
    report = loaded.shared_state["report"]
    edited = loaded.model_copy(
        update={"shared_state": {"report": report.model_copy(update={"tags": ("new", "hot")})}}
    )
    assert [change.line() for change in diff(loaded, edited).changes] == [
        "+ shared_state.report.tags[1]: 'hot'"
    ]


def test_every_change_stays_on_one_line_whatever_the_document_holds() -> None:
    def document(value: Any) -> dict[str, Any]:
        return {
            "checkpoint_id": "c1",
            "workflow_id": "run",
            "timestamp": "t",
            "shared_state": value,
        }

    odd = {"$t": "mod:Bad\nName", "v": "x\ty"}
    result = diff(document({"k\nkey": 1}), document({"k\nkey": odd, "tab": "a\tb"}))
    assert [change.line() for change in result.changes] == [
        "~ shared_state[\"k\\nkey\"]: 1 -> Bad\\nName('x\\ty')",
        "+ shared_state.tab: 'a\\tb'",
    ]
