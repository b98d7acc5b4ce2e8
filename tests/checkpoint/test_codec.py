"""The typed-JSON codec: exact round trips, the allow-list, and errors that name the value."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.checkpoint.support import (
    Base,
    Color,
    Counted,
    Derived,
    Drawing,
    Frozen,
    Level,
    Loose,
    Mood,
    Point,
    Shape,
    assert_identical,
)
from wftui.checkpoint import CheckpointDecodingError, CheckpointEncodingError, register_type
from wftui.checkpoint.codec import decode_value, encode, encode_value, needs_decoding

VALUES: list[Any] = [
    (1, "a", (2.5, None)),
    {1, 2, 3},
    frozenset({"x"}),
    b"\x00\xffbytes",
    bytearray(b"mutable"),
    dt.datetime(2024, 5, 1, 12, 30, 15, 123456),
    dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")),
    dt.date(2024, 2, 29),
    dt.time(23, 59, 59, 999999),
    dt.timedelta(days=-1, seconds=5, microseconds=7),
    Decimal("1.10"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    Path("/tmp/some file.txt"),
    PurePosixPath("a/b"),
    PureWindowsPath("C:\\temp\\x"),
    Color.GREEN,
    Level.HIGH,
    Mood.HAPPY,
    float("nan"),
    float("inf"),
    -float("inf"),
    2**64,
    -(2**80),
    {"$t": "not a tag", "v": 1},
    {1: "int key", (2, 3): "tuple key", None: "none key"},
    {"plain": [1, 2.5, True, None, "s", {"nested": []}]},
    Point(1, 2, frozenset({"corner"})),
    Frozen("f", Point(0, 0)),
    Shape(name="tri", corners=(Point(0, 0), Point(1, 0), Point(0, 1)), level=Level.LOW),
    Drawing(shapes=[Shape(name="a")], by_id={7: Shape(name="b", color=Color.GREEN)}),
    (Drawing(shapes=[]), [Point(3, 4)], {"deep": (Frozen("x"),)}),
    Loose(kind="k", extra_field=(1, 2)),
    [],
    {},
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_come_back_as_exactly_the_same_types(value: Any) -> None:
    encoded = encode_value(value)
    # What a file holds survives a trip through any JSON parser.
    text = json.dumps(encoded)
    assert_identical(decode_value(json.loads(text)), value)


def test_plain_json_stays_untagged_and_says_so() -> None:
    value = {"count": 1, "items": ["a", {"b": None}], "ratio": 0.5, "ok": True}
    result = encode(value)
    assert result.json == value
    assert result.tagged is False
    assert needs_decoding(result.json) is False


@pytest.mark.parametrize("value", [(1,), {"k": {1}}, [Point(1, 2)], {"$t": 1}, {2: 2}])
def test_anything_tagged_is_flagged(value: Any) -> None:
    result = encode(value)
    assert result.tagged is True
    assert needs_decoding(result.json) is True


def test_decoding_gives_fresh_containers() -> None:
    stored = encode_value({"items": [1, 2]})
    first = decode_value(stored)
    first["items"].append(3)
    assert decode_value(stored) == {"items": [1, 2]}


def test_loading_does_not_run_post_init_again() -> None:
    value = Counted(5)
    assert value.runs == 1
    assert decode_value(encode_value(value)).runs == 1


def test_datetime_in_a_named_zone_keeps_the_zone() -> None:
    value = dt.datetime(2024, 3, 31, 1, 59, tzinfo=ZoneInfo("Europe/Paris"))
    restored = decode_value(encode_value(value))
    assert restored == value
    assert restored.tzinfo == ZoneInfo("Europe/Paris")
    assert restored.utcoffset() == value.utcoffset()


def test_a_registered_base_admits_its_subclasses() -> None:
    assert_identical(decode_value(encode_value(Derived("d", 3))), Derived("d", 3))
    assert_identical(decode_value(encode_value(Base("b"))), Base("b"))


@dataclass
class Leaf:
    n: int


@dataclass
class Branch:
    leaves: list[Leaf] | None
    named: dict[str, tuple[Leaf, ...]]


def test_register_type_walks_typing_forms() -> None:
    assert register_type(Branch | int) == Branch | int
    value = Branch([Leaf(1)], {"x": (Leaf(2),)})
    assert_identical(decode_value(encode_value(value)), value)


def test_a_dataclass_gains_fields_with_defaults() -> None:
    stored = {"$t": f"{Point.__module__}:Point", "x": 1, "y": 2}
    assert_identical(decode_value(stored), Point(1, 2))


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        ({"$t": f"{Point.__module__}:Point", "x": 1}, "missing field 'y'"),
        ({"$t": f"{Point.__module__}:Point", "x": 1, "y": 2, "z": 3}, "has no field 'z'"),
        ({"$t": f"{Shape.__module__}:Shape"}, "missing required field 'name'"),
        ({"$t": f"{Shape.__module__}:Shape", "name": "s", "sides": 3}, "has no field 'sides'"),
        ({"$t": "bytes", "v": "not base64!"}, "invalid bytes value"),
        ({"$t": "tuple", "v": "abc"}, "expected a list"),
        ({"$t": "tuple"}, "has no 'v'"),
        ({"$t": "pickle", "v": "gASV"}, "unknown type tag 'pickle'"),
        ({"$t": f"{Color.__module__}:Color", "v": "purple"}, "invalid"),
    ],
)
def test_malformed_tagged_values_are_refused_with_a_reason(
    stored: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CheckpointDecodingError, match=reason):
        decode_value({"cache": [0, stored]}, "executor_states.upper")


def test_decoding_errors_name_the_path() -> None:
    with pytest.raises(CheckpointDecodingError) as caught:
        decode_value({"cache": [0, {"$t": "bytes", "v": "%%"}]}, "executor_states.upper")
    assert str(caught.value).startswith("cannot decode executor_states.upper.cache[1]:")


def test_an_unregistered_type_is_refused_and_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "wftui_test_side_effects.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Evil:\n    pass\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(CheckpointDecodingError) as caught:
            decode_value({"x": {"$t": "wftui_test_side_effects:Evil"}}, "shared_state")
    finally:
        sys.path.remove(str(tmp_path))
    message = str(caught.value)
    assert message == (
        "checkpoint names type 'wftui_test_side_effects:Evil' at shared_state.x, which this "
        "workflow does not declare; register it with wftui.register_type(Evil)"
    )
    assert "\n" not in message
    assert "wftui_test_side_effects" not in sys.modules
    assert not marker.exists()


def test_a_loaded_but_unregistered_class_is_refused_too() -> None:
    @dataclass
    class NotDeclared:
        x: int

    # Saving it would make a checkpoint no fresh process could resume: refused at once.
    with pytest.raises(CheckpointEncodingError, match=r"register_type\(.*NotDeclared\)"):
        encode_value(NotDeclared(1), "shared_state.x")
    # A file naming it (written by hand, or by an older wftui) is refused on load too.
    stored = {"$t": f"{NotDeclared.__module__}:{NotDeclared.__qualname__}", "x": 1}
    with pytest.raises(CheckpointDecodingError, match="does not declare"):
        decode_value(stored)


def test_encoding_errors_name_the_exact_path() -> None:
    with socket.socket() as handle, pytest.raises(CheckpointEncodingError) as caught:
        encode_value(handle, "shared_state.handle")
    assert str(caught.value) == (
        "cannot encode shared_state.handle: object of type socket is not JSON-serialisable"
    )
    state = {"cache": [0, 1, 2, object()]}
    with pytest.raises(CheckpointEncodingError, match=r"^cannot encode executor_states\.upper"):
        encode_value(state, "executor_states.upper")
    with pytest.raises(CheckpointEncodingError) as caught:
        encode_value(state, "executor_states.upper")
    assert str(caught.value).startswith("cannot encode executor_states.upper.cache[3]: object")


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (Frozen("x", Point(1, object())), "value.where.y"),  # type: ignore[arg-type]
        ({"odd key": (1, {2: lambda: 0})}, 'value["odd key"][1][2]'),
        (Shape(name="s", corners=(Point(1, 2), Point(3, print))), "value.corners[1].y"),  # type: ignore[arg-type]
        ({(1, 2): {3, ...}}, "value[(1, 2)]{}"),
    ],
)
def test_paths_through_objects_and_odd_keys(value: Any, where: str) -> None:
    with pytest.raises(CheckpointEncodingError) as caught:
        encode_value(value)
    assert str(caught.value).startswith(f"cannot encode {where}:")


def test_a_value_that_contains_itself_fails_loudly() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(CheckpointEncodingError, match="contains itself"):
        encode_value(loop, "shared_state.loop")


def test_classes_and_subclasses_of_builtins_are_not_silently_stringified() -> None:
    class Name(str):
        pass

    with pytest.raises(CheckpointEncodingError, match="object of type Name"):
        encode_value(Name("x"))
    with pytest.raises(CheckpointEncodingError, match="object of type type"):
        encode_value(Point)
