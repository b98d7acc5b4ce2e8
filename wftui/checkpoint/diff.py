"""What changed between two checkpoints, read from their stored typed-JSON documents.

Working on the stored form (never decoding) means a diff needs no pipeline and no registered
types: a checkpoint of any run, from any process, compares with any other. Values are still
shown typed, because the tags say what they are: a pydantic model or dataclass compares field by
field, a tuple position by position, a dict with str keys key by key; a long string gets a
unified text diff; anything else (sets, enums, datetimes...) compares whole and shows as a short
typed repr.

Lists compare position by position, so an appended item is one ``+`` line, while an item inserted
in front shows every later position as changed. Dict keys and object fields are visited in sorted
order, so the same two checkpoints always give the same changes in the same order.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
from pydantic import ValidationError

from wftui.checkpoint.decoding import decode_value
from wftui.checkpoint.document import checkpoint_to_json
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.paths import Segment, format_path
from wftui.checkpoint.storage import CheckpointDecodingError
from wftui.checkpoint.tags import TAG


def _stored_document(checkpoint: WorkflowCheckpoint) -> dict[str, Any]:
    """The typed-JSON document a storage writes for a checkpoint holding live values.

    Encoded from the checkpoint's own fields (no fragments), so a checkpoint changed with
    ``model_copy(update=...)`` shows its new values.
    """
    document: dict[str, Any] = orjson.loads(checkpoint_to_json(checkpoint))
    return document


LONG_TEXT = 80  # a string longer than this (or holding a line break) gets a text diff
_SHORT_TEXT = 60  # how much of a string a one-line repr shows
_SHOWN_ITEMS = 6  # how many items of a container a one-line repr shows
_REPR_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # escaped, so a change stays on one line
_JSON_SCALARS = (str, int, float, bool, type(None))
# The codec tags integers outside this range, so a plain one outside it is a live value.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1

# The parts of a checkpoint a diff walks, in the order str() and to_json() list them.
SECTIONS = (
    "checkpoint",
    "shared_state",
    "executor_states",
    "messages",
    "pending_requests",
    "fan_in_buffers",
    "completed_writes",
)
_VALUE_FIELDS = (*SECTIONS[1:], "error")
_DOCUMENT_KEYS = ("checkpoint_id", "workflow_id", "timestamp")

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


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    @property
    def symbol(self) -> str:
        """The mark a line starts with, so a change reads without colour (NO_COLOR)."""
        return {"added": "+", "removed": "-", "changed": "~"}[self.value]


@dataclass(frozen=True)
class Change:
    """One added, removed or changed value.

    ``before`` and ``after`` are the stored typed JSON (``before`` is unset for an added value,
    ``after`` for a removed one); ``text_diff`` holds unified-diff lines when both are long
    strings. ``section`` is one of :data:`SECTIONS`.
    """

    kind: ChangeKind
    section: str
    path: str
    before: Any = None
    after: Any = None
    text_diff: tuple[str, ...] = ()

    @property
    def before_text(self) -> str:
        """``before`` as a short typed repr ('' for an added value)."""
        return "" if self.kind is ChangeKind.ADDED else typed_repr(self.before)

    @property
    def after_text(self) -> str:
        """``after`` as a short typed repr ('' for a removed value)."""
        return "" if self.kind is ChangeKind.REMOVED else typed_repr(self.after)

    def line(self) -> str:
        """One line: symbol, path and the value(s), e.g. ``~ shared_state.n: 1 -> 2``."""
        head = f"{self.kind.symbol} {self.path}"
        if self.text_diff:
            return head
        if self.kind is ChangeKind.CHANGED:
            return f"{head}: {self.before_text} -> {self.after_text}"
        return f"{head}: {self.after_text or self.before_text}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "section": self.section,
            "path": self.path,
            "text_diff": list(self.text_diff),
        }
        if self.kind is not ChangeKind.ADDED:
            out["before"] = self.before
        if self.kind is not ChangeKind.REMOVED:
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class CheckpointRef:
    """Which checkpoint a side of the diff is."""

    checkpoint_id: str
    workflow_id: str
    iteration_count: int
    timestamp: str

    @property
    def short_id(self) -> str:
        return self.checkpoint_id[-8:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "workflow_id": self.workflow_id,
            "iteration_count": self.iteration_count,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class CheckpointDiff:
    """Everything that differs from checkpoint ``a`` to checkpoint ``b``."""

    a: CheckpointRef
    b: CheckpointRef
    changes: list[Change] = field(default_factory=list)

    @property
    def same_run(self) -> bool:
        return self.a.workflow_id == self.b.workflow_id

    def header(self) -> str:
        a, b = self.a, self.b
        text = (
            f"checkpoint {a.short_id} (superstep {a.iteration_count}) -> "
            f"{b.short_id} (superstep {b.iteration_count})"
        )
        if self.same_run:
            return f"{text}, run {a.workflow_id[-8:]}"
        return f"{text}, different runs: {a.workflow_id[-8:]} -> {b.workflow_id[-8:]}"

    def __str__(self) -> str:
        if not self.changes:
            return f"{self.header()}\nno changes: both hold the same state"
        count = len(self.changes)
        lines = [self.header(), f"{count} change{'' if count == 1 else 's'}"]
        section = None
        for change in self.changes:
            if change.section != section:
                section = change.section
                lines.append(section)
            lines.append("  " + change.line())
            lines.extend("      " + text for text in change.text_diff)
        return "\n".join(lines)

    def to_json(self) -> str:
        """Stable JSON for scripts: the same two checkpoints always give the same text.

        ``{"a": ref, "b": ref, "same_run": bool, "changes": [change...]}`` with object keys
        sorted; a ref is ``{"checkpoint_id", "iteration_count", "timestamp", "workflow_id"}``;
        a change is ``{"kind": "added"|"removed"|"changed", "path", "section", "text_diff":
        [lines], "before", "after"}`` (typed JSON; no ``before`` when added, no ``after`` when
        removed), listed by section in :data:`SECTIONS` order, then in path order.
        """
        document = {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "same_run": self.same_run,
            "changes": [change.to_dict() for change in self.changes],
        }
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()


def diff(
    a: WorkflowCheckpoint | Mapping[str, Any], b: WorkflowCheckpoint | Mapping[str, Any]
) -> CheckpointDiff:
    """What changed from ``a`` to ``b``.

    Each side is a checkpoint with live values (as loaded), one whose values are still typed
    JSON (as ``parse_checkpoint`` returns), or a stored document (a checkpoint file parsed as
    JSON); all three give the same diff.
    """
    before, after = _stored(a), _stored(b)
    changes: list[Change] = []
    for section in SECTIONS:
        changes.extend(_section_changes(section, before, after))
    return CheckpointDiff(_ref(before), _ref(after), changes)


# --- the two sides in stored form ----------------------------------------------------------


def _stored(side: WorkflowCheckpoint | Mapping[str, Any]) -> WorkflowCheckpoint:
    """A checkpoint whose values are the stored typed JSON."""
    if isinstance(side, WorkflowCheckpoint):
        if all(_plain_json(getattr(side, name)) for name in _VALUE_FIELDS):
            # Plain JSON is either already stored form or encodes to itself; the one reading
            # this gets wrong is a live dict holding the key "$t", which would be taken as a tag.
            return side
        side = _stored_document(side)
    if not isinstance(side, Mapping):
        raise TypeError(f"diff compares checkpoints, not {type(side).__name__}")
    # The model now has defaults for everything (agent-framework builds it bare), so a document
    # is recognised by the fields every stored checkpoint writes.
    missing = next((key for key in _DOCUMENT_KEYS if key not in side), None)
    if missing is not None:
        raise CheckpointDecodingError(f"not a checkpoint document: {missing}: Field required")
    try:
        return WorkflowCheckpoint.model_validate(dict(side))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CheckpointDecodingError(
            f"not a checkpoint document: {where}: {first['msg']}"
        ) from None


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only what JSON itself can hold (no tuples, no objects...)."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _plain_json(item) for key, item in value.items())
    if kind is list:
        return all(_plain_json(item) for item in value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    return kind in _JSON_SCALARS


def _ref(checkpoint: WorkflowCheckpoint) -> CheckpointRef:
    return CheckpointRef(
        checkpoint.checkpoint_id,
        checkpoint.workflow_id,
        checkpoint.iteration_count,
        checkpoint.timestamp,
    )


# --- walking the two documents -------------------------------------------------------------


def _section_changes(
    section: str, a: WorkflowCheckpoint, b: WorkflowCheckpoint
) -> Iterator[Change]:
    if section != "checkpoint":
        yield from _walk(section, [section], getattr(a, section), getattr(b, section))
        return
    fields: list[tuple[str, Any, Any]] = [
        ("iteration_count", a.iteration_count, b.iteration_count),
        ("status", a.status.value, b.status.value),
        ("next_executor_ids", a.next_executor_ids, b.next_executor_ids),
    ]
    for name, before, after in fields:
        if not _same(before, after):
            yield Change(ChangeKind.CHANGED, section, name, before, after)
    # No error is an absent error, so a failure reads as added rather than changed from None.
    if a.error is None and b.error is not None:
        yield Change(ChangeKind.ADDED, section, "error", after=b.error)
    elif a.error is not None and b.error is None:
        yield Change(ChangeKind.REMOVED, section, "error", before=a.error)
    else:
        yield from _walk(section, ["error"], a.error, b.error)


def _walk(section: str, path: list[Segment], a: Any, b: Any) -> Iterator[Change]:
    if _same(a, b):
        return
    mapping_a, mapping_b = _mapping(a), _mapping(b)
    if mapping_a is not None and mapping_b is not None and _tag(a) == _tag(b):
        for key in sorted(mapping_a.keys() | mapping_b.keys()):
            if key not in mapping_b:
                yield Change(ChangeKind.REMOVED, section, format_path([*path, key]), mapping_a[key])
            elif key not in mapping_a:
                yield Change(
                    ChangeKind.ADDED, section, format_path([*path, key]), after=mapping_b[key]
                )
            else:
                yield from _walk(section, [*path, key], mapping_a[key], mapping_b[key])
        return
    items_a, items_b = _sequence(a), _sequence(b)
    if items_a is not None and items_b is not None and _tag(a) == _tag(b):
        for index in range(max(len(items_a), len(items_b))):
            where = [*path, index]
            if index >= len(items_b):
                yield Change(ChangeKind.REMOVED, section, format_path(where), items_a[index])
            elif index >= len(items_a):
                yield Change(ChangeKind.ADDED, section, format_path(where), after=items_b[index])
            else:
                yield from _walk(section, where, items_a[index], items_b[index])
        return
    yield Change(ChangeKind.CHANGED, section, format_path(path), a, b, _text_diff(a, b))


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON, where ``1``, ``1.0`` and ``true`` differ (Python's ``==`` says they match)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _tag(value: Any) -> Any:
    """A tagged value's tag; None for plain JSON (a dict, a list) and for a tagged str-key dict,
    which compares with a plain dict key by key."""
    if type(value) is not dict or TAG not in value or value[TAG] == "dict":
        return None
    return value[TAG]


def _is_object(value: Any) -> bool:
    """A tagged dataclass or pydantic model: its fields sit beside the tag.

    ``{"$t": "mod:Name", "v": ...}`` alone is an enum member (or an object whose only field is
    ``v``); it compares whole, since telling the two apart needs the class.
    """
    tag = value.get(TAG)
    return type(tag) is str and ":" in tag and (len(value) > 2 or "v" not in value)


def _mapping(value: Any) -> dict[str, Any] | None:
    """What a value compares key by key: a plain dict, a tagged str-key dict, an object's fields."""
    if type(value) is not dict:
        return None
    if TAG not in value:
        return value
    if value[TAG] == "dict":
        pairs = value.get("v")
        if type(pairs) is list and all(_str_pair(pair) for pair in pairs):
            return {pair[0]: pair[1] for pair in pairs}
        return None
    if _is_object(value):
        return {name: item for name, item in value.items() if name != TAG}
    return None


def _str_pair(pair: Any) -> bool:
    return type(pair) is list and len(pair) == 2 and type(pair[0]) is str


def _sequence(value: Any) -> list[Any] | None:
    """What a value compares position by position: a list, or a tagged tuple's items."""
    if type(value) is list:
        return value
    if type(value) is dict and value.get(TAG) == "tuple" and type(value.get("v")) is list:
        items: list[Any] = value["v"]
        return items
    return None


def _text_diff(a: Any, b: Any) -> tuple[str, ...]:
    if type(a) is not str or type(b) is not str or not (_long(a) or _long(b)):
        return ()
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), fromfile="before", tofile="after", lineterm=""
    )
    return tuple(lines)


def _long(text: str) -> bool:
    return len(text) > LONG_TEXT or "\n" in text


# --- short typed reprs ---------------------------------------------------------------------


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
        if not _is_object(value):
            return f"{name}({_repr(payload)})"
        fields = [(key, item) for key, item in value.items() if key != TAG]
        shown = ", ".join(f"{key}={_repr(item)}" for key, item in fields[:_SHOWN_ITEMS])
        return f"{name}({shown}{', …' if len(fields) > _SHOWN_ITEMS else ''})"
    return _dict_repr(value.items())


def _str_repr(text: str) -> str:
    if not _long(text):
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
