"""The file listing's compact summaries: the public summary comes back field for field, equal
strings are one object, and a line that does not check out is refused or validated."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointStatus, CheckpointSummary, FileCheckpointStorage
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
