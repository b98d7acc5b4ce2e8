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

This module is the comparison walk; the result types live in ``diff_model`` and the value
reprs in ``diff_repr``, both re-exported here.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from wftui.checkpoint.diff_model import SECTIONS, Change, ChangeKind, CheckpointDiff, CheckpointRef
from wftui.checkpoint.diff_repr import is_long_text, is_tagged_object, typed_repr
from wftui.checkpoint.document import checkpoint_to_json
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.paths import Segment, format_path
from wftui.checkpoint.storage import CheckpointDecodingError
from wftui.checkpoint.tags import TAG

__all__ = [
    "SECTIONS",
    "Change",
    "ChangeKind",
    "CheckpointDiff",
    "CheckpointRef",
    "diff",
    "typed_repr",
]

_JSON_SCALARS = (str, int, float, bool, type(None))
# The codec tags integers outside this range, so a plain one outside it is a live value.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_VALUE_FIELDS = (*SECTIONS[1:], "error")
_DOCUMENT_KEYS = ("checkpoint_id", "workflow_id", "timestamp")


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


def _stored_document(checkpoint: WorkflowCheckpoint) -> dict[str, Any]:
    """The typed-JSON document a storage writes for a checkpoint holding live values.

    Encoded from the checkpoint's own fields (no fragments), so a checkpoint changed with
    ``model_copy(update=...)`` shows its new values.
    """
    document: dict[str, Any] = orjson.loads(checkpoint_to_json(checkpoint))
    return document


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
    if is_tagged_object(value):
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
    if type(a) is not str or type(b) is not str or not (is_long_text(a) or is_long_text(b)):
        return ()
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), fromfile="before", tofile="after", lineterm=""
    )
    return tuple(lines)
