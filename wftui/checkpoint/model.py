"""The checkpoint model: everything a fresh process needs to continue a run.

Values in ``messages``, ``shared_state``, ``executor_states``, ``pending_requests`` and
``fan_in_buffers`` are live Python objects here; storages turn them into typed JSON with their
serializer (``wftui.checkpoint.serializer``) and back. The model holds nothing but its fields, so
what a caller sets is what a storage saves.
"""

from __future__ import annotations

import os
import random
import time
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1
_M = TypeVar("_M", bound=BaseModel)


class CheckpointStatus(StrEnum):
    """What a checkpoint says about its run, derived from the checkpoint's own content."""

    IN_PROGRESS = "in progress"
    AWAITING_HUMAN_INPUT = "awaiting human input"
    COMPLETED = "completed"
    FAILED = "failed"


# Ids need to be unique, not secret: drawn from a generator seeded once from ``os.urandom``, as a
# system call per id in the event loop hands the GIL to the save thread at every save. Its own,
# so a caller's ``random.seed`` cannot repeat ids, and reseeded in a forked child.
_id_bits = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_id_bits.seed)


def new_checkpoint_id() -> str:
    """A time-ordered id (microseconds then randomness), so sorting ids sorts by creation."""
    return f"{time.time_ns() // 1000:014x}{_id_bits.getrandbits(40):010x}"


# The text of the second the last timestamp fell in: a run saves many checkpoints a second.
_second: tuple[int, str] = (-1, "")


def utc_timestamp() -> str:
    """ISO-8601 UTC with microseconds: sorts correctly as text."""
    global _second
    now = time.time()
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    known, text = _second
    if known != seconds:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)
    return f"{text}.{micros:06d}Z"


class WorkflowCheckpoint(BaseModel):
    """One saved superstep boundary of a run (or the run's initial input)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    checkpoint_id: str = Field(default_factory=new_checkpoint_id)
    workflow_id: str = ""
    workflow_name: str = ""
    parent_checkpoint_id: str | None = None
    timestamp: str = Field(default_factory=utc_timestamp)
    iteration_count: int = 0
    max_iterations: int = 100
    # {source_executor_id: [{"data": value, "source_id": str, "target_id": str | None}]}
    messages: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    shared_state: dict[str, Any] = Field(default_factory=dict)
    executor_states: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # {request_id: {"request_id", "source_executor_id", "request_type", "data"}}
    pending_requests: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # {fan_in_target_id: {source_id: [values]}}
    fan_in_buffers: dict[str, dict[str, list[Any]]] = Field(default_factory=dict)
    # Executors the pending messages will be delivered to (resolved by the engine's edges),
    # so listings and UIs can say "what runs next" without knowing the graph.
    next_executor_ids: list[str] = Field(default_factory=list)
    graph_signature: str = ""
    # Executors and edges of the graph; kept on a run's first checkpoint only, so checkpoint
    # size does not grow with the graph, yet a mismatch can still say what differs.
    graph: dict[str, Any] | None = None
    # {"error_type", "message", "executor_id"} when the superstep after this state failed.
    error: dict[str, Any] | None = None
    # On a failed checkpoint: what the executors that did finish the failed superstep wrote,
    # {executor_id: {"sent": [...], "state": {...}, "shared_state": {...}, "requests": {...},
    # "outputs": [...]}}, so a resume replays their work instead of running them (and paying
    # for their LLM calls) again.
    completed_writes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # agent-framework's own version field, kept for code written against it; wftui reads
    # ``format_version``.
    version: str = "1.0"
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def status(self) -> CheckpointStatus:
        """Derived, never stored separately, so it cannot disagree with the content."""
        if self.error is not None:
            return CheckpointStatus.FAILED
        if self.pending_requests:
            return CheckpointStatus.AWAITING_HUMAN_INPUT
        if any(self.messages.values()) or any(
            any(buffer.values()) for buffer in self.fan_in_buffers.values()
        ):
            return CheckpointStatus.IN_PROGRESS
        return CheckpointStatus.COMPLETED

    @property
    def pending_message_count(self) -> int:
        return sum(len(batch) for batch in self.messages.values())

    def summary(self, size_bytes: int = 0) -> CheckpointSummary:
        """What listings show; works on a checkpoint whose values are still typed JSON.

        Validated only when some field is not exactly its type (pydantic would coerce it or
        say why not): a save's summary is made by the save thread, whose every microsecond
        holding the GIL the event loop may wait for."""
        parent, next_ids = self.parent_checkpoint_id, list(self.next_executor_ids)
        request_ids = list(self.pending_requests)
        values = {
            "checkpoint_id": self.checkpoint_id,
            "workflow_id": self.workflow_id,
            "workflow_name": self.workflow_name,
            "parent_checkpoint_id": parent,
            "timestamp": self.timestamp,
            "iteration_count": self.iteration_count,
            "status": self.status,
            "pending_message_count": self.pending_message_count,
            "next_executor_ids": next_ids,
            "pending_request_ids": request_ids,
            "graph_signature": self.graph_signature,
            "size_bytes": size_bytes,
            "execution_kind": execution_kind_in(self.metadata),
        }
        if (
            type(self.checkpoint_id) is str
            and type(self.workflow_id) is str
            and type(self.workflow_name) is str
            and (parent is None or type(parent) is str)
            and type(self.timestamp) is str
            and type(self.iteration_count) is int
            and type(self.graph_signature) is str
            and type(size_bytes) is int
            and all(type(text) is str for text in next_ids)
            and all(type(text) is str for text in request_ids)
        ):
            return constructed(CheckpointSummary, values, set(_SUMMARY_FIELDS))
        return CheckpointSummary.model_validate(values)


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


def execution_kind_in(metadata: object) -> str:
    """Which kind of execution wrote a checkpoint (run, resume, fork, step...), read defensively:
    metadata comes from files, and older checkpoints have none."""
    execution = metadata.get("execution") if isinstance(metadata, dict) else None
    kind = execution.get("kind") if isinstance(execution, dict) else None
    return kind if isinstance(kind, str) else ""


class CheckpointSummary(BaseModel):
    """What a listing shows without decoding a checkpoint's values."""

    checkpoint_id: str
    workflow_id: str = ""
    workflow_name: str = ""
    parent_checkpoint_id: str | None = None
    timestamp: str
    iteration_count: int
    status: CheckpointStatus
    pending_message_count: int = 0
    # Executors that will run next if resumed here (targets of pending messages).
    next_executor_ids: list[str] = Field(default_factory=list)
    pending_request_ids: list[str] = Field(default_factory=list)
    graph_signature: str = ""
    size_bytes: int = 0
    # The kind of execution that wrote it (run, resume, fork, step, rerun, answer), so a browser
    # can mark a branch; "" when the checkpoint does not say (older ones, or a store's index
    # that does not keep it).
    execution_kind: str = ""


class ListingProblem(BaseModel):
    """A file a listing skipped, and why, for a UI or CLI to show."""

    path: str
    reason: str


_SUMMARY_FIELDS = frozenset(CheckpointSummary.model_fields)
