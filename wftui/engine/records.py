"""The records a run keeps between supersteps, each with one conversion to and from its
checkpoint form.

The checkpoint form is plain dicts (what storages write); the ``from`` side validates, because a
checkpoint file is untrusted input: a malformed record is a ``CheckpointDecodingError`` naming the
field when a resume uses it, never a ``KeyError`` halfway through. Storages themselves never look
inside these records, so a round-trip keeps whatever a file holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import Strict, TypeAdapter, ValidationError

from wftui.checkpoint.storage import CheckpointDecodingError
from wftui.engine.events import RequestInfoEvent

# Ids must be text in the file too: a number would route nowhere, a list would crash a lookup.
Id = Annotated[str, Strict()]

T = TypeVar("T")


@dataclass(slots=True)
class Message:
    """A message in flight: sent in one superstep, delivered in the next."""

    data: Any
    source_id: Id
    target_id: Id | None = None

    def as_checkpoint_entry(self) -> dict[str, Any]:
        return {"data": self.data, "source_id": self.source_id, "target_id": self.target_id}

    @classmethod
    def from_checkpoint_entry(cls, entry: object, where: str) -> Message:
        return validated(_MESSAGE, entry, where)


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A question parked until someone answers it."""

    request_id: Id
    # The executor that sent the request, which the answer goes back to.
    source_executor_id: Id
    # The RequestInfoExecutor that parked it, which the answer is sent from.
    request_executor_id: Id
    data: Any
    request_type: Id = ""

    def as_record(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "source_executor_id": self.source_executor_id,
            "request_executor_id": self.request_executor_id,
            "request_type": self.request_type,
            "data": self.data,
        }

    @classmethod
    def from_record(cls, record: object, where: str) -> PendingRequest:
        return validated(_REQUEST, record, where)

    def event(self) -> RequestInfoEvent:
        return RequestInfoEvent(
            data=self.data,
            request_id=self.request_id,
            source_executor_id=self.source_executor_id,
            request_type=self.request_type,
        )


def pending_requests_from(records: object, where: str) -> dict[str, PendingRequest]:
    """A checkpoint's ``pending_requests`` section, each record keyed by its own id."""
    if not isinstance(records, dict):
        raise CheckpointDecodingError(f"{where}: expected a mapping of request ids to requests")
    requests = {}
    for key, record in records.items():
        request = PendingRequest.from_record(record, f"{where}[{key!r}]")
        if request.request_id != key:
            raise CheckpointDecodingError(
                f"{where}[{key!r}].request_id: {request.request_id!r} differs from its key"
            )
        requests[key] = request
    return requests


@dataclass(slots=True)
class ExecutorWrites:
    """What one executor wrote in a superstep that then failed; replayed instead of rerun."""

    sent: list[Message] = field(default_factory=list)
    shared_state: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, PendingRequest] = field(default_factory=dict)
    outputs: list[Any] = field(default_factory=list)
    # None when the executor did not set its state in that superstep.
    state: dict[str, Any] | None = None

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "sent": [message.as_checkpoint_entry() for message in self.sent],
            "shared_state": dict(self.shared_state),
            "requests": {rid: request.as_record() for rid, request in self.requests.items()},
            "outputs": list(self.outputs),
        }
        if self.state is not None:
            record["state"] = self.state
        return record

    @classmethod
    def from_record(cls, record: object, where: str) -> ExecutorWrites:
        return validated(_WRITES, record, where)


_MESSAGE = TypeAdapter(Message)
_REQUEST = TypeAdapter(PendingRequest)
_WRITES = TypeAdapter(ExecutorWrites)


def validated(adapter: TypeAdapter[T], value: object, where: str) -> T:
    """``value`` as the adapter's type, or a ``CheckpointDecodingError`` naming the bad field."""
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        )
        raise CheckpointDecodingError(f"{where}{path}: {first['msg']}") from None
