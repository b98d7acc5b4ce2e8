"""Whole checkpoints to bytes and back: structure, reuse of pre-encoded state, validation."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.checkpoint.support import Frozen, Point, Shape, assert_identical, make_checkpoint
from wftui.checkpoint import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointStatus,
    WorkflowCheckpoint,
)
from wftui.checkpoint.document import (
    checkpoint_from_json,
    checkpoint_to_json,
    decode_with_fragments,
    parse_checkpoint,
)
from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.values import encode_value


def test_every_field_round_trips() -> None:
    cp = make_checkpoint(
        parent_checkpoint_id="parent",
        max_iterations=7,
        messages={
            "upper": [
                {"data": Point(1, 2), "source_id": "upper", "target_id": "reverse"},
                {"data": ("t", 1), "source_id": "upper", "target_id": None},
            ]
        },
        shared_state={"shape": Shape(name="s"), "$t": {1, 2}},
        executor_states={"upper": {"cache": [Frozen("f")], "ids": {3: "three"}}},
        pending_requests={"req-1": {"request_id": "req-1", "data": Point(0, 0)}},
        fan_in_buffers={"join": {"a": [1, (2,)], "b": []}},
        graph={"executors": {"upper": "Upper"}, "edges": [["upper", "reverse", "direct"]]},
        error={"error_type": "ValueError", "message": "bad", "executor_id": "upper"},
        metadata={"note": b"bytes"},
    )
    loaded = checkpoint_from_json(checkpoint_to_json(cp))
    for name in type(cp).model_fields:
        assert_identical(getattr(loaded, name), getattr(cp, name))
    assert loaded.status is CheckpointStatus.FAILED


def test_the_file_is_plain_readable_json() -> None:
    cp = make_checkpoint()
    data = checkpoint_to_json(cp)
    document = json.loads(data)
    assert document["checkpoint_id"] == cp.checkpoint_id
    assert document["executor_states"] == {"upper": {"count": 1, "seen": encode_value(("a", "b"))}}
    assert document["shared_state"] == {"original_input": "hello world"}
    # One executor state per line, so a diff of two checkpoints reads well.
    assert b'\n    "upper": {"count":1,' in data


def test_pre_encoded_state_is_reused_not_encoded_again() -> None:
    with socket.socket() as live_only:
        cp = make_checkpoint(
            executor_states={"upper": {"handle": live_only}}, shared_state={"k": live_only}
        )
        encoded = EncodedFragments(
            executor_states={"upper": (cp.executor_states["upper"], {"n": 1})},
            shared_state={"k": (live_only, "ready")},
        )
        document = json.loads(checkpoint_to_json(cp, encoded))
    assert document["executor_states"] == {"upper": {"n": 1}}
    assert document["shared_state"] == {"k": "ready"}


def test_a_fragment_is_dropped_once_its_field_was_replaced() -> None:
    cp = make_checkpoint(shared_state={"k": "old", "same": "kept"})
    encoded = EncodedFragments(
        shared_state={"k": (cp.shared_state["k"], "old"), "same": (cp.shared_state["same"], "x")}
    )
    changed = cp.model_copy(update={"shared_state": {"k": "new", "same": cp.shared_state["same"]}})
    document = json.loads(checkpoint_to_json(changed, encoded))
    assert document["shared_state"] == {"k": "new", "same": "x"}


def test_loading_keeps_the_raw_state_for_the_next_save() -> None:
    cp = make_checkpoint(executor_states={"upper": {"p": Point(1, 2)}})
    loaded, fragments = decode_with_fragments(parse_checkpoint(checkpoint_to_json(cp)))
    assert fragments.reusable("executor_states", loaded.executor_states) == {
        "upper": {"p": encode_value(Point(1, 2))}
    }
    assert fragments.reusable("shared_state", loaded.shared_state) == {
        "original_input": "hello world"
    }
    assert checkpoint_to_json(loaded, fragments) == checkpoint_to_json(cp)
    assert not hasattr(loaded, "_encoded")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"shared_state": {"handle": "socket"}}, "shared_state.handle"),
        (
            {"executor_states": {"upper": {"cache": [0, 1, 2, "socket"]}}},
            "executor_states.upper.cache[3]",
        ),
        ({"messages": {"src": [{"data": "socket", "source_id": "src"}]}}, "messages.src[0].data"),
        ({"pending_requests": {"r": {"data": "socket"}}}, "pending_requests.r.data"),
        ({"fan_in_buffers": {"join": {"a": [1, "socket"]}}}, "fan_in_buffers.join.a[1]"),
        ({"metadata": {"who": "socket"}}, "metadata.who"),
    ],
)
def test_a_value_that_cannot_be_saved_fails_loudly_with_its_path(
    change: dict[str, Any], where: str
) -> None:
    with socket.socket() as handle:

        def swap(value: Any) -> Any:
            if isinstance(value, dict):
                return {key: swap(item) for key, item in value.items()}
            if isinstance(value, list):
                return [swap(item) for item in value]
            return handle if value == "socket" else value

        cp = make_checkpoint(**swap(change))
        with pytest.raises(CheckpointEncodingError) as caught:
            checkpoint_to_json(cp)
    assert str(caught.value) == (
        f"cannot encode {where}: object of type socket is not JSON-serialisable"
    )


def test_a_non_string_key_in_the_checkpoint_structure_is_refused() -> None:
    cp = make_checkpoint()
    cp.shared_state[1] = "one"  # type: ignore[index]  # the engine builds with model_construct
    with pytest.raises(CheckpointEncodingError, match=r"shared_state: key 1 is not a string"):
        checkpoint_to_json(cp)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (b'{"format_version": 1, "checkpoint_id": "x"', "not valid JSON"),
        (b"[1, 2]", "expected a JSON object, found list"),
        (b'{"hello": "world"}', "no format_version"),
        (b'{"format_version": 99}', "format version 99 is not supported"),
        (b'{"format_version": true}', "format version True is not supported"),
        (b'{"format_version": 1, "checkpoint_id": "x"}', "missing workflow_id, timestamp"),
        (
            b'{"format_version": 1, "checkpoint_id": "x", "workflow_id": "w", '
            b'"timestamp": "t", "iteration_count": "many"}',
            "iteration_count",
        ),
        (
            b'{"format_version": 1, "checkpoint_id": "x", "workflow_id": "w", '
            b'"timestamp": "t", "iteration_count": 1, "executor_states": []}',
            "executor_states",
        ),
    ],
)
def test_invalid_data_is_refused_with_a_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CheckpointDecodingError, match=reason) as caught:
        checkpoint_from_json(data)
    assert "\n" not in str(caught.value)


def test_truncated_files_are_refused() -> None:
    data = checkpoint_to_json(make_checkpoint())
    for length in (1, len(data) // 2, len(data) - 3):
        with pytest.raises(CheckpointDecodingError, match="truncated or corrupt"):
            checkpoint_from_json(data[:length])


def test_parsing_alone_accepts_types_this_process_cannot_rebuild() -> None:
    data = checkpoint_to_json(make_checkpoint()).replace(
        b'"hello world"', b'{"$t":"elsewhere.module:Thing","x":1}'
    )
    raw = parse_checkpoint(data)
    assert raw.summary(len(data)).status is CheckpointStatus.IN_PROGRESS
    with pytest.raises(CheckpointDecodingError, match=r"'elsewhere\.module:Thing' at shared_state"):
        checkpoint_from_json(data)


def test_a_checkpoint_carries_nothing_but_its_fields() -> None:
    assert WorkflowCheckpoint.__private_attributes__ == {}
