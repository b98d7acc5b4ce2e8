"""Short typed reprs of stored typed-JSON values, for diff lines and the compare screen.

Apart from the comparison walk because showing a value is its own job: the tags say what a value
is, so ``{"$t": "tuple", "v": [1, 2]}`` reads as ``(1, 2)`` without decoding or registered types.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

from wftui.checkpoint.decoding import decode_value
from wftui.checkpoint.storage import CheckpointDecodingError
from wftui.checkpoint.tags import TAG

LONG_TEXT = 80  # a string longer than this (or holding a line break) gets a text diff
_SHORT_TEXT = 60  # how much of a string a one-line repr shows
_SHOWN_ITEMS = 6  # how many items of a container a one-line repr shows
_REPR_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # escaped, so a change stays on one line

_SCALAR_NAMES = {
    "decimal": "Decimal",
    "uuid": "UUID",
    "path": "Path",
    "pureposixpath": "PurePosixPath",
    "purewindowspath": "PureWindowsPath",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "int": "int",
    "float": "float",
}


def is_tagged_object(value: Any) -> bool:
    """A tagged dataclass or pydantic model: its fields sit beside the tag.

    ``{"$t": "mod:Name", "v": ...}`` alone is an enum member (or an object whose only field is
    ``v``); it compares whole, since telling the two apart needs the class.
    """
    tag = value.get(TAG)
    return type(tag) is str and ":" in tag and (len(value) > 2 or "v" not in value)


def is_long_text(text: str) -> bool:
    """Whether a string gets a text diff and a shortened repr rather than a one-line repr."""
    return len(text) > LONG_TEXT or "\n" in text


def typed_repr(value: Any, limit: int = _REPR_LIMIT) -> str:
    """A stored typed-JSON value as a short Python-like repr: ``Report(score=2, title='x')``,
    ``(1, 2)``, ``Decimal('1.10')``, ``'a long text…' (812 chars)``; cut at ``limit``."""
    text = _CONTROL.sub(lambda match: repr(match.group())[1:-1], _repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _repr(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _str_repr(value)
    if kind is list:
        return f"[{_items(value)}]"
    if kind is not dict:
        return repr(value)
    tag = value.get(TAG)
    if tag is None:
        return _dict_repr(value.items())
    payload = value.get("v")
    if tag == "tuple" and type(payload) is list:
        return f"({_items(payload)}{',' if len(payload) == 1 else ''})"
    if tag in ("set", "frozenset") and type(payload) is list:
        inner = f"{{{_items(payload)}}}" if payload else ""
        return (inner or "set()") if tag == "set" else f"frozenset({inner})"
    if tag == "dict" and type(payload) is list and all(type(p) is list for p in payload):
        return _dict_repr((pair[0], pair[1]) for pair in payload if len(pair) == 2)
    if tag in ("bytes", "bytearray") and type(payload) is str:
        return _bytes_repr(tag, payload)
    if tag == "timedelta" and type(payload) is list and len(payload) == 3:
        parts = zip(("days", "seconds", "microseconds"), payload, strict=True)
        return f"timedelta({', '.join(f'{name}={n}' for name, n in parts if n)})"
    if tag in ("datetime", "time"):
        # Stored as wall time plus a zone apart; built-in tags decode without the allow-list.
        try:
            return f"{tag}({decode_value(value).isoformat()!r})"
        except CheckpointDecodingError:
            pass
    if tag in _SCALAR_NAMES:
        return f"{_SCALAR_NAMES[tag]}({_repr(payload)})"
    if type(tag) is str and ":" in tag:
        name = tag.rpartition(":")[2]
        if not is_tagged_object(value):
            return f"{name}({_repr(payload)})"
        fields = [(key, item) for key, item in value.items() if key != TAG]
        shown = ", ".join(f"{key}={_repr(item)}" for key, item in fields[:_SHOWN_ITEMS])
        return f"{name}({shown}{', …' if len(fields) > _SHOWN_ITEMS else ''})"
    return _dict_repr(value.items())


def _str_repr(text: str) -> str:
    if not is_long_text(text):
        return repr(text)
    lines = text.count("\n") + 1
    size = f"{len(text)} chars" + (f", {lines} lines" if lines > 1 else "")
    head = repr(text[:_SHORT_TEXT])
    return f"{head[:-1]}…{head[-1]} ({size})"


def _items(values: list[Any]) -> str:
    shown = ", ".join(_repr(item) for item in values[:_SHOWN_ITEMS])
    return shown + (", …" if len(values) > _SHOWN_ITEMS else "")


def _dict_repr(items: Iterable[tuple[Any, Any]]) -> str:
    pairs = list(items)
    shown = ", ".join(f"{_repr(key)}: {_repr(item)}" for key, item in pairs[:_SHOWN_ITEMS])
    return f"{{{shown}{', …' if len(pairs) > _SHOWN_ITEMS else ''}}}"


def _bytes_repr(tag: str, payload: str) -> str:
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error:
        return f"{tag}(<invalid base64>)"
    shown = repr(data[:_SHORT_TEXT]) + ("…" if len(data) > _SHORT_TEXT else "")
    return shown if tag == "bytes" else f"bytearray({shown})"
