"""Property tests over values and the checkpoint structure: whatever hypothesis builds from the
supported types either comes back identical through real bytes or is refused with its path."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checkpoint.support import Color, Point, Shape, assert_identical
from wftui.checkpoint import (
    CheckpointEncodingError,
    FileCheckpointStorage,
    JsonCheckpointSerializer,
    WorkflowCheckpoint,
)
from wftui.checkpoint.codec import decode_value, encode_value

ZONES = [ZoneInfo(name) for name in ("UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns")]
any_text = st.text(st.characters(exclude_categories=()), max_size=20)  # surrogates included
zones = st.one_of(
    st.none(),
    st.sampled_from(ZONES),
    st.builds(
        dt.timezone,
        st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)),
    ),
    st.builds(dt.timezone, st.just(dt.timedelta(hours=2)), st.just("CEST")),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**700), max_value=10**700),
    st.floats(),
    any_text,
    st.binary(max_size=20),
    st.datetimes(timezones=zones),
    st.times(timezones=zones),
    st.dates(),
    st.timedeltas(),
    st.decimals(allow_nan=False),
    st.uuids(),
    st.sampled_from(list(Color)),
)
hashable = st.one_of(st.integers(), any_text, st.booleans(), st.tuples(st.integers(), any_text))


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.frozensets(hashable, max_size=4),
        st.sets(hashable, max_size=4),
        st.dictionaries(any_text, children, max_size=4),
        st.dictionaries(hashable, children, max_size=3),
        st.builds(Point, st.integers(), st.integers(), st.frozensets(any_text, max_size=2)),
        st.builds(
            Shape, name=any_text, corners=st.tuples(st.builds(Point, st.integers(), st.integers()))
        ),
    )


values = st.recursive(scalars, containers, max_leaves=20)
keys = st.text(min_size=1, max_size=12)  # document keys: any text UTF-8 can hold
ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_any_value_round_trips_through_bytes(value: Any) -> None:
    data = orjson.dumps(encode_value(value))
    assert_identical(decode_value(orjson.loads(data)), value)


message = st.fixed_dictionaries(
    {"data": values},
    optional={"source_id": ids, "target_id": st.one_of(st.none(), ids), "extra": values},
)
checkpoints = st.builds(
    WorkflowCheckpoint,
    checkpoint_id=ids,
    workflow_id=st.text(max_size=20),
    workflow_name=st.text(max_size=20),
    parent_checkpoint_id=st.one_of(st.none(), ids),
    timestamp=st.datetimes(timezones=st.just(dt.UTC)).map(lambda moment: moment.isoformat()),
    iteration_count=st.integers(min_value=0, max_value=10**6),
    messages=st.dictionaries(ids, st.lists(message, max_size=3), max_size=3),
    shared_state=st.dictionaries(keys, values, max_size=4),
    executor_states=st.dictionaries(ids, st.dictionaries(keys, values, max_size=3), max_size=3),
    pending_requests=st.dictionaries(ids, st.dictionaries(keys, values, max_size=3), max_size=2),
    fan_in_buffers=st.dictionaries(
        ids, st.dictionaries(ids, st.lists(values, max_size=3), max_size=2), max_size=2
    ),
    next_executor_ids=st.lists(ids, max_size=3),
    metadata=st.dictionaries(keys, values, max_size=3),
    completed_writes=st.dictionaries(ids, st.dictionaries(keys, values, max_size=2), max_size=2),
)


def assert_same_checkpoint(actual: WorkflowCheckpoint, expected: WorkflowCheckpoint) -> None:
    for name in type(expected).model_fields:
        assert_identical(getattr(actual, name), getattr(expected, name))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(checkpoints)
def test_any_checkpoint_round_trips_through_the_document(checkpoint: WorkflowCheckpoint) -> None:
    serializer = JsonCheckpointSerializer()
    data = serializer.dumps(checkpoint)
    assert_same_checkpoint(serializer.loads(data), checkpoint)
    summary = serializer.parse(data).summary(len(data))
    assert summary == checkpoint.summary(len(data))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(checkpoints, min_size=1, max_size=4, unique_by=lambda cp: cp.checkpoint_id))
def test_any_checkpoints_round_trip_through_a_folder(batch: list[WorkflowCheckpoint]) -> None:
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as folder:
            storage = FileCheckpointStorage(folder)
            for checkpoint in batch:
                await storage.save_checkpoint(checkpoint)
            fresh = FileCheckpointStorage(folder)
            for checkpoint in batch:
                loaded = await fresh.load_checkpoint(checkpoint.checkpoint_id)
                assert loaded is not None
                assert_same_checkpoint(loaded, checkpoint)
            listed = await fresh.list_summaries()
            assert sorted(s.checkpoint_id for s in listed) == sorted(
                cp.checkpoint_id for cp in batch
            )
            assert fresh.problems == []

    asyncio.run(scenario())


@given(st.sampled_from(["shared_state", "executor_states", "pending_requests"]))
def test_a_document_key_utf8_cannot_hold_is_refused_naming_it(section: str) -> None:
    value: Any = 1 if section == "shared_state" else {"x": 1}
    checkpoint = WorkflowCheckpoint(**{section: {"ok": value, "bad\ud800": value}})
    with pytest.raises(CheckpointEncodingError) as caught:
        JsonCheckpointSerializer().dumps(checkpoint)
    assert str(caught.value).startswith(f"cannot encode {section}")
    assert "bad" in str(caught.value)
