"""A parsed checkpoint document made a model without pydantic, when nothing needs validating
(and ``constructed``, which the listing's compact summaries use too).

Validating a parsed document with pydantic copies every nested dict and list, and was a third of
a full listing's time. A document whose every field is present with exactly its JSON type (as
every document wftui writes is) would come out of that validation unchanged, so it becomes the
model as it is, the way ``model_construct`` builds one. Anything else (a missing field, a number
where text belongs, ``3.0`` for a count) returns None and goes through ``model_validate``, which
coerces or names the fault.
"""

from __future__ import annotations

from typing import Any

from wftui.checkpoint.model import WorkflowCheckpoint, constructed

__all__ = ["MAPS_OF_MAPS", "constructed", "exact_checkpoint"]

MAPS_OF_MAPS = ("executor_states", "pending_requests", "completed_writes")
_ALL_SET = set(WorkflowCheckpoint.model_fields)


def exact_checkpoint(document: dict[str, Any]) -> WorkflowCheckpoint | None:
    """The model holding ``document``'s own values, or None if pydantic must validate it.

    Written out field by field, without helper calls or generators: this runs once per listed
    file (a test checks that every field of the model is checked).
    """
    try:  # in the model's field order (a validated model's ``__dict__`` order); extra keys
        # are left out, as pydantic does
        v = {
            "checkpoint_id": document["checkpoint_id"],
            "workflow_id": document["workflow_id"],
            "workflow_name": document["workflow_name"],
            "parent_checkpoint_id": document["parent_checkpoint_id"],
            "timestamp": document["timestamp"],
            "iteration_count": document["iteration_count"],
            "max_iterations": document["max_iterations"],
            "messages": document["messages"],
            "shared_state": document["shared_state"],
            "executor_states": document["executor_states"],
            "pending_requests": document["pending_requests"],
            "fan_in_buffers": document["fan_in_buffers"],
            "next_executor_ids": document["next_executor_ids"],
            "graph_signature": document["graph_signature"],
            "graph": document["graph"],
            "error": document["error"],
            "completed_writes": document["completed_writes"],
            "format_version": document["format_version"],
            "version": document["version"],
            "metadata": document["metadata"],
        }
    except KeyError:
        return None
    parent, graph, error = v["parent_checkpoint_id"], v["graph"], v["error"]
    if (
        type(v["checkpoint_id"]) is not str
        or type(v["workflow_id"]) is not str
        or type(v["workflow_name"]) is not str
        or type(v["timestamp"]) is not str
        or type(v["graph_signature"]) is not str
        or type(v["version"]) is not str
        or type(v["iteration_count"]) is not int
        or type(v["max_iterations"]) is not int
        or type(v["format_version"]) is not int
        or (parent is not None and type(parent) is not str)
        or (graph is not None and type(graph) is not dict)
        or (error is not None and type(error) is not dict)
        or type(v["shared_state"]) is not dict
        or type(v["metadata"]) is not dict
        or type(v["next_executor_ids"]) is not list
        or type(v["messages"]) is not dict
        or type(v["fan_in_buffers"]) is not dict
    ):
        return None
    for name in MAPS_OF_MAPS:
        mapping = v[name]
        if type(mapping) is not dict:
            return None
        for value in mapping.values():
            if type(value) is not dict:
                return None
    for batch in v["messages"].values():
        if type(batch) is not list:
            return None
        for message in batch:
            if type(message) is not dict:
                return None
    for by_source in v["fan_in_buffers"].values():
        if type(by_source) is not dict:
            return None
        for buffered in by_source.values():
            if type(buffered) is not list:
                return None
    for executor_id in v["next_executor_ids"]:
        if type(executor_id) is not str:
            return None
    return constructed(WorkflowCheckpoint, v, _ALL_SET.copy())
