"""Typed JSON back to values: only allow-listed classes, fresh containers, paths on failure.

See :mod:`wftui.checkpoint.values` for the format.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.failures import Failure, UnknownType, failure_path, key_segment
from wftui.checkpoint.registry import Kind, class_info, lookup
from wftui.checkpoint.tags import TAG, UNSET


def _decode_zone(tagged: dict[str, Any]) -> dt.tzinfo | None:
    if "tz" in tagged:
        return ZoneInfo(tagged["tz"])
    if "offset" in tagged:
        days, seconds, micros = tagged["offset"]
        offset = dt.timedelta(days=days, seconds=seconds, microseconds=micros)
        name = tagged.get("tzname")
        return dt.timezone(offset) if name is None else dt.timezone(offset, name)
    return None


def _decode_clock(
    parse: Callable[[str], dt.datetime | dt.time],
) -> Callable[[Any, dict[str, Any]], Any]:
    def decode(payload: str, tagged: dict[str, Any]) -> dt.datetime | dt.time:
        value = parse(payload)
        zone = _decode_zone(tagged)
        if value.tzinfo is not None:  # written by wftui before zones were kept apart
            return value if zone is None else value.astimezone(zone)  # type: ignore[union-attr]
        return value.replace(tzinfo=zone, fold=tagged.get("fold", 0))

    return decode


def _decode_dict(payload: list[Any], _tagged: dict[str, Any]) -> dict[Any, Any]:
    out = {}
    for pair in _require_list(payload):
        key, item = pair
        out[_decode(key)] = _decode(item)
    return out


def _decode_timedelta(payload: list[int], _tagged: dict[str, Any]) -> dt.timedelta:
    days, seconds, micros = payload
    return dt.timedelta(days=days, seconds=seconds, microseconds=micros)


def _decode_str(payload: str, _tagged: dict[str, Any]) -> str:
    return base64.b64decode(payload, validate=True).decode("utf-8", "surrogatepass")


def _require_list(payload: Any) -> list[Any]:
    if type(payload) is not list:
        raise Failure(f"expected a list, found {type(payload).__name__}")
    return payload


def _items(payload: Any) -> list[Any]:
    return _decode_list(_require_list(payload))


_DECODERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "tuple": lambda v, _: tuple(_items(v)),
    "set": lambda v, _: set(_items(v)),
    "frozenset": lambda v, _: frozenset(_items(v)),
    "dict": _decode_dict,
    "int": lambda v, _: int(v, 0),
    "float": lambda v, _: float(v),
    "str": _decode_str,
    "bytes": lambda v, _: base64.b64decode(v, validate=True),
    "bytearray": lambda v, _: bytearray(base64.b64decode(v, validate=True)),
    "datetime": _decode_clock(dt.datetime.fromisoformat),
    "date": lambda v, _: dt.date.fromisoformat(v),
    "time": _decode_clock(dt.time.fromisoformat),
    "timedelta": _decode_timedelta,
    "decimal": lambda v, _: Decimal(v),
    "uuid": lambda v, _: uuid.UUID(v),
    "path": lambda v, _: Path(v),
    "pureposixpath": lambda v, _: PurePosixPath(v),
    "purewindowspath": lambda v, _: PureWindowsPath(v),
}


def _decode_list(values: list[Any]) -> list[Any]:
    return [_decode(item) for item in values]


def _decode(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        if TAG in value:
            return _decode_tagged(value)
        return {key: _decode(item) for key, item in value.items()}
    if kind is list:
        return [_decode(item) for item in value]
    return value


def _decode_tagged(tagged: dict[str, Any]) -> Any:
    tag = tagged[TAG]
    decoder = _DECODERS.get(tag) if type(tag) is str else None
    try:
        if decoder is not None:
            return decoder(_payload(tagged), tagged)
        if type(tag) is str and ":" in tag:
            return _rebuild(tag, tagged)
    except Failure as failure:
        if failure.subject is None:  # raised about this tagged value itself
            failure.subject = tagged
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as error:
        raise Failure(f"invalid {tag} value ({error})", tagged) from error
    raise Failure(f"unknown type tag {tag!r}", tagged)


def _payload(tagged: dict[str, Any]) -> Any:
    if "v" not in tagged:
        raise Failure(f"tagged value {tagged[TAG]!r} has no 'v'")
    return tagged["v"]


def _rebuild(name: str, tagged: dict[str, Any]) -> Any:
    """An enum member from ``v``; a dataclass or model from the other keys (its fields)."""
    cls = lookup(name)
    if cls is None:
        raise UnknownType(name, tagged)
    info = class_info(cls)
    if info.kind is Kind.ENUM:
        return cls(_decode(_payload(tagged)))
    values = {
        field: _decode(item) for field, item in tagged.items() if field != TAG and field != UNSET
    }
    if info.kind is Kind.MODEL:
        return _rebuild_model(cls, name, values, tagged.get(UNSET, ()))
    return _rebuild_dataclass(cls, name, info.fields, values)


def _rebuild_model(
    cls: type[BaseModel], name: str, values: dict[str, Any], unset: Any
) -> BaseModel:
    extra_allowed = cls.model_config.get("extra") == "allow"
    for field in values:
        if field not in cls.model_fields and not extra_allowed:
            raise Failure(f"{name} has no field {field!r}")
    for field, info in cls.model_fields.items():
        if field not in values and info.is_required():
            raise Failure(f"{name} is missing required field {field!r}")
    if type(unset) not in (list, tuple) or not set(map(type, unset)) <= {str}:
        raise Failure(f"{name}: {UNSET!r} must be a list of field names")
    return cls.model_construct(_fields_set=set(values).difference(unset), **values)


def _rebuild_dataclass(
    cls: type, name: str, fields: tuple[str, ...], values: dict[str, Any]
) -> object:
    for key in values:
        if key not in fields:
            raise Failure(f"{name} has no field {key!r}")
    obj: object = object.__new__(cls)
    for field in dataclasses.fields(cls):
        if field.name in values:
            value = values[field.name]
        elif field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            raise Failure(f"{name} is missing field {field.name!r}")
        object.__setattr__(obj, field.name, value)
    return obj


def _json_children(node: Any) -> Iterable[tuple[str, Any]]:
    """What the decoder visits inside a typed-JSON node, with the path segment of each."""
    if type(node) is list:
        yield from ((f"[{index}]", item) for index, item in enumerate(node))
    elif type(node) is dict and TAG not in node:
        yield from ((key_segment(key), item) for key, item in node.items())
    elif type(node) is dict:
        tag, payload = node[TAG], node.get("v")
        if tag == "dict" and type(payload) is list:
            for index, pair in enumerate(payload):
                yield from ((f"[{index}]", part) for part in (pair if type(pair) is list else ()))
        elif tag in ("tuple", "set", "frozenset") and type(payload) is list:
            yield from ((f"[{index}]", item) for index, item in enumerate(payload))
        elif type(tag) is str and ":" in tag:
            if "v" in node:
                yield ".value", payload
            yield from ((f".{k}", v) for k, v in node.items() if k not in (TAG, UNSET, "v"))


def _decoding_error(where: str, failure: Failure) -> CheckpointDecodingError:
    if isinstance(failure, UnknownType):
        short = failure.name.rpartition(":")[2].rpartition(".")[2]
        return CheckpointDecodingError(
            f"checkpoint names type {failure.name!r} at {where}, which this workflow "
            f"does not declare; register it with wftui.register_type({short})"
        )
    return CheckpointDecodingError(f"cannot decode {where}: {failure.reason}")


def decode_value(json: Any, path: str = "value") -> Any:
    """The value typed JSON stands for, in fresh containers; ``CheckpointDecodingError`` if refused."""
    try:
        with failure_path(json, path, _json_children, _decoding_error):
            return _decode(json)
    except RecursionError:
        raise CheckpointDecodingError(f"cannot decode {path}: nested too deeply") from None
