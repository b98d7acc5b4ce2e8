"""Codec edges from the attack suite (issue 12): each value either comes back exactly in a fresh
process or is refused when encoded, naming its path; never saved and then unloadable."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.checkpoint.support import Point, Shape, assert_identical, make_checkpoint
from wftui import (
    Executor,
    ExecutorFailedEvent,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowOutputEvent,
    handler,
)
from wftui.checkpoint import CheckpointEncodingError, InMemoryCheckpointStorage
from wftui.checkpoint.codec import decode_value, encode_value

REPO = Path(__file__).resolve().parents[2]
CEST = dt.timezone(dt.timedelta(hours=2), "CEST")


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


EDGES: dict[str, Any] = {
    "datetime max, named zone": dt.datetime.max.replace(tzinfo=ZoneInfo("Asia/Tokyo")),
    "datetime min, named zone": dt.datetime.min.replace(tzinfo=ZoneInfo("America/New_York")),
    "datetime max, fixed zone": dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=5))),
    "datetime min, fixed zone": dt.datetime.min.replace(tzinfo=dt.timezone(-dt.timedelta(hours=5))),
    "datetime in a named fixed zone": dt.datetime(2024, 7, 1, 12, tzinfo=CEST),
    "datetime, second of a repeated hour": dt.datetime(
        2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")
    ),
    "time with a ZoneInfo": dt.time(12, 30, tzinfo=ZoneInfo("Europe/Paris")),
    "time in a named fixed zone": dt.time(8, tzinfo=CEST),
    "int of 5,000 digits": 7 * (10**5000 - 1) // 9,  # 777...7, built without text
    "negative int of 5,000 digits": -(10**4999),
    "lone surrogate": "before \ud800 after",
    "lone surrogate as a key": {"k\udfff": 1, "plain": 2},
    "nested 150 deep": nested(150),
}

FRESH_PROCESS = """
import json, sys
from tests.checkpoint import support
from wftui.checkpoint.codec import decode_value
values = {name: decode_value(json.loads(text)) for name, text in json.load(sys.stdin).items()}
print(json.dumps({name: repr(value) for name, value in values.items()}))
print(json.dumps({
    name: [type(value).__name__, str(getattr(value, "tzinfo", None)),
           value.tzname() if hasattr(value, "tzname") else None]
    for name, value in values.items()
}))
"""


@pytest.mark.parametrize("name", EDGES)
def test_an_edge_value_round_trips_exactly(name: str) -> None:
    value = EDGES[name]
    back = decode_value(json.loads(json.dumps(encode_value(value))))
    assert_identical(back, value)
    if isinstance(value, dt.datetime | dt.time):
        assert (back.tzinfo, back.tzname(), back.fold) == (
            value.tzinfo,
            value.tzname(),
            value.fold,
        )


def test_edge_values_round_trip_in_a_fresh_process() -> None:
    sys.set_int_max_str_digits(0)  # only so this process can repr the big ints to compare
    try:
        encoded = {name: json.dumps(encode_value(value)) for name, value in EDGES.items()}
        result = subprocess.run(
            [sys.executable, "-X", "int_max_str_digits=0", "-c", FRESH_PROCESS],
            input=json.dumps(encoded),
            capture_output=True,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            check=True,
            timeout=60,
        )
        reprs, zones = map(json.loads, result.stdout.splitlines())
        assert reprs == {name: repr(value) for name, value in EDGES.items()}
        assert zones == {
            name: [
                type(value).__name__,
                str(getattr(value, "tzinfo", None)),
                value.tzname() if hasattr(value, "tzname") else None,
            ]
            for name, value in EDGES.items()
        }
    finally:
        sys.set_int_max_str_digits(4300)


def test_a_model_default_the_user_never_set_stays_unset() -> None:
    shape = Shape(name="s", corners=(Point(1, 2),))
    back = decode_value(encode_value(shape))
    assert back == shape
    assert back.model_fields_set == {"name", "corners"}
    assert back.model_dump(exclude_unset=True) == shape.model_dump(exclude_unset=True)


def test_a_value_nested_too_deeply_is_refused_at_encode_naming_where() -> None:
    with pytest.raises(CheckpointEncodingError) as caught:
        encode_value({"deep": nested(300)}, "executor_states.upper")
    message = str(caught.value)
    assert message.startswith("cannot encode executor_states.upper.deep[0][0]")
    assert message.endswith("nested more than 200 levels deep, or it contains itself")
    assert "\n" not in message


class Zone(dt.tzinfo):
    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=1)

    def tzname(self, when: dt.datetime | None) -> str:
        return "Mine"

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)


def test_a_zone_that_cannot_come_back_is_refused_naming_its_path() -> None:
    with pytest.raises(
        CheckpointEncodingError,
        match=r"^cannot encode shared_state\.when: time zone of type Zone cannot be stored",
    ):
        encode_value(dt.datetime(2024, 1, 1, tzinfo=Zone()), "shared_state.when")


async def test_edge_values_survive_a_whole_checkpoint_save() -> None:
    storage = InMemoryCheckpointStorage()
    cp = make_checkpoint(shared_state=dict(EDGES))
    await storage.save_checkpoint(cp)
    loaded = await storage.load_checkpoint(cp.checkpoint_id)
    assert loaded is not None
    assert_identical(loaded.shared_state, cp.shared_state)


class SetsDeepState(Executor):
    @handler
    async def go(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.set_state({"deep": nested(300)})
        await ctx.yield_output(text)


async def test_a_value_nested_too_deeply_fails_the_set_state_call_naming_its_path() -> None:
    storage = InMemoryCheckpointStorage()
    start = SetsDeepState(id="deep_writer")
    workflow = WorkflowBuilder().set_start_executor(start).with_checkpointing(storage).build()
    events = [event async for event in workflow.run_stream("x", raise_on_failure=False)]
    (failed,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    assert failed.details is not None
    assert failed.details.message.startswith("cannot encode executor_states.deep_writer.deep[0][0]")
    assert not [e for e in events if isinstance(e, WorkflowOutputEvent)]
    latest = await storage.get_latest()
    assert latest is not None  # the failed checkpoint itself saved fine
    assert latest.error is not None
