"""Typed JSON for checkpoint values: exact round-trips, no pickle, nothing imported from a file.

Plain JSON values (str, int, float, bool, None, list, dict with str keys) are written as they
are, so files read naturally. Everything else is a tagged object: ``{"$t": tag, "v": payload}``
for built-in tags (``tuple``, ``set``, ``bytes``, ``datetime``...) and for enum members (tagged
``"module:QualName"``); ``{"$t": "module:QualName", field: value, ...}`` for dataclasses and
pydantic models. A dict that has the tag key or non-str keys is written as
``{"$t": "dict", "v": [[key, value], ...]}`` so it cannot be mistaken for a tagged value.

Classes are rebuilt only from the allow-list in :mod:`wftui.checkpoint.registry`. Dataclasses and
pydantic models are restored field by field, like pickle restores state, without calling
``__init__`` or validators, so a round trip neither replays ``__post_init__`` nor coerces values;
a model's unset fields stay unset. Pydantic private attributes are not stored; they come back with
their defaults. What cannot come back exactly is refused when encoded, naming its path.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from pathlib import PosixPath, PurePosixPath, PureWindowsPath, WindowsPath
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from wftui.checkpoint.decoding import decode_value
from wftui.checkpoint.errors import CheckpointEncodingError
from wftui.checkpoint.failures import Failure, key_segment, locate
from wftui.checkpoint.registry import Kind, class_info, lookup
from wftui.checkpoint.tags import TAG, UNSET

__all__ = [
    "TAG",
    "Encoded",
    "decode_value",
    "encode",
    "encode_value",
    "key_segment",
    "needs_decoding",
]

_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1  # orjson writes 64-bit integers; bigger ones travel as text
_DECIMAL_BITS = 12_000  # below Python's 4,300-digit limit on int <-> decimal text; hex beyond
MAX_DEPTH = 200  # JSON nesting a value may have; orjson refuses documents deeper than 254


class Encoded(NamedTuple):
    """A value's typed-JSON form, and whether it holds tags (plain JSON needs no decoding)."""

    json: Any
    tagged: bool


# --- encoding ------------------------------------------------------------------------------


def _encode_zone(zone: dt.tzinfo | None, out: dict[str, Any], subject: Any) -> None:
    """Record a zone so it comes back as the same object kind, name included."""
    if zone is None:
        return
    if isinstance(zone, ZoneInfo):
        out["tz"] = zone.key
    elif type(zone) is dt.timezone:
        offset = zone.utcoffset(None)
        out["offset"] = [offset.days, offset.seconds, offset.microseconds]
        name = zone.tzname(None)
        if name != dt.timezone(offset).tzname(None):
            out["tzname"] = name
    else:
        raise Failure(
            f"time zone of type {type(zone).__name__} cannot be stored; "
            "use zoneinfo.ZoneInfo or datetime.timezone",
            subject,
        )


def _encode_clock(value: dt.datetime | dt.time) -> dict[str, Any]:
    """Wall time without its zone, plus the zone: no conversion, so ``datetime.max`` survives."""
    out: dict[str, Any] = {TAG: type(value).__name__, "v": value.replace(tzinfo=None).isoformat()}
    _encode_zone(value.tzinfo, out, value)
    if value.fold:
        out["fold"] = 1
    return out


def _lone(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which UTF-8 (and so the file) cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _encode_str(value: str) -> Any:
    """A non-ASCII string itself, or (with lone surrogates) its tagged bytes."""
    if not _lone(value):
        return value
    raw = value.encode("utf-8", "surrogatepass")
    return {TAG: "str", "v": base64.b64encode(raw).decode("ascii")}


def _encode_int(value: int) -> dict[str, Any]:
    """An int past 64 bits, as text: decimal while Python can convert it, hex beyond."""
    if value.bit_length() <= _DECIMAL_BITS:
        return {TAG: "int", "v": str(value)}
    return {TAG: "int", "v": hex(value)}


# Builtin types with a fixed tag: type -> (tag, payload maker). Containers are handled inline.
_SCALARS: dict[type, tuple[str, Callable[[Any], Any]]] = {
    bytes: ("bytes", lambda v: base64.b64encode(v).decode("ascii")),
    bytearray: ("bytearray", lambda v: base64.b64encode(v).decode("ascii")),
    dt.date: ("date", dt.date.isoformat),
    dt.timedelta: ("timedelta", lambda v: [v.days, v.seconds, v.microseconds]),
    Decimal: ("decimal", str),
    uuid.UUID: ("uuid", str),
    PosixPath: ("path", str),
    WindowsPath: ("path", str),
    PurePosixPath: ("pureposixpath", str),
    PureWindowsPath: ("purewindowspath", str),
}


class _Encoder:
    """One encoding pass; remembers whether it wrote any tag."""

    __slots__ = ("tagged",)

    def __init__(self) -> None:
        self.tagged = False

    def encode(self, value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if kind is str:
            if value.isascii():
                return value
            encoded = _encode_str(value)
            self.tagged |= encoded is not value
            return encoded
        if kind is bool or value is None:
            return value
        if kind is int:
            if _INT_MIN <= value <= _INT_MAX:
                return value
            self.tagged = True
            return _encode_int(value)
        if kind is float:
            if math.isfinite(value):
                return value
            self.tagged = True
            return {TAG: "float", "v": repr(value)}
        if depth >= MAX_DEPTH:
            raise Failure(f"nested more than {MAX_DEPTH} levels deep, or it contains itself", value)
        depth += 1
        if kind is dict:
            return self._dict(value, depth)
        if kind is list:
            return [self.encode(item, depth) for item in value]
        if kind is tuple:
            self.tagged = True
            return {TAG: "tuple", "v": [self.encode(item, depth) for item in value]}
        if kind is set or kind is frozenset:
            self.tagged = True
            return {TAG: kind.__name__, "v": [self.encode(item, depth) for item in value]}
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            self.tagged = True
            return {TAG: scalar[0], "v": scalar[1](value)}
        if kind is dt.datetime or kind is dt.time:
            self.tagged = True
            return _encode_clock(value)
        return self._object(value, depth)

    def _dict(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str or key == TAG or (not key.isascii() and _lone(key)):
                break
            out[key] = self.encode(item, depth)
        else:
            return out
        self.tagged = True
        pairs = [[self.encode(key, depth), self.encode(item, depth)] for key, item in value.items()]
        return {TAG: "dict", "v": pairs}

    def _object(self, value: Any, depth: int) -> dict[str, Any]:
        info = class_info(type(value))
        if info.kind is Kind.OTHER:
            raise Failure(f"object of type {type(value).__name__} is not JSON-serialisable", value)
        if lookup(info.name) is None:
            # Refused here, loudly, rather than saved and then refused on resume.
            raise Failure(
                f"type {info.name} is not declared by the workflow's handlers; "
                f"register it with wftui.register_type({type(value).__qualname__})",
                value,
            )
        self.tagged = True
        if info.kind is Kind.ENUM:
            return {TAG: info.name, "v": self.encode(value.value, depth)}
        fields: dict[str, Any] = {TAG: info.name}
        extra = value.__pydantic_extra__ if info.kind is Kind.MODEL else None
        for name in (*info.fields, *(extra or ())):
            if name in (TAG, UNSET):
                raise Failure(f"a field named {name!r} cannot be stored", value)
            fields[name] = self.encode(getattr(value, name), depth)
        if info.kind is Kind.MODEL:
            unset = [name for name in info.fields if name not in value.model_fields_set]
            if unset:
                fields[UNSET] = unset
        return fields


def _value_children(node: Any) -> Iterable[tuple[str, Any]]:
    """What the encoder visits inside ``node``, with the path segment of each."""
    kind = type(node)
    if kind is dict:
        for key, item in node.items():
            if type(key) is not str:
                yield key_segment(key), key
            yield key_segment(key), item
    elif kind is list or kind is tuple:
        yield from ((f"[{index}]", item) for index, item in enumerate(node))
    elif kind is set or kind is frozenset:
        yield from (("{}", item) for item in node)  # positions mean nothing in a set
    elif isinstance(node, Enum):
        yield ".value", node.value
    elif isinstance(node, BaseModel) or dataclasses.is_dataclass(node):
        info = class_info(type(node))
        extra = node.__pydantic_extra__ if isinstance(node, BaseModel) else None
        yield from ((f".{name}", getattr(node, name)) for name in (*info.fields, *(extra or ())))


def _encoding_error(where: str, failure: Failure) -> CheckpointEncodingError:
    return CheckpointEncodingError(f"cannot encode {where}: {failure.reason}")


def encode(value: Any, path: str = "value") -> Encoded:
    """Typed JSON for ``value``; ``CheckpointEncodingError`` names the path of anything unencodable."""
    encoder = _Encoder()
    try:  # not ``failure_path``: a ``with`` costs a fifth of encoding a message, on every save
        json = encoder.encode(value)
    except Failure as failure:
        where = path + locate(value, failure.subject, _value_children)
        raise _encoding_error(where, failure) from failure.__cause__
    except RecursionError:
        raise CheckpointEncodingError(
            f"cannot encode {path}: it is nested too deeply or contains itself"
        ) from None
    return Encoded(json, encoder.tagged)


def encode_value(value: Any, path: str = "value") -> Any:
    """Typed JSON for ``value`` (see :func:`encode` for the tagged flag)."""
    return encode(value, path).json


def needs_decoding(json: Any) -> bool:
    """Whether typed JSON holds any tag; plain JSON decodes to itself (modulo copying)."""
    kind = type(json)
    if kind is dict:
        return TAG in json or any(needs_decoding(item) for item in json.values())
    if kind is list:
        return any(needs_decoding(item) for item in json)
    return False
