"""The file listing's compact summaries: the public summary comes back field for field, equal
strings are one object, and a line that does not check out is refused or validated."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointStatus, CheckpointSummary, FileCheckpointStorage
from wftui.checkpoint.file.cache import SummaryReader
from wftui.checkpoint.file.summaries import (
    RUN,
    TS,
    compact_of,
    parse_compact,
    summary_of,
)

ROW = ("x.json", "2024-01-01T00:00:01.000000Z", "run-1", 321, 17, 0, 10)


def summaries() -> list[CheckpointSummary]:
    plain = make_checkpoint(timestamp=ROW[1]).summary(321)
    failed = make_checkpoint(
        parent_checkpoint_id="p",
        timestamp=ROW[1],
        error={"error_type": "E"},
        pending_requests={"r1": {"request_id": "r1"}},
        metadata={"execution": {"kind": "fork"}},
    ).summary(321)
    return [plain, failed]


def line(summary: CheckpointSummary, **changes: Any) -> bytes:
    document = summary.model_dump(mode="json")
    document.update(changes)
    return orjson.dumps({k: v for k, v in document.items() if v is not ...})


@pytest.mark.parametrize("summary", summaries())
def test_a_summary_comes_back_field_for_field(summary: CheckpointSummary) -> None:
    shared: dict[Any, Any] = {}
    for compact in (compact_of(summary, ROW, shared), parse_compact(line(summary), ROW, shared)):
        assert compact is not None
        again = summary_of(compact)
        assert again == summary
        assert again.model_dump() == summary.model_dump()
        assert again.model_fields_set == set(CheckpointSummary.model_fields)
        assert type(again.next_executor_ids) is list
        assert again.next_executor_ids is not summary_of(compact).next_executor_ids


def test_equal_strings_are_one_object_and_the_row_s_own() -> None:
    shared: dict[Any, Any] = {}
    row = (ROW[0], "".join(ROW[1]), "".join(["run-", "1"]), *ROW[3:])
    [first, second] = [parse_compact(line(s), row, shared) for s in summaries()]
    assert first is not None and second is not None
    assert first[TS] is row[1] and first[RUN] is row[2] and second[RUN] is row[2]


def test_an_older_line_is_validated_and_gets_the_defaults() -> None:
    compact = parse_compact(line(summaries()[0], execution_kind=...), ROW, {})
    assert compact is not None
    assert summary_of(compact).execution_kind == ""


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "sleeping"},
        {"iteration_count": "many"},
        {"next_executor_ids": [1]},
        {"checkpoint_id": None},
    ],
)
def test_a_line_that_does_not_check_out_is_refused(changes: dict[str, Any]) -> None:
    assert parse_compact(line(summaries()[0], **changes), ROW, {}) is None


def test_a_coercible_line_is_taken_as_pydantic_takes_it() -> None:
    compact = parse_compact(line(summaries()[0], iteration_count=4.0), ROW, {})
    assert compact is not None
    assert summary_of(compact).iteration_count == 4
    assert summary_of(compact).status is CheckpointStatus.IN_PROGRESS


async def test_listed_summaries_are_what_the_checkpoints_say(tmp_path: Any) -> None:
    storage = FileCheckpointStorage(tmp_path)
    checkpoints = [make_checkpoint(timestamp=f"2024-01-01T00:00:0{i}.000000Z") for i in range(3)]
    sizes = []
    for cp in checkpoints:
        await storage.save_checkpoint(cp)
        sizes.append((tmp_path / f"{cp.checkpoint_id}.json").stat().st_size)
    expected = [cp.summary(size) for cp, size in zip(checkpoints, sizes, strict=True)][::-1]
    for current in (storage, FileCheckpointStorage(tmp_path)):
        assert await current.list_summaries() == expected
        assert await current.list_summaries() == expected  # from the compact cache
        assert await current.list_summaries(limit=2) == expected[:2]


async def test_a_listed_parent_id_is_its_parent_s_own_id_string(tmp_path: Any) -> None:
    """Chains longer than a batch of summary lines, in runs saved interleaved: a fresh listing
    keeps each parent id as the parent summary's own string (no copy per summary)."""
    storage = FileCheckpointStorage(tmp_path)
    parents: dict[str, str | None] = {"run-a": None, "run-b": None}
    for i in range(300):
        run = "run-a" if i % 2 else "run-b"
        cp = make_checkpoint(run, parent_checkpoint_id=parents[run])
        parents[run] = await storage.save_checkpoint(cp)
    listed = await FileCheckpointStorage(tmp_path).list_summaries()
    by_id = {summary.checkpoint_id: summary for summary in listed}
    children = [summary for summary in listed if summary.parent_checkpoint_id is not None]
    assert len(listed) == 300 and len(children) == 298
    for child in children:
        parent = by_id[child.parent_checkpoint_id]  # type: ignore[index]
        assert child.parent_checkpoint_id is parent.checkpoint_id
        assert parent.workflow_id == child.workflow_id


def test_summary_lines_are_read_together_or_one_by_one(tmp_path: Any) -> None:
    path = tmp_path / "summaries.jsonl"
    lines = [b'{"n":%d}\n' % i for i in range(4)]
    path.write_bytes(b"".join(lines[:2]) + b" " * (1 << 20) + b"".join(lines[2:]))
    far = (1 << 20) + 2 * len(lines[0])
    spans = [(0, len(lines[0])), (len(lines[0]), len(lines[1])), (far, len(lines[2]))]
    bad: list[tuple[Any, Any]] = [(-1, 3), (0, 0), ("0", 3), (0, (1 << 20) + 1)]
    with SummaryReader(str(path)) as reader:
        assert reader.read_many(spans[:2]) == lines[:2]  # close together: one read
        assert reader.read_many(spans) == lines[:3]  # far apart: one read each
        assert reader.read_many([*bad, spans[0]]) == [b""] * len(bad) + lines[:1]
        assert reader.read_many(bad) == [b""] * len(bad)
    with SummaryReader(str(tmp_path / "missing")) as reader:
        assert reader.read_many(spans) == [b""] * 3
