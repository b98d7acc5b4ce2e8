"""Forking a checkpoint: its state with typed edits, saved as a new child; the original stays.

A fork is built from the restored run state (so every record is validated as a resume would)
and saved through the same path as a superstep's checkpoint, so it encodes under the same
rules. Every edit is checked before anything is written: a value keeps its type (a JSON
object given for a pydantic model or a dataclass is validated into it, field by field), an
executor state stays a dict, and a pending message still has a handler at its target. The
first problem raises one ``ForkError`` naming the value's path (``wftui.checkpoint.paths``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.paths import PathError, Segment, format_path, parse_path
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.edges import Router, RoutingError
from wftui.engine.errors import WorkflowRunError
from wftui.engine.execution import ExecutionInfo, ExecutionKind
from wftui.engine.executor import Executor
from wftui.engine.records import Message, PendingRequest
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState, StoredValue
from wftui.engine.typing_utils import type_name

EDITABLE = ("shared_state", "executor_states", "messages", "pending_requests")
_PLAIN = (str, int, float, bool, dict, list)


class ForkError(WorkflowRunError):
    """An edit that cannot be saved; one line naming the value's path and the reason."""


class Forks:
    """Writes forks of one workflow's checkpoints."""

    def __init__(
        self, snapshots: Snapshots, router: Router, executors: Mapping[str, Executor]
    ) -> None:
        self._snapshots = snapshots
        self._router = router
        self._executors = executors

    async def fork(
        self,
        checkpoint_id: str,
        storage: CheckpointStorage,
        *,
        replacements: Mapping[str, Mapping[str, Any] | None],
        edits: Mapping[str, Any] | None,
        note: str | None,
        execution: ExecutionInfo,
    ) -> str:
        state = await self._snapshots.restore(checkpoint_id, storage, resuming=False)
        edited = self.apply(state, replacements, edits or {})
        state.metadata = {
            "execution": execution.as_kind(ExecutionKind.FORK).as_metadata(),
            "forked_from": checkpoint_id,
            "note": note,
            "edited": edited,
        }
        saved = await self._snapshots.save(state, storage)
        return saved.checkpoint_id

    def apply(
        self,
        state: RunState,
        replacements: Mapping[str, Mapping[str, Any] | None],
        edits: Mapping[str, Any],
    ) -> list[str]:
        """Change ``state`` in place as asked; returns the edited paths. Raises ``ForkError``."""
        sections = _Sections(state)
        changes: list[tuple[list[Segment], Any]] = [
            ([section, key], value)
            for section in EDITABLE
            for key, value in (replacements.get(section) or {}).items()
        ]
        for text, value in edits.items():
            try:
                path = parse_path(text)
            except PathError as error:
                raise ForkError(str(error)) from None
            changes.append((path, value))
        for path, value in changes:
            sections.set(path, value)
        sections.store(state)
        self._check_handlers(state, sections.touched["messages"])
        state.routed = None
        return [format_path(path) for path, _ in changes]

    def _check_handlers(self, state: RunState, sources: set[str]) -> None:
        """Each edited pending message must still reach an executor with a handler for it."""
        positions: dict[str, int] = {}
        for message in state.pending:
            index = positions.get(message.source_id, 0)
            positions[message.source_id] = index + 1
            if message.source_id not in sources:
                continue
            where = format_path(["messages", message.source_id, index, "data"])
            try:
                routed = self._router.route([message], {})
            except RoutingError as error:
                raise ForkError(f"{where}: {error}") from None
            if not routed.deliveries and not routed.fan_in_buffers:
                kind = type_name(type(message.data))
                problem = (
                    f"{message.target_id} has no handler for {kind}"
                    if message.target_id
                    else f"no executor after {message.source_id} has a handler for {kind}"
                )
                raise ForkError(f"{where}: {problem}")


class _Sections:
    """The editable sections as plain containers, written back to the run state at the end."""

    def __init__(self, state: RunState) -> None:
        messages: dict[str, list[dict[str, Any]]] = {}
        for message in state.pending:
            messages.setdefault(message.source_id, []).append(message.as_checkpoint_entry())
        self.values: dict[str, dict[str, Any]] = {
            "shared_state": {key: stored.read() for key, stored in state.shared_state.items()},
            "executor_states": {
                key: stored.read() for key, stored in state.executor_states.items()
            },
            "messages": messages,
            "pending_requests": {
                key: request.as_record() for key, request in state.pending_requests.items()
            },
        }
        self.touched: dict[str, set[str]] = {section: set() for section in EDITABLE}

    def set(self, path: Sequence[Segment], value: Any) -> None:
        section, key = path[0], path[1] if len(path) > 1 else None
        if section not in EDITABLE or not isinstance(key, str):
            raise ForkError(
                f"{format_path(path)}: a fork edits values under "
                f"{', '.join(EDITABLE)} (as in shared_state.KEY)"
            )
        values = self.values[section]
        if key in values:
            values[key] = set_at(values[key], path[2:], value, list(path[:2]))
        elif len(path) == 2:
            values[key] = value
        else:
            raise ForkError(f"{format_path(path[:2])}: no such value to edit inside")
        self.touched[section].add(key)

    def store(self, state: RunState) -> None:
        """Encode and validate what changed, then write it into ``state``."""
        values = self.values
        for key in self.touched["shared_state"]:
            state.shared_state[key] = _stored(values["shared_state"][key], ["shared_state", key])
        for key in self.touched["executor_states"]:
            value = values["executor_states"][key]
            if not isinstance(value, dict):
                raise ForkError(
                    f"{format_path(['executor_states', key])}: an executor state must be a dict, "
                    f"not {type(value).__name__}"
                )
            state.executor_states[key] = _stored(value, ["executor_states", key])
        if self.touched["messages"]:
            state.pending = [
                _message(source, index, entry)
                for source, batch in values["messages"].items()
                for index, entry in enumerate(_batch(source, batch))
            ]
        for key in self.touched["pending_requests"]:
            place = format_path(["pending_requests", key])
            try:
                request = PendingRequest.from_record(values["pending_requests"][key], place)
            except CheckpointError as error:
                raise ForkError(str(error)) from None
            if request.request_id != key:
                raise ForkError(f"{place}.request_id: {request.request_id!r} differs from its key")
            _stored(request.data, ["pending_requests", key, "data"])
            state.pending_requests[key] = request


def _stored(value: Any, path: list[Segment]) -> StoredValue:
    try:
        return StoredValue.of(value, format_path(path))
    except CheckpointError as error:
        raise ForkError(str(error)) from None


def _batch(source: str, batch: Any) -> list[Any]:
    if not isinstance(batch, list):
        raise ForkError(f"{format_path(['messages', source])}: expected a list of messages")
    return batch


def _message(source: str, index: int, entry: Any) -> Message:
    """A pending message from its checkpoint entry (a dict with ``data``) or a ``Message``."""
    where = format_path(["messages", source, index])
    if isinstance(entry, Message):
        entry = entry.as_checkpoint_entry()
    if not isinstance(entry, dict) or "data" not in entry:
        raise ForkError(f"{where}: a message is {{'data': ..., 'target_id': ...}}")
    try:
        message = Message.from_checkpoint_entry({"source_id": source, **entry}, where)
    except CheckpointError as error:
        raise ForkError(str(error)) from None
    _stored(message.data, ["messages", source, index, "data"])
    return message


def set_at(value: Any, segments: Sequence[Segment], new: Any, done: list[Segment]) -> Any:
    """``value`` with the value at ``segments`` replaced by ``new``, typed as the old one was.

    Containers are copied, models and dataclasses rebuilt, so the loaded value is never
    changed in place. ``done`` is the path down to ``value``, for error messages.
    """
    if not segments:
        return fit(value, new, done)
    head, rest = segments[0], segments[1:]
    here = [*done, head]
    if isinstance(value, BaseModel):
        name = _field(head, type(value).model_fields, here)
        fields = dict(value)
        # The model validates its own field (so its constraints apply); deeper, we rebuild.
        fields[name] = set_at(fields[name], rest, new, here) if rest else new
        try:
            return type(value).model_validate(fields)
        except ValidationError as error:
            raise ForkError(_validation_problem(error, done)) from None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = {item.name for item in dataclasses.fields(value)}
        name = _field(head, names, here)
        return dataclasses.replace(value, **{name: set_at(getattr(value, name), rest, new, here)})
    if isinstance(value, dict):
        if head in value:
            return {**value, head: set_at(value[head], rest, new, here)}
        if rest:
            raise ForkError(f"{format_path(here)}: no such key")
        return {**value, head: new}
    if isinstance(value, list | tuple) and isinstance(head, int):
        items = list(value)
        if head < len(items):
            items[head] = set_at(items[head], rest, new, here)
        elif head == len(items) and not rest:
            items.append(new)
        else:
            raise ForkError(f"{format_path(here)}: no such position (length {len(items)})")
        return items if isinstance(value, list) else type(value)(items)
    raise ForkError(f"{format_path(here)}: a {type(value).__name__} has no {head!r} inside")


def _field(head: Segment, names: Any, here: list[Segment]) -> str:
    if not isinstance(head, str) or head not in names:
        raise ForkError(f"{format_path(here)}: no such field")
    return head


def fit(old: Any, new: Any, path: list[Segment]) -> Any:
    """``new`` as the type ``old`` had: a JSON object for a model or a dataclass is validated
    into it; a JSON scalar must match a scalar (an int may stand for a float)."""
    if old is None or new is None or type(old) is type(new):
        return new
    if type(old) is float and type(new) is int:
        return float(new)
    where = format_path(path)
    if isinstance(old, _PLAIN):
        raise ForkError(f"{where}: expected {type(old).__name__}, got {type(new).__name__} {new!r}")
    if type(old) is tuple and isinstance(new, list):
        return tuple(new)
    try:
        return TypeAdapter(type(old)).validate_python(new)
    except ValidationError as error:
        raise ForkError(_validation_problem(error, path)) from None
    except Exception:  # a type pydantic cannot build a validator for
        raise ForkError(
            f"{where}: expected {type_name(type(old))}, got {type(new).__name__}"
        ) from None


def _validation_problem(error: ValidationError, path: list[Segment]) -> str:
    """pydantic's first complaint as ``path.to.field: reason``."""
    first = error.errors()[0]
    location = [part for part in first["loc"] if isinstance(part, str | int)]
    return f"{format_path([*path, *location])}: {first['msg']}"
