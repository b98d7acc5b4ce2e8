"""A document with exactly typed fields becomes the model pydantic would make, without it; any
other document is left to pydantic, so what it coerces or refuses stays its decision."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointDecodingError, WorkflowCheckpoint
from wftui.checkpoint.document import checkpoint_from_json, checkpoint_to_json
from wftui.checkpoint.exact import exact_checkpoint


def document(**changes: Any) -> dict[str, Any]:
    cp = make_checkpoint(
        parent_checkpoint_id="parent",
        messages={"a": [{"data": "x", "source_id": "a", "target_id": None}]},
        executor_states={"a": {"count": 1}},
        pending_requests={"r": {"request_id": "r", "data": 2}},
        fan_in_buffers={"join": {"a": [1, 2]}},
        next_executor_ids=["b"],
        graph={"executors": []},
        metadata={"execution": {"kind": "run"}},
    )
    parsed: dict[str, Any] = orjson.loads(checkpoint_to_json(cp))
    parsed.update(changes)
    return parsed


# A value of the wrong type for each field: pydantic refuses or coerces each, so each must send
# the document to pydantic.
WRONG = {
    "checkpoint_id": 7,
    "workflow_id": 7,
    "workflow_name": None,
    "parent_checkpoint_id": 1,
    "timestamp": 1.5,
    "iteration_count": 3.0,  # pydantic coerces it to 3
    "max_iterations": True,
    "messages": {"a": [1]},
    "shared_state": [1],
    "executor_states": {"a": [1]},
    "pending_requests": {"r": "text"},
    "fan_in_buffers": {"join": {"a": "text"}},
    "next_executor_ids": ["b", 2],
    "graph_signature": [],
    "graph": [],
    "error": "boom",
    "completed_writes": {"a": 1},
    "format_version": "1",
    "version": 1.0,
    "metadata": None,
}


def test_every_field_of_the_model_has_a_wrong_value_here() -> None:
    assert sorted(WRONG) == sorted(WorkflowCheckpoint.model_fields)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_field_of_the_wrong_type_is_left_to_pydantic(name: str) -> None:
    assert exact_checkpoint(document(**{name: WRONG[name]})) is None


@pytest.mark.parametrize(
    "changes",
    [{}, {"parent_checkpoint_id": None, "graph": None, "error": None}, {"unknown": [1, 2]}],
)
def test_an_exactly_typed_document_is_the_model_pydantic_makes(changes: dict[str, Any]) -> None:
    parsed = document(**changes)
    validated = WorkflowCheckpoint.model_validate(json.loads(json.dumps(parsed)))
    built = exact_checkpoint(parsed)
    assert built is not None
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump() == validated.model_dump()
    assert repr(built) == repr(validated)  # same field order
    built.workflow_name = "renamed"  # an ordinary, mutable model
    assert built.model_copy(update={"iteration_count": 9}).iteration_count == 9


@pytest.mark.parametrize(
    "changes",
    [
        {"iteration_count": 3.0},  # pydantic coerces it to 3
        {"max_iterations": True},
        {"iteration_count": "3"},
        {"workflow_id": 7},
        {"parent_checkpoint_id": 1},
        {"graph": []},
        {"shared_state": [1]},
        {"executor_states": {"a": [1]}},
        {"messages": {"a": {"b": 1}}},
        {"messages": {"a": [1]}},
        {"fan_in_buffers": {"join": {"a": "text"}}},
        {"fan_in_buffers": {"join": []}},
        {"next_executor_ids": ["b", 2]},
        {"next_executor_ids": "b"},
    ],
)
def test_anything_not_exactly_typed_is_left_to_pydantic(changes: dict[str, Any]) -> None:
    assert exact_checkpoint(document(**changes)) is None


def test_what_pydantic_coerces_comes_out_coerced() -> None:
    loaded = checkpoint_from_json(orjson.dumps(document(iteration_count=3.0)))
    assert type(loaded.iteration_count) is int
    with pytest.raises(CheckpointDecodingError, match="workflow_id"):
        checkpoint_from_json(orjson.dumps(document(workflow_id=7)))


def test_a_document_missing_a_field_is_left_to_pydantic_for_its_default() -> None:
    parsed = document()
    del parsed["metadata"]
    assert exact_checkpoint(parsed) is None
    assert WorkflowCheckpoint.model_validate(parsed).metadata == {}
