"""The summaries a folder listing keeps between listings: compact tuples, not pydantic objects.

At 50,000 checkpoints the listing's pydantic summaries were most of the app's memory (about
1.4 KB each, their set of fields set alone 0.7 KB). The listing keeps each as a ``Compact``
tuple instead, its repeated strings (run, name, signature, executor lists) shared and its time,
run and size the very objects of its index row; ``summary_of`` makes the public
``CheckpointSummary`` when a listing returns it, as ``model_construct`` would (no second
validation), with one shared set of fields set: summaries from a listing are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson

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
_STATUS_TEXTS = frozenset(_STATUS)


def _values_template() -> dict[str, Any]:
    """An instance dict of ``CheckpointSummary`` holding every field, made the way Python
    makes attribute dicts: its copies share one table of keys and hold only their values (176
    bytes a summary, not 464: 14 MB less at a time while a listing of 50,000 is handed over)."""
    model = CheckpointSummary.__new__(CheckpointSummary)
    for field in FIELDS:
        object.__setattr__(model, field, None)
    values: dict[str, Any] = object.__getattribute__(model, "__dict__")
    return values


_new_values = _values_template().copy


def summary_of(compact: Compact) -> CheckpointSummary:
    """The public summary of a compact one (fresh lists, shared strings). The fields are named
    here, not zipped from ``FIELDS``: a listing of 50,000 makes 50,000 of these."""
    (cid, run, name, parent, ts, iteration, status, messages, next_ids, requests, signature,
     size, kind, _) = compact  # fmt: skip
    values = _new_values()
    values["checkpoint_id"] = cid
    values["workflow_id"] = run
    values["workflow_name"] = name
    values["parent_checkpoint_id"] = parent
    values["timestamp"] = ts
    values["iteration_count"] = iteration
    values["status"] = status
    values["pending_message_count"] = messages
    values["next_executor_ids"] = list(next_ids)
    values["pending_request_ids"] = list(requests)
    values["graph_signature"] = signature
    values["size_bytes"] = size
    values["execution_kind"] = kind
    return constructed(CheckpointSummary, values, _ALL_SET)


def compact_of(summary: CheckpointSummary, row: Row, shared: dict[Any, Any]) -> Compact:
    """The compact form of the summary of ``row``'s file."""
    s = summary
    return _compact(
        s.checkpoint_id, s.workflow_id, s.workflow_name, s.parent_checkpoint_id, s.timestamp,
        s.iteration_count, s.status, s.pending_message_count, tuple(s.next_executor_ids),
        tuple(s.pending_request_ids), s.graph_signature, s.size_bytes, s.execution_kind,
        row, shared,
    )  # fmt: skip


def parse_compact(line: bytes, row: Row, shared: dict[Any, Any]) -> Compact | None:
    """A summary line as a save wrote it, or None if it does not check out. A line whose
    fields all have exactly their JSON type is taken as it is (checked field by field, without
    helper calls: a cold listing reads thousands); others are validated by pydantic (which
    fills defaults, e.g. for lines an older wftui wrote)."""
    try:
        d = orjson.loads(line)
        cid, run, name, parent, ts = (
            d["checkpoint_id"], d["workflow_id"], d["workflow_name"], d["parent_checkpoint_id"],
            d["timestamp"],
        )  # fmt: skip
        iteration, status, messages, next_ids, requests = (
            d["iteration_count"], _STATUS.get(d["status"]), d["pending_message_count"],
            d["next_executor_ids"], d["pending_request_ids"],
        )  # fmt: skip
        signature, size, kind = d["graph_signature"], d["size_bytes"], d["execution_kind"]
    except (orjson.JSONDecodeError, KeyError, TypeError):  # TypeError: not an object
        return _validated(line, row, shared)
    if (
        type(cid) is not str
        or type(run) is not str
        or type(name) is not str
        or (parent is not None and type(parent) is not str)
        or type(ts) is not str
        or type(iteration) is not int
        or status is None
        or type(messages) is not int
        or type(next_ids) is not list
        or type(requests) is not list
        or type(signature) is not str
        or type(size) is not int
        or type(kind) is not str
    ):
        return _validated(line, row, shared)
    for text in next_ids:
        if type(text) is not str:
            return _validated(line, row, shared)
    for text in requests:
        if type(text) is not str:
            return _validated(line, row, shared)
    return _compact(
        cid, run, name, parent, ts, iteration, status, messages, tuple(next_ids),
        tuple(requests), signature, size, kind, row, shared,
    )  # fmt: skip


def parse_many(
    lines: list[bytes], rows: list[Row], shared: dict[Any, Any], same_id: Callable[[str], str]
) -> list[Compact | None]:
    """Summary lines of ``rows`` at once: parsed in one call and checked column by column (a
    cold listing reads thousands); line by line (``parse_compact``) if any does not check out.

    A parent id is kept as its parent's own id string where the parent is in the batch or
    known to ``same_id`` (the listing's; batches come oldest first), not as a copy: 85 bytes
    less per summary, 4 MB at 50,000."""
    columns = _exact_columns(lines)
    if columns is None:
        return [parse_compact(line, row, shared) for line, row in zip(lines, rows, strict=True)]
    share = shared.setdefault
    cids, runs, names, parents, stamps, iterations, states, messages, nexts, requests = columns[:10]
    signatures, sizes, kinds = columns[10:]
    row_runs, row_stamps = [row[cache.WF] for row in rows], [row[cache.TS] for row in rows]
    batch = dict(zip(cids, cids, strict=True))
    return list(
        zip(
            cids,
            [a if a == b else share(b, b) for a, b in zip(row_runs, runs, strict=True)],
            map(share, names, names),
            [p if p is None else batch.get(p) or same_id(p) for p in parents],
            [a if a == b else b for a, b in zip(row_stamps, stamps, strict=True)],
            iterations,
            map(_STATUS.__getitem__, states),
            messages,
            (share(ids, ids) for ids in map(tuple, nexts)),
            (share(ids, ids) for ids in map(tuple, requests)),
            map(share, signatures, signatures),
            sizes,
            map(share, kinds, kinds),
            [row[cache.CHANGED] for row in rows],
            strict=True,
        )
    )


_TEXT_FIELDS = (ID, RUN, NAME, TS, SIGNATURE, KIND)
_INT_FIELDS = (ITERATION, MESSAGES, SIZE)


def _exact_columns(lines: list[bytes]) -> list[list[Any]] | None:
    """The summaries' fields column by column if every line holds every field with exactly
    its JSON type (as a save writes them), else None."""
    try:
        documents = orjson.loads(b"[" + b",".join(lines) + b"]")
        columns = [list(map(itemgetter(field), documents)) for field in FIELDS]
    except (orjson.JSONDecodeError, KeyError, TypeError):  # TypeError: not an object
        return None
    if len(documents) != len(lines):  # a line held two values, or none
        return None
    try:
        if not set(columns[STATUS]) <= _STATUS_TEXTS:
            return None
    except TypeError:  # a list or object where the status belongs
        return None
    ok = (
        all(set(map(type, columns[field])) <= {str} for field in _TEXT_FIELDS)
        and all(set(map(type, columns[field])) <= {int} for field in _INT_FIELDS)
        and set(map(type, columns[PARENT])) <= {str, type(None)}
        and all(set(map(type, columns[field])) <= {list} for field in (NEXT, REQUESTS))
        and all(set(map(type, chain.from_iterable(columns[f]))) <= {str} for f in (NEXT, REQUESTS))
    )
    return columns if ok else None


def _validated(line: bytes, row: Row, shared: dict[Any, Any]) -> Compact | None:
    try:
        return compact_of(CheckpointSummary.model_validate_json(line), row, shared)
    except ValueError:  # pydantic's ValidationError, for bad JSON too
        return None


def _compact(
    cid: str, run: str, name: str, parent: str | None, ts: str, iteration: int,
    status: CheckpointStatus, messages: int, next_ids: tuple[str, ...],
    requests: tuple[str, ...], signature: str, size: int, kind: str,
    row: Row, shared: dict[Any, Any],
) -> Compact:  # fmt: skip
    """The compact tuple: repeated values one shared object each, and the time, run and size
    the index row's own objects where they are equal (as they should be)."""
    share = shared.setdefault
    return (
        cid,
        row[cache.WF] if run == row[cache.WF] else share(run, run),
        share(name, name),
        parent,
        row[cache.TS] if ts == row[cache.TS] else ts,
        iteration,
        status,
        messages,
        share(next_ids, next_ids),
        share(requests, requests),
        share(signature, signature),
        size if size != row[cache.SIZE] else row[cache.SIZE],
        share(kind, kind),
        row[cache.CHANGED],
    )
