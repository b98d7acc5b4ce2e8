"""A parsed checkpoint document made a model without pydantic, when nothing needs validating
(and ``constructed``, which the listing's compact summaries use too).

Validating a parsed document with pydantic copies every nested dict and list, and was a third of
a full listing's time. A document whose every field is present with exactly its JSON type (as
every document wftui writes is) would come out of that validation unchanged, so it becomes the
model as it is, the way ``model_construct`` builds one. Anything else (a missing field, a number
where text belongs, ``3.0`` for a count) returns None and goes through ``model_validate``, which
coerces or names the fault; the field table is checked against the model by a test.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from wftui.checkpoint.model import WorkflowCheckpoint

_M = TypeVar("_M", bound=BaseModel)

# The model's fields by the shape a parsed document gives them.
TEXTS = ("checkpoint_id", "workflow_id", "workflow_name", "timestamp", "graph_signature", "version")
COUNTS = ("iteration_count", "max_iterations", "format_version")
MAPS = ("shared_state", "metadata")
OPTIONAL_MAPS = ("graph", "error")
MAPS_OF_MAPS = ("executor_states", "pending_requests", "completed_writes")
# and: parent_checkpoint_id (text or null), messages (map of lists of maps), fan_in_buffers (map
# of maps of lists), next_executor_ids (list of texts)
ORDER = tuple(WorkflowCheckpoint.model_fields)  # a validated model's ``__dict__`` order
_ALL_SET = set(ORDER)
_set = object.__setattr__


def constructed(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """``cls`` holding ``values`` (every field, in field order, already checked) as
    ``model_construct`` makes it, without its per-field loop."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def exact_checkpoint(document: dict[str, Any]) -> WorkflowCheckpoint | None:
    """The model holding ``document``'s own values, or None if pydantic must validate it."""
    try:
        values = {name: document[name] for name in ORDER}  # extra keys left out, as pydantic does
    except KeyError:
        return None
    if not _exact(values):
        return None
    return constructed(WorkflowCheckpoint, values, _ALL_SET.copy())


def _exact(doc: dict[str, Any]) -> bool:
    """Every field has exactly its type (loops, not generators: this runs per listed file)."""
    for name in TEXTS:
        if type(doc[name]) is not str:
            return False
    for name in COUNTS:
        if type(doc[name]) is not int:
            return False
    parent = doc["parent_checkpoint_id"]
    if parent is not None and type(parent) is not str:
        return False
    for name in MAPS:
        if type(doc[name]) is not dict:
            return False
    for name in OPTIONAL_MAPS:
        value = doc[name]
        if value is not None and type(value) is not dict:
            return False
    for name in MAPS_OF_MAPS:
        if not _map_of(doc[name], dict):
            return False
    messages = doc["messages"]
    if not _map_of(messages, list):
        return False
    for batch in messages.values():
        for message in batch:
            if type(message) is not dict:
                return False
    buffers = doc["fan_in_buffers"]
    if not _map_of(buffers, dict):
        return False
    for by_source in buffers.values():
        for values in by_source.values():
            if type(values) is not list:
                return False
    ids = doc["next_executor_ids"]
    if type(ids) is not list:
        return False
    for executor_id in ids:  # noqa: SIM110 (a loop: all() over a generator is twice as slow)
        if type(executor_id) is not str:
            return False
    return True


def _map_of(value: Any, kind: type) -> bool:
    if type(value) is not dict:
        return False
    for item in value.values():  # noqa: SIM110 (as above)
        if type(item) is not kind:
            return False
    return True
