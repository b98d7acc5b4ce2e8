"""The checkpoint document: a whole checkpoint as bytes and back.

One field per line, one executor state (message batch, request...) per line: reads well in an
editor and a diff while staying nearly as small as compact JSON. Reading is in two steps so
listings stay cheap: :func:`parse_checkpoint` validates the structure and what listings, ordering
and pruning rely on (id, run, time, counters), leaving values as typed JSON, and
:func:`decode_checkpoint` rebuilds the values.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from wftui.checkpoint.errors import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    InvalidCheckpointIdError,
)
from wftui.checkpoint.exact import exact_checkpoint
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import FORMAT_VERSION, WorkflowCheckpoint
from wftui.checkpoint.references import DocumentSource, resolve
from wftui.checkpoint.tags import TAG
from wftui.checkpoint.values import decode_value, encode, key_segment, needs_decoding

_REQUIRED_FIELDS = ("checkpoint_id", "workflow_id", "timestamp", "iteration_count")
_STATE_SECTIONS = ("executor_states", "shared_state")


def timestamp_problem(timestamp: object) -> str | None:
    """Why a timestamp cannot order checkpoints (None when it can): ISO-8601, in UTC."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"timestamp {timestamp!r} is not an ISO-8601 time"
    offset = moment.utcoffset()
    if offset is not None and offset:
        return f"timestamp {timestamp!r} is not in UTC"
    return None


# --- writing -------------------------------------------------------------------------------


def text_problem(text: object) -> str | None:
    """Why ``text`` cannot be a key or plain field of the document (None when it can); the
    engine can ask at ``set_shared_state`` time."""
    if type(text) is not str:
        return "is not a string"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone surrogate, which UTF-8 cannot store"
    return None


def _path(section: str, where: tuple[str | int, ...]) -> str:
    return section + "".join(map(key_segment, where))


def _str_keys(mapping: dict[Any, Any], section: str, *where: str | int) -> dict[str, Any]:
    """The mapping, if every key can be a JSON object key of the document."""
    for key in mapping:
        if type(key) is not str or not key.isascii():  # else plainly fine: no call per key
            _check_key(key, section, *where)
    return mapping


def _check_key(key: object, section: str, *where: str | int) -> None:
    problem = text_problem(key)
    if problem is not None:
        raise CheckpointEncodingError(
            f"cannot encode {_path(section, where)}: key {key!r} {problem}"
        )


def _check_skeleton(cp: WorkflowCheckpoint) -> None:
    """The plain fields the document writes as they are: say which one cannot be written."""
    parent = cp.parent_checkpoint_id
    plain = True  # a save's texts are plain ASCII: this runs at every save, without a call
    for text in (cp.workflow_id, cp.workflow_name, cp.graph_signature, cp.version):
        plain = plain and type(text) is str and text.isascii()
    for text in cp.next_executor_ids:
        plain = plain and type(text) is str and text.isascii()
    if parent is not None:
        plain = plain and type(parent) is str and parent.isascii()
    if not plain:  # then name the field
        texts = {
            "workflow_id": cp.workflow_id,
            "workflow_name": cp.workflow_name,
            "graph_signature": cp.graph_signature,
            "version": cp.version,
            **{f"next_executor_ids[{i}]": eid for i, eid in enumerate(cp.next_executor_ids)},
        }
        if parent is not None:
            texts["parent_checkpoint_id"] = parent
        for name, text in texts.items():
            problem = text_problem(text)
            if problem is not None:
                raise CheckpointEncodingError(f"cannot encode {name}: {text!r} {problem}")
    problem = timestamp_problem(cp.timestamp)
    if problem is not None:
        raise CheckpointEncodingError(f"cannot encode checkpoint {cp.checkpoint_id}: {problem}")


def _encoded(value: Any, section: str, *where: str | int) -> Any:
    """``value``'s typed JSON. Its path is built only when it cannot be encoded: most of what a
    save encodes is small, and formatting paths up front cost more than encoding."""
    if value is None or (type(value) is dict and not value):  # most checkpoints' error, graph...
        return value
    try:
        return encode(value).json
    except CheckpointEncodingError:
        return encode(value, _path(section, where)).json  # fails again, naming the path


def _encode_map(values: dict[str, Any], section: str, *where: str | int) -> dict[str, Any]:
    """Encode each value of a str-keyed mapping: in one pass (as a message's fields), or key by
    key when a key is the tag (which ``encode`` would turn the whole mapping into a pair list
    for)."""
    try:  # one pass first: its keys are checked by ``encode`` itself when none is odd
        json = encode(values).json
    except CheckpointEncodingError:
        json = None  # said below, the keys first
    if type(json) is dict and TAG not in json:
        return json
    if TAG not in _str_keys(values, section, *where):
        encoded: dict[str, Any] = _encoded(values, section, *where)
        return encoded
    return {key: _encoded(value, section, *where, key) for key, value in values.items()}


def _encode_whole(values: dict[str, Any], section: str, ready: dict[str, Any]) -> Any:
    """A mapping encoded whole (as ``encode`` does: odd keys make it a tagged dict), from the
    fragments of its entries when there is one for each and every key is plain."""
    if len(ready) == len(values) and all(
        type(key) is str and key != TAG and key.isascii() for key in values
    ):
        return {key: ready[key] for key in values}
    return _encoded(values, section)


def _encode_messages(messages: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        source: [
            _encode_map(message, "messages", source, index) for index, message in enumerate(batch)
        ]
        for source, batch in _str_keys(messages, "messages").items()
    }


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError as error:  # only reachable with a malformed skeleton (e.g. ids not str)
        raise CheckpointEncodingError(f"cannot encode checkpoint: {error}") from None


_KEPT_LINE_BYTES = 4096  # longer lines are not kept between saves: memory for little time


def _entries(mapping: dict[str, Any]) -> bytes:
    """A mapping with one entry per line, each entry compact."""
    if not mapping:  # most sections of most checkpoints
        return b"{}"
    return _lines([b"    " + _dumps(key) + b": " + _dumps(value) for key, value in mapping.items()])


def _map_entries(mapping: dict[str, dict[str, Any]], section: str) -> bytes:
    """A section of str-keyed mappings (requests, fan-in buffers), one per line."""
    if not mapping:
        return b"{}"
    return _entries(
        {
            key: _encode_map(values, section, key)
            for key, values in _str_keys(mapping, section).items()
        }
    )


def _lines(lines: list[bytes]) -> bytes:
    return b"{\n" + b",\n".join(lines) + b"\n  }" if lines else b"{}"


def _state_entries(values: dict[str, Any], section: str, encoded: EncodedFragments | None) -> bytes:
    """A state section, one entry per line, in one pass: a value's fragment is reused when it
    still encodes that very object, and with ``encoded.kept`` so is the line written for that
    fragment at an earlier save (its key was checked then). A run's checkpoints mostly hold
    what the one before held, so this is most of a save at a hundred executors."""
    if not values:
        return b"{}"
    fragments: Mapping[str, tuple[Any, Any]] = getattr(encoded, section) if encoded else {}
    kept = encoded.kept if encoded else None
    lines = []
    for key, value in values.items():
        pair = fragments.get(key)
        form = pair[1] if pair is not None and pair[0] is value else _NONE
        if kept is not None and form is not _NONE:
            line = kept.get((section, key))
            if line is not None and line[0] is form:
                lines.append(line[1])
                continue
        _check_key(key, section)
        if form is _NONE:
            form = _encoded(value, section, key)
        text = b"    " + _dumps(key) + b": " + _dumps(form)
        if kept is not None and len(text) <= _KEPT_LINE_BYTES:
            kept[(section, key)] = (form, text)
        lines.append(text)
    return _lines(lines)


_NONE = object()  # no fragment for a value


def _graph(graph: dict[str, Any] | None, encoded: EncodedFragments | None) -> Any:
    """The graph section's typed JSON: its fragment's, while that is still of this value."""
    fragment = encoded.graph if encoded else None
    if fragment is not None and fragment[0] is graph:
        return fragment[1]
    return _encoded(graph, "graph")


def _field(name: str) -> bytes:
    return b"  " + orjson.dumps(name) + b": "


# Each top-level field's line start, made once: a document is mostly these short lines.
_F = {name: _field(name) for name in WorkflowCheckpoint.model_fields}


def checkpoint_to_json(
    checkpoint: WorkflowCheckpoint, encoded: EncodedFragments | None = None
) -> bytes:
    """The document's bytes; ``encoded`` fragments are reused where they still match."""
    cp = checkpoint
    validate_checkpoint_id(cp.checkpoint_id)
    _check_skeleton(cp)
    try:  # the plain fields in one call: indented JSON puts each on its own line, as below
        head = orjson.dumps(
            {
                "format_version": cp.format_version,
                "version": cp.version,
                "checkpoint_id": cp.checkpoint_id,
                "workflow_id": cp.workflow_id,
                "workflow_name": cp.workflow_name,
                "parent_checkpoint_id": cp.parent_checkpoint_id,
                "timestamp": cp.timestamp,
                "iteration_count": cp.iteration_count,
                "max_iterations": cp.max_iterations,
                "graph_signature": cp.graph_signature,
            },
            option=orjson.OPT_INDENT_2,
        )
        lines = [head[2:-2], _F["next_executor_ids"] + orjson.dumps(cp.next_executor_ids)]
    except TypeError as error:  # only reachable with a malformed skeleton (e.g. counts not int)
        raise CheckpointEncodingError(f"cannot encode checkpoint: {error}") from None
    lines += [
        _F["error"] + _dumps(_encoded(cp.error, "error")),
        _F["messages"] + _entries(_encode_messages(cp.messages)),
        _F["pending_requests"] + _map_entries(cp.pending_requests, "pending_requests"),
        _F["fan_in_buffers"] + _map_entries(cp.fan_in_buffers, "fan_in_buffers"),
        _F["shared_state"] + _state_entries(cp.shared_state, "shared_state", encoded),
        _F["executor_states"] + _state_entries(cp.executor_states, "executor_states", encoded),
    ]
    metadata = encoded.reusable("metadata", cp.metadata) if encoded else {}
    lines += [
        _F["metadata"] + _dumps(_encode_whole(cp.metadata, "metadata", metadata)),
        _F["graph"] + _dumps(_graph(cp.graph, encoded)),
        _F["completed_writes"] + _dumps(_encoded(cp.completed_writes, "completed_writes")),
    ]
    return b"{\n" + b",\n".join(lines) + b"\n}\n"


# --- reading -------------------------------------------------------------------------------


def parse_checkpoint(data: bytes) -> WorkflowCheckpoint:
    """A checkpoint whose structure is validated but whose values are still typed JSON.

    Enough for listings and summaries, and never refuses a checkpoint for naming a class this
    process has not registered. ``CheckpointDecodingError`` says what is wrong with the data.
    """
    raw, plain = _parse(data)
    if plain:
        _plain[id(raw)] = raw
    return raw


def _parse(data: bytes) -> tuple[WorkflowCheckpoint, bool]:
    """``parse_checkpoint``'s work, and whether the document holds no type tag at all."""
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
    raw = exact_checkpoint(document) or _validated(document)
    try:
        validate_checkpoint_id(raw.checkpoint_id)
    except InvalidCheckpointIdError as error:
        raise CheckpointDecodingError(f"not a valid checkpoint: {error}") from None
    problem = timestamp_problem(raw.timestamp)
    if problem is not None:
        raise CheckpointDecodingError(f"not a valid checkpoint: {problem}")
    return raw, _untagged(data)


def _validated(document: dict[str, Any]) -> WorkflowCheckpoint:
    """A document that is not exactly typed: validated (and coerced) by pydantic."""
    missing = [name for name in _REQUIRED_FIELDS if name not in document]
    if missing:
        raise CheckpointDecodingError(f"not a complete checkpoint: missing {', '.join(missing)}")
    try:
        return WorkflowCheckpoint.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CheckpointDecodingError(f"not a valid checkpoint: {where}: {first['msg']}") from None


def _untagged(data: bytes) -> bool:
    """No type tag in the document, not even an escaped one. One-byte searches (``memchr``)
    first: most documents hold no ``$`` or no backslash at all. ``find``, not ``in``: ``x in
    data`` first tries ``x`` as a byte value, raising and clearing a TypeError each time."""
    return (data.find(b"$") < 0 or data.find(_TAG_BYTES) < 0) and (
        data.find(b"\\") < 0 or data.find(b"\\u") < 0
    )


# Parsed checkpoints whose document holds no type tag at all: their values are already what they
# stand for, so decoding them costs nothing (listings decode thousands).
_plain: weakref.WeakValueDictionary[int, WorkflowCheckpoint] = weakref.WeakValueDictionary()
_TAG_BYTES = orjson.dumps(TAG)


def _decoded(value: Any, section: str, *where: str | int) -> Any:
    """A parsed value decoded. Plain JSON (no type tag) is its own value and is kept as parsed:
    nothing but the checkpoint holds it. The path is built only for values decoded."""
    try:
        plain = not needs_decoding(value)
    except RecursionError:  # decode_value says so, with the path
        plain = False
    if plain:
        return value
    return decode_value(value, section + "".join(map(key_segment, where)))


def _decode_map(values: dict[str, Any], section: str, *where: str | int) -> dict[str, Any]:
    return {key: _decoded(item, section, *where, key) for key, item in values.items()}


def decode_checkpoint(
    raw: WorkflowCheckpoint, documents: DocumentSource | None = None
) -> WorkflowCheckpoint:
    """Decode the values of a :func:`parse_checkpoint` result; references to other checkpoints
    of its run are read from ``documents`` (its store's)."""
    if _plain.get(id(raw)) is raw:
        return raw  # no tag at all, so no reference either: its values are what they stand for
    return _decode_resolved(resolve(raw, documents, parse_checkpoint)[0])


def _decode_resolved(raw: WorkflowCheckpoint) -> WorkflowCheckpoint:
    decoded: dict[str, Any] = {
        "messages": {
            source: [
                _decode_map(message, "messages", source, index)
                for index, message in enumerate(batch)
            ]
            for source, batch in raw.messages.items()
        },
        "pending_requests": {
            request_id: _decode_map(request, "pending_requests", request_id)
            for request_id, request in raw.pending_requests.items()
        },
        "fan_in_buffers": {
            target: _decode_map(buffers, "fan_in_buffers", target)
            for target, buffers in raw.fan_in_buffers.items()
        },
        "shared_state": _decode_map(raw.shared_state, "shared_state"),
        "executor_states": _decode_map(raw.executor_states, "executor_states"),
        "error": _decoded(raw.error, "error"),
        "metadata": _decoded(raw.metadata, "metadata"),
        "graph": _decoded(raw.graph, "graph"),
        "completed_writes": _decoded(raw.completed_writes, "completed_writes"),
    }
    return raw.model_copy(update=decoded)


def decode_with_fragments(
    raw: WorkflowCheckpoint, documents: DocumentSource | None = None
) -> LoadedCheckpoint:
    """Decode, keeping each state value's stored typed JSON tied to the object it became, and
    where each value's stored form lives."""
    whole, holders = resolve(raw, documents, parse_checkpoint)
    checkpoint = _decode_resolved(whole)
    sections = {
        section: {
            key: (value, getattr(whole, section)[key])
            for key, value in getattr(checkpoint, section).items()
        }
        for section in _STATE_SECTIONS
    }
    return LoadedCheckpoint(
        checkpoint,
        EncodedFragments(
            executor_states=sections["executor_states"],
            shared_state=sections["shared_state"],
            holders=holders,
        ),
    )


def checkpoint_from_json(
    data: bytes, documents: DocumentSource | None = None
) -> WorkflowCheckpoint:
    """Parse, validate and decode a checkpoint document's bytes (what bulk loads call: a
    document without tags is returned as parsed, with no registry of plain ones to keep)."""
    raw, plain = _parse(data)
    return raw if plain else decode_checkpoint(raw, documents)
