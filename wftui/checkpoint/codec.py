"""Typed JSON for checkpoint values: exact round-trips, no pickle, nothing imported from a file.

Plain JSON values (str, int, float, bool, None, list, dict with str keys) are written as they
are, so files read naturally. Everything else is a tagged object: ``{"$t": tag, "v": payload}``
for built-in tags (``tuple``, ``set``, ``bytes``, ``datetime``...) and for enum members (tagged
``"module:QualName"``); ``{"$t": "module:QualName", field: value, ...}`` for dataclasses and
pydantic models. A dict that has the tag key or non-str keys is written as
``{"$t": "dict", "v": [[key, value], ...]}`` so it cannot be mistaken for a tagged value.

Classes are rebuilt only from the allow-list filled by :func:`register_type` (the engine registers
the types handlers declare and its own; users register the rest). Dataclasses and pydantic models
are restored field by field, like pickle restores state, without calling ``__init__`` or
validators, so a round trip neither replays ``__post_init__`` nor coerces values. Pydantic private
attributes are not stored; they come back with their defaults.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
import re
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from pathlib import Path, PosixPath, PurePosixPath, PureWindowsPath, WindowsPath
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, ValidationError

from wftui.checkpoint.model import FORMAT_VERSION, WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointEncodingError

TAG = "$t"
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1  # orjson writes 64-bit integers; bigger ones travel as text
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+")

_REQUIRED_FIELDS = ("checkpoint_id", "workflow_id", "timestamp", "iteration_count")


class Encoded(NamedTuple):
    """A value's typed-JSON form, and whether it holds tags (plain JSON needs no decoding)."""

    json: Any
    tagged: bool


class _Failure(Exception):
    """Raised deep in the recursion; each level adds its path segment on the way out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segments: list[str] = []

    def at(self, path: str) -> str:
        return path + "".join(reversed(self.segments))


class _UnknownType(_Failure):
    """A tag names a class that is not on the allow-list."""

    def __init__(self, name: str) -> None:
        super().__init__(f"type {name!r} is not registered")
        self.name = name


def _key_segment(key: object) -> str:
    if isinstance(key, str) and _SIMPLE_KEY.fullmatch(key):
        return f".{key}"
    return f"[{key!r}]"


# --- the allow-list ------------------------------------------------------------------------

_REGISTRY: dict[str, type] = {}

_ENUM, _MODEL, _DATACLASS, _OTHER = range(4)


class _ClassInfo(NamedTuple):
    name: str
    kind: int
    fields: tuple[str, ...]


_CLASS_INFO: dict[type, _ClassInfo] = {}


def _type_name(cls: type) -> str:
    """The name a file uses for a class: ``module:QualName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_info(cls: type) -> _ClassInfo:
    info = _CLASS_INFO.get(cls)
    if info is None:
        if issubclass(cls, Enum):
            info = _ClassInfo(_type_name(cls), _ENUM, ())
        elif issubclass(cls, BaseModel):
            info = _ClassInfo(_type_name(cls), _MODEL, tuple(cls.model_fields))
        elif dataclasses.is_dataclass(cls):
            names = tuple(field.name for field in dataclasses.fields(cls))
            info = _ClassInfo(_type_name(cls), _DATACLASS, names)
        else:
            info = _ClassInfo(_type_name(cls), _OTHER, ())
        _CLASS_INFO[cls] = info
    return info


def register_type(tp: Any) -> Any:
    """Allow checkpoints to rebuild ``tp`` and every class reachable from it.

    Accepts a class or a typing form (``list[X]``, ``X | None``, ``Annotated``...). Enums,
    dataclasses and pydantic models are registered, and the types of their fields are walked;
    anything else (builtins, ``Any``, plain classes) is ignored. Returns ``tp`` so it can be
    used as a class decorator.
    """
    _walk(tp, set())
    return tp


def _walk(tp: Any, seen: set[int]) -> None:
    if id(tp) in seen:
        return
    seen.add(id(tp))
    args = typing.get_args(tp)
    if args or typing.get_origin(tp) is not None:
        for arg in (typing.get_origin(tp), *args):
            _walk(arg, seen)
        return
    if not isinstance(tp, type):
        return
    kind = _class_info(tp).kind
    if kind == _OTHER:
        return
    _REGISTRY[_type_name(tp)] = tp
    if kind == _MODEL:
        for field in typing.cast(type[BaseModel], tp).model_fields.values():
            _walk(field.annotation, seen)
    elif kind == _DATACLASS:
        for annotation in _dataclass_annotations(tp):
            _walk(annotation, seen)


def _dataclass_annotations(cls: type) -> list[Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable forward references: walk what is already a type
        return [field.type for field in dataclasses.fields(cls) if not isinstance(field.type, str)]
    return [hints.get(field.name) for field in dataclasses.fields(cls)]


def _lookup(name: str) -> type | None:
    """A registered class, or a loaded subclass of one (a handler taking ``Base`` accepts ``Sub``)."""
    cls = _REGISTRY.get(name)
    if cls is not None:
        return cls
    stack = list(_REGISTRY.values())
    seen: set[type] = set()
    while stack:
        candidate = stack.pop()
        if candidate in seen:
            continue
        seen.add(candidate)
        if _type_name(candidate) == name:
            _REGISTRY[name] = candidate
            return candidate
        stack.extend(candidate.__subclasses__())
    return None


# --- encoding ------------------------------------------------------------------------------


def _encode_datetime(value: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value.tzinfo, ZoneInfo):
        out["tz"] = value.tzinfo.key
    return out


# Builtin types with a fixed tag: type -> (tag, payload maker). Containers are handled inline.
_SCALARS: dict[type, tuple[str, Callable[[Any], Any]]] = {
    bytes: ("bytes", lambda v: base64.b64encode(v).decode("ascii")),
    bytearray: ("bytearray", lambda v: base64.b64encode(v).decode("ascii")),
    dt.date: ("date", dt.date.isoformat),
    dt.time: ("time", dt.time.isoformat),
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

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            if _INT_MIN <= value <= _INT_MAX:
                return value
            self.tagged = True
            return {TAG: "int", "v": str(value)}
        if kind is float:
            if math.isfinite(value):
                return value
            self.tagged = True
            return {TAG: "float", "v": repr(value)}
        if kind is dict:
            return self._dict(value)
        if kind is list:
            return self._items(value)
        if kind is tuple:
            self.tagged = True
            return {TAG: "tuple", "v": self._items(value)}
        if kind is set or kind is frozenset:
            self.tagged = True
            return {TAG: kind.__name__, "v": self._members(value)}
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            self.tagged = True
            return {TAG: scalar[0], "v": scalar[1](value)}
        if kind is dt.datetime:
            self.tagged = True
            return _encode_datetime(value)
        return self._object(value)

    def _items(self, values: Any) -> list[Any]:
        out = []
        for index, item in enumerate(values):
            try:
                out.append(self.encode(item))
            except _Failure as failure:
                failure.segments.append(f"[{index}]")
                raise
        return out

    def _members(self, values: set[Any] | frozenset[Any]) -> list[Any]:
        try:
            return [self.encode(item) for item in values]
        except _Failure as failure:
            failure.segments.append("{}")  # "in the set at ...": positions mean nothing in a set
            raise

    def _dict(self, value: dict[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str or key == TAG:
                return self._pairs(value)
            try:
                out[key] = self.encode(item)
            except _Failure as failure:
                failure.segments.append(_key_segment(key))
                raise
        return out

    def _pairs(self, value: dict[Any, Any]) -> dict[str, Any]:
        self.tagged = True
        pairs = []
        for key, item in value.items():
            try:
                pairs.append([self.encode(key), self.encode(item)])
            except _Failure as failure:
                failure.segments.append(_key_segment(key))
                raise
        return {TAG: "dict", "v": pairs}

    def _object(self, value: Any) -> dict[str, Any]:
        info = _class_info(type(value))
        if info.kind == _OTHER:
            raise _Failure(f"object of type {type(value).__name__} is not JSON-serialisable")
        if _lookup(info.name) is None:
            # Refused here, loudly, rather than saved and then refused on resume.
            raise _Failure(
                f"type {info.name} is not declared by the workflow's handlers; "
                f"register it with wftui.register_type({type(value).__qualname__})"
            )
        self.tagged = True
        if info.kind == _ENUM:
            try:
                return {TAG: info.name, "v": self.encode(value.value)}
            except _Failure as failure:
                failure.segments.append(".value")
                raise
        fields: dict[str, Any] = {TAG: info.name}
        extra = value.__pydantic_extra__ if info.kind == _MODEL else None
        for name in (*info.fields, *(extra or ())):
            try:
                if name == TAG:
                    raise _Failure(f"a field named {TAG!r} cannot be stored")
                fields[name] = self.encode(getattr(value, name))
            except _Failure as failure:
                failure.segments.append(f".{name}")
                raise
        return fields


def encode(value: Any, path: str = "value") -> Encoded:
    """Typed JSON for ``value``; ``CheckpointEncodingError`` names the path of anything unencodable."""
    encoder = _Encoder()
    try:
        json = encoder.encode(value)
    except _Failure as failure:
        raise CheckpointEncodingError(
            f"cannot encode {failure.at(path)}: {failure.reason}"
        ) from failure.__cause__
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


# --- decoding ------------------------------------------------------------------------------


def _decode_datetime(payload: str, tagged: dict[str, Any]) -> dt.datetime:
    value = dt.datetime.fromisoformat(payload)
    zone = tagged.get("tz")
    return value if zone is None else value.astimezone(ZoneInfo(zone))


def _decode_dict(payload: list[Any], _tagged: dict[str, Any]) -> dict[Any, Any]:
    out = {}
    for index, pair in enumerate(_require_list(payload)):
        try:
            key, item = pair
            out[_decode(key)] = _decode(item)
        except _Failure as failure:
            failure.segments.append(f"[{index}]")
            raise
    return out


def _decode_timedelta(payload: list[int], _tagged: dict[str, Any]) -> dt.timedelta:
    days, seconds, micros = payload
    return dt.timedelta(days=days, seconds=seconds, microseconds=micros)


def _require_list(payload: Any) -> list[Any]:
    if type(payload) is not list:
        raise _Failure(f"expected a list, found {type(payload).__name__}")
    return payload


def _items(payload: Any) -> list[Any]:
    return _decode_list(_require_list(payload))


_DECODERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "tuple": lambda v, _: tuple(_items(v)),
    "set": lambda v, _: set(_items(v)),
    "frozenset": lambda v, _: frozenset(_items(v)),
    "dict": _decode_dict,
    "int": lambda v, _: int(v),
    "float": lambda v, _: float(v),
    "bytes": lambda v, _: base64.b64decode(v, validate=True),
    "bytearray": lambda v, _: bytearray(base64.b64decode(v, validate=True)),
    "datetime": _decode_datetime,
    "date": lambda v, _: dt.date.fromisoformat(v),
    "time": lambda v, _: dt.time.fromisoformat(v),
    "timedelta": _decode_timedelta,
    "decimal": lambda v, _: Decimal(v),
    "uuid": lambda v, _: uuid.UUID(v),
    "path": lambda v, _: Path(v),
    "pureposixpath": lambda v, _: PurePosixPath(v),
    "purewindowspath": lambda v, _: PureWindowsPath(v),
}


def _decode_list(values: list[Any]) -> list[Any]:
    out = []
    for index, item in enumerate(values):
        try:
            out.append(_decode(item))
        except _Failure as failure:
            failure.segments.append(f"[{index}]")
            raise
    return out


def _decode(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        if TAG in value:
            return _decode_tagged(value)
        out = {}
        for key, item in value.items():
            try:
                out[key] = _decode(item)
            except _Failure as failure:
                failure.segments.append(_key_segment(key))
                raise
        return out
    if kind is list:
        return _decode_list(value)
    return value


def _decode_tagged(tagged: dict[str, Any]) -> Any:
    tag = tagged[TAG]
    decoder = _DECODERS.get(tag) if type(tag) is str else None
    try:
        if decoder is not None:
            return decoder(_payload(tagged), tagged)
        if type(tag) is str and ":" in tag:
            return _rebuild(tag, tagged)
    except _Failure:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as error:
        raise _Failure(f"invalid {tag} value ({error})") from error
    raise _Failure(f"unknown type tag {tag!r}")


def _payload(tagged: dict[str, Any]) -> Any:
    if "v" not in tagged:
        raise _Failure(f"tagged value {tagged[TAG]!r} has no 'v'")
    return tagged["v"]


def _rebuild(name: str, tagged: dict[str, Any]) -> Any:
    """An enum member from ``v``; a dataclass or model from the other keys (its fields)."""
    cls = _lookup(name)
    if cls is None:
        raise _UnknownType(name)
    info = _class_info(cls)
    if info.kind == _ENUM:
        try:
            return cls(_decode(_payload(tagged)))
        except _Failure as failure:
            failure.segments.append(".value")
            raise
    values = {}
    for field, item in tagged.items():
        if field == TAG:
            continue
        try:
            values[field] = _decode(item)
        except _Failure as failure:
            failure.segments.append(f".{field}")
            raise
    if info.kind == _MODEL:
        return _rebuild_model(cls, name, values)
    return _rebuild_dataclass(cls, name, info.fields, values)


def _rebuild_model(cls: type[BaseModel], name: str, values: dict[str, Any]) -> BaseModel:
    extra_allowed = cls.model_config.get("extra") == "allow"
    for field in values:
        if field not in cls.model_fields and not extra_allowed:
            raise _Failure(f"{name} has no field {field!r}")
    for field, info in cls.model_fields.items():
        if field not in values and info.is_required():
            raise _Failure(f"{name} is missing required field {field!r}")
    return cls.model_construct(**values)


def _rebuild_dataclass(
    cls: type, name: str, fields: tuple[str, ...], values: dict[str, Any]
) -> object:
    for key in values:
        if key not in fields:
            raise _Failure(f"{name} has no field {key!r}")
    obj: object = object.__new__(cls)
    for field in dataclasses.fields(cls):
        if field.name in values:
            value = values[field.name]
        elif field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            raise _Failure(f"{name} is missing field {field.name!r}")
        object.__setattr__(obj, field.name, value)
    return obj


def decode_value(json: Any, path: str = "value") -> Any:
    """The value typed JSON stands for, in fresh containers; ``CheckpointDecodingError`` if refused."""
    try:
        return _decode(json)
    except _UnknownType as failure:
        short = failure.name.rpartition(":")[2].rpartition(".")[2]
        raise CheckpointDecodingError(
            f"checkpoint names type {failure.name!r} at {failure.at(path)}, which this workflow "
            f"does not declare; register it with wftui.register_type({short})"
        ) from None
    except _Failure as failure:
        raise CheckpointDecodingError(
            f"cannot decode {failure.at(path)}: {failure.reason}"
        ) from failure.__cause__
    except RecursionError:
        raise CheckpointDecodingError(f"cannot decode {path}: nested too deeply") from None


# --- whole checkpoints ---------------------------------------------------------------------


def _str_keys(mapping: dict[Any, Any], path: str) -> dict[str, Any]:
    for key in mapping:
        if type(key) is not str:
            raise CheckpointEncodingError(f"cannot encode {path}: key {key!r} is not a string")
    return mapping


def _encode_map(
    values: dict[str, Any], path: str, ready: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Encode each value of a str-keyed mapping, reusing fragments the engine already made."""
    out = {}
    for key, value in _str_keys(values, path).items():
        if ready is not None and key in ready:
            out[key] = ready[key]
        else:
            out[key] = encode(value, path + _key_segment(key)).json
    return out


def _encode_messages(messages: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out = {}
    for source, batch in _str_keys(messages, "messages").items():
        prefix = "messages" + _key_segment(source)
        out[source] = [
            _encode_map(message, f"{prefix}[{index}]") for index, message in enumerate(batch)
        ]
    return out


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError as error:  # only reachable with a malformed skeleton (e.g. ids not str)
        raise CheckpointEncodingError(f"cannot encode checkpoint: {error}") from None


def _entries(mapping: dict[str, Any]) -> bytes:
    """A mapping with one entry per line, each entry compact."""
    if not mapping:
        return b"{}"
    lines = [b"    " + _dumps(key) + b": " + _dumps(value) for key, value in mapping.items()]
    return b"{\n" + b",\n".join(lines) + b"\n  }"


def checkpoint_to_json(checkpoint: WorkflowCheckpoint) -> bytes:
    """The file form: one field per line, one executor state (message batch...) per line.

    Reads well in an editor and a diff while staying nearly as small as compact JSON.
    """
    cp = checkpoint
    ready = cp._encoded
    fields = {
        "format_version": cp.format_version,
        "checkpoint_id": cp.checkpoint_id,
        "workflow_id": cp.workflow_id,
        "workflow_name": cp.workflow_name,
        "parent_checkpoint_id": cp.parent_checkpoint_id,
        "timestamp": cp.timestamp,
        "iteration_count": cp.iteration_count,
        "max_iterations": cp.max_iterations,
        "graph_signature": cp.graph_signature,
        "next_executor_ids": cp.next_executor_ids,
        "error": encode(cp.error, "error").json,
    }
    mappings = {
        "messages": _encode_messages(cp.messages),
        "pending_requests": {
            request_id: _encode_map(request, "pending_requests" + _key_segment(request_id))
            for request_id, request in _str_keys(cp.pending_requests, "pending_requests").items()
        },
        "fan_in_buffers": {
            target: _encode_map(buffers, "fan_in_buffers" + _key_segment(target))
            for target, buffers in _str_keys(cp.fan_in_buffers, "fan_in_buffers").items()
        },
        "shared_state": _encode_map(cp.shared_state, "shared_state", ready.get("shared_state")),
        "executor_states": _encode_map(
            cp.executor_states, "executor_states", ready.get("executor_states")
        ),
    }
    tail = {
        "metadata": encode(cp.metadata, "metadata").json,
        "graph": encode(cp.graph, "graph").json,
        "completed_writes": encode(cp.completed_writes, "completed_writes").json,
    }
    lines = [b"  " + _dumps(key) + b": " + _dumps(value) for key, value in fields.items()]
    lines += [b"  " + _dumps(key) + b": " + _entries(value) for key, value in mappings.items()]
    lines += [b"  " + _dumps(key) + b": " + _dumps(value) for key, value in tail.items()]
    return b"{\n" + b",\n".join(lines) + b"\n}\n"


def parse_checkpoint(data: bytes) -> WorkflowCheckpoint:
    """A checkpoint whose structure is validated but whose values are still typed JSON.

    Enough for listings and summaries, and never refuses a checkpoint for naming a class this
    process has not registered. ``CheckpointDecodingError`` says what is wrong with the data.
    """
    if not data or data.isspace():
        raise CheckpointDecodingError("empty file")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise CheckpointDecodingError(f"not valid JSON (truncated or corrupt): {error}") from None
    if type(document) is not dict:
        raise CheckpointDecodingError(
            f"not a checkpoint: expected a JSON object, found {type(document).__name__}"
        )
    version = document.get("format_version")
    if version is None:
        raise CheckpointDecodingError("not a wftui checkpoint: no format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise CheckpointDecodingError(
            f"checkpoint format version {version!r} is not supported (this wftui reads "
            f"version {FORMAT_VERSION})"
        )
    missing = [name for name in _REQUIRED_FIELDS if name not in document]
    if missing:
        raise CheckpointDecodingError(f"not a complete checkpoint: missing {', '.join(missing)}")
    try:
        return WorkflowCheckpoint.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CheckpointDecodingError(f"not a valid checkpoint: {where}: {first['msg']}") from None


def _decode_map(values: dict[str, Any], path: str) -> dict[str, Any]:
    return {key: decode_value(item, path + _key_segment(key)) for key, item in values.items()}


def decode_checkpoint(raw: WorkflowCheckpoint) -> WorkflowCheckpoint:
    """Decode the values of a :func:`parse_checkpoint` result.

    The raw executor and shared state fragments are kept in ``_encoded`` so the engine can save
    the next checkpoint of a resumed run without encoding unchanged state again.
    """
    decoded: dict[str, Any] = {
        "messages": {
            source: [
                _decode_map(message, f"messages{_key_segment(source)}[{index}]")
                for index, message in enumerate(batch)
            ]
            for source, batch in raw.messages.items()
        },
        "pending_requests": {
            request_id: _decode_map(request, "pending_requests" + _key_segment(request_id))
            for request_id, request in raw.pending_requests.items()
        },
        "fan_in_buffers": {
            target: _decode_map(buffers, "fan_in_buffers" + _key_segment(target))
            for target, buffers in raw.fan_in_buffers.items()
        },
        "shared_state": _decode_map(raw.shared_state, "shared_state"),
        "executor_states": _decode_map(raw.executor_states, "executor_states"),
        "error": decode_value(raw.error, "error"),
        "metadata": decode_value(raw.metadata, "metadata"),
        "graph": decode_value(raw.graph, "graph"),
        "completed_writes": decode_value(raw.completed_writes, "completed_writes"),
    }
    checkpoint = raw.model_copy(update=decoded)
    checkpoint._encoded = {
        "executor_states": dict(raw.executor_states),
        "shared_state": dict(raw.shared_state),
    }
    return checkpoint


def checkpoint_from_json(data: bytes) -> WorkflowCheckpoint:
    """Parse, validate and decode a checkpoint file's bytes."""
    return decode_checkpoint(parse_checkpoint(data))
