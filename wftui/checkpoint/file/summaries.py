"""The summaries a folder listing keeps between listings: compact tuples, not pydantic objects.

At 50,000 checkpoints the listing's pydantic summaries were most of the app's memory (about
1.4 KB each, their set of fields set alone 0.7 KB). The listing keeps each as a ``Compact``
tuple instead, its repeated strings (run, name, signature, executor lists) shared and its time,
run and size the very objects of its index row; ``summary_of`` makes the public
``CheckpointSummary`` when a listing returns it, as ``model_construct`` would (no second
validation), with one shared set of fields set: summaries from a listing are read-only.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from wftui.checkpoint.exact import constructed
from wftui.checkpoint.file import cache
from wftui.checkpoint.file.cache import Row
from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary

FIELDS = tuple(CheckpointSummary.model_fields)
# Positions in a Compact: the summary's fields in FIELDS order (its two lists as tuples), then
# the ctime of the file it was read from (with the size, what says the summary is still true).
ID, RUN, NAME, PARENT, TS, ITERATION, STATUS, MESSAGES, NEXT, REQUESTS, SIGNATURE, SIZE, KIND = (
    range(len(FIELDS))
)
CTIME = len(FIELDS)
Compact = tuple[Any, ...]

_ALL_SET = set(FIELDS)  # shared by every summary made here: read-only
_STATUS = {status.value: status for status in CheckpointStatus}
_TEXTS = (ID, RUN, NAME, TS, SIGNATURE, KIND)
_COUNTS = (ITERATION, MESSAGES, SIZE)


def summary_of(compact: Compact) -> CheckpointSummary:
    """The public summary of a compact one (fresh lists, shared strings). The fields are named
    here, not zipped from ``FIELDS``: a listing of 50,000 makes 50,000 of these."""
    (cid, run, name, parent, ts, iteration, status, messages, next_ids, requests, signature,
     size, kind, _) = compact  # fmt: skip
    values = {
        "checkpoint_id": cid,
        "workflow_id": run,
        "workflow_name": name,
        "parent_checkpoint_id": parent,
        "timestamp": ts,
        "iteration_count": iteration,
        "status": status,
        "pending_message_count": messages,
        "next_executor_ids": list(next_ids),
        "pending_request_ids": list(requests),
        "graph_signature": signature,
        "size_bytes": size,
        "execution_kind": kind,
    }
    return constructed(CheckpointSummary, values, _ALL_SET)


def compact_of(summary: CheckpointSummary, row: Row, shared: dict[Any, Any]) -> Compact:
    """The compact form of the summary of ``row``'s file."""
    values: list[Any] = [getattr(summary, name) for name in FIELDS]
    values[NEXT] = tuple(values[NEXT])
    values[REQUESTS] = tuple(values[REQUESTS])
    return _shared(values, row, shared)


def parse_compact(line: bytes, row: Row, shared: dict[Any, Any]) -> Compact | None:
    """A summary line as a save wrote it, or None if it does not check out. Lines whose
    fields all have exactly their JSON type are taken as they are; others are validated by
    pydantic (which fills defaults, e.g. for lines an older wftui wrote)."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(document) is not dict:
        return None
    values = _exact(document)
    if values is None:
        try:
            return compact_of(CheckpointSummary.model_validate(document), row, shared)
        except ValidationError:
            return None
    return _shared(values, row, shared)


def _exact(document: dict[str, Any]) -> list[Any] | None:
    try:
        values = [document[name] for name in FIELDS]
    except KeyError:
        return None
    for position in _TEXTS:
        if type(values[position]) is not str:
            return None
    for position in _COUNTS:
        if type(values[position]) is not int:
            return None
    parent = values[PARENT]
    status = _STATUS.get(values[STATUS]) if type(values[STATUS]) is str else None
    if status is None or (parent is not None and type(parent) is not str):
        return None
    values[STATUS] = status
    for position in (NEXT, REQUESTS):
        texts = values[position]
        if type(texts) is not list or set(map(type, texts)) - {str}:
            return None
        values[position] = tuple(texts)
    return values


def _shared(values: list[Any], row: Row, shared: dict[Any, Any]) -> Compact:
    """The compact tuple: repeated values replaced by one shared object each, and the time,
    run and size by the index row's own objects where they are equal (as they should be)."""
    for position in (RUN, NAME, SIGNATURE, KIND, NEXT, REQUESTS):
        values[position] = shared.setdefault(values[position], values[position])
    for position, field in ((TS, cache.TS), (RUN, cache.WF), (SIZE, cache.SIZE)):
        if values[position] == row[field]:
            values[position] = row[field]
    values.append(row[cache.CHANGED])
    return tuple(values)
