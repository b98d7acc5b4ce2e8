"""One checkpoint as the browser keeps it: a compact tuple, not a summary object.

A store can hold 50,000 checkpoints, so each is one ``Record`` (about 120 bytes plus strings,
with equal strings shared) instead of a pydantic summary; the summary is rebuilt on demand.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary

_T = TypeVar("_T")


class Record(NamedTuple):
    """What the browser keeps of one checkpoint summary (a tuple: about 120 bytes plus strings)."""

    checkpoint_id: str
    workflow_id: str
    workflow_name: str
    parent_id: str | None
    timestamp: str
    iteration: int
    status: CheckpointStatus
    next_ids: tuple[str, ...]
    request_ids: tuple[str, ...]
    message_count: int
    graph_signature: str
    size_bytes: int
    kind: str = ""  # the execution kind that wrote it: marks a branch as resume, fork, step...

    def summary(self) -> CheckpointSummary:
        """The summary again, for callers that want the storage's own type."""
        return CheckpointSummary.model_construct(
            checkpoint_id=self.checkpoint_id,
            workflow_id=self.workflow_id,
            workflow_name=self.workflow_name,
            parent_checkpoint_id=self.parent_id,
            timestamp=self.timestamp,
            iteration_count=self.iteration,
            status=self.status,
            pending_message_count=self.message_count,
            next_executor_ids=list(self.next_ids),
            pending_request_ids=list(self.request_ids),
            graph_signature=self.graph_signature,
            size_bytes=self.size_bytes,
            execution_kind=self.kind,
        )


def age(record: Record) -> tuple[str, str]:
    """The order of checkpoints everywhere in the browser: oldest first, ties by id."""
    return record.timestamp, record.checkpoint_id


def record_of(summary: CheckpointSummary, intern: dict[object, object]) -> Record:
    """A compact record; equal strings and executor lists are shared across records."""

    def shared(value: _T) -> _T:
        return intern.setdefault(value, value)  # type: ignore[return-value]

    requests = summary.pending_request_ids
    return Record(
        summary.checkpoint_id,
        shared(summary.workflow_id),
        shared(summary.workflow_name),
        summary.parent_checkpoint_id,
        summary.timestamp,
        summary.iteration_count,
        summary.status,
        shared(tuple(summary.next_executor_ids)),
        tuple(requests) if requests else (),
        summary.pending_message_count,
        shared(summary.graph_signature),
        summary.size_bytes,
        shared(summary.execution_kind),
    )
