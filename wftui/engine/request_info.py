"""Human in the loop: requests that pause a run until someone answers, and queuing answers."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic

from pydantic import TypeAdapter
from typing_extensions import TypeVar

from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.engine.context import WorkflowContext
from wftui.engine.errors import WorkflowRunError
from wftui.engine.executor import Executor, handler
from wftui.engine.records import Message
from wftui.engine.typing_utils import is_catch_all, match_distance, type_name, union_members

if TYPE_CHECKING:
    from wftui.engine.state import RunState

TRequest = TypeVar("TRequest", default=Any)
TReply = TypeVar("TReply", default=Any)


@dataclass
class RequestInfoMessage:
    """Base of request payloads; subclass it with the fields a human should see."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class RequestResponse(Generic[TRequest, TReply]):
    """The answer to a request, delivered back to the executor that asked."""

    data: TReply
    original_request: TRequest
    request_id: str

    @classmethod
    def __wftui_args_match__(cls, value: RequestResponse[Any, Any], args: tuple[Any, ...]) -> bool:
        """Route ``RequestResponse[Approval, str]`` by the request's and the answer's types."""
        request_type, reply_type = (*args, Any, Any)[:2]
        return (
            match_distance(value.original_request, request_type) is not None
            and match_distance(value.data, reply_type) is not None
        )


@dataclass(frozen=True)
class PendingRequestSummary:
    request_id: str
    source_executor_id: str
    request_type: str
    data: Any


@dataclass(frozen=True)
class WorkflowCheckpointSummary:
    """What a person needs to pick a checkpoint to resume."""

    checkpoint_id: str
    iteration_count: int
    targets: list[str]
    executor_states: list[str]
    status: str
    pending_requests: list[PendingRequestSummary]


class RequestInfoExecutor(Executor):
    """Turns any RequestInfoMessage it receives into a pending request and a RequestInfoEvent."""

    @handler
    async def request(
        self, message: RequestInfoMessage, ctx: WorkflowContext[RequestResponse[Any, Any]]
    ) -> None:
        await ctx.request_info(message, message.request_id)

    @staticmethod
    def checkpoint_summary(checkpoint: WorkflowCheckpoint) -> WorkflowCheckpointSummary:
        return WorkflowCheckpointSummary(
            checkpoint_id=checkpoint.checkpoint_id,
            iteration_count=checkpoint.iteration_count,
            targets=list(checkpoint.next_executor_ids),
            executor_states=sorted(checkpoint.executor_states),
            status=checkpoint.status.value,
            pending_requests=[
                PendingRequestSummary(
                    request_id=record["request_id"],
                    source_executor_id=record.get("source_executor_id", ""),
                    request_type=record.get("request_type", ""),
                    data=record.get("data"),
                )
                for record in checkpoint.pending_requests.values()
            ],
        )


def expected_answer_type(asker: Executor, request: Any) -> Any:
    """The reply type ``asker`` declares for ``request`` (``RequestResponse[Req, Reply]``), or Any."""
    for spec in asker.handlers:
        for member in union_members(spec.message_type):
            if typing.get_origin(member) is not RequestResponse:
                continue
            request_type, reply_type = (*typing.get_args(member), Any, Any)[:2]
            if match_distance(request, request_type) is not None:
                return reply_type
    return Any


def coerce_answer(expected: Any, answer: Any) -> Any:
    """A typed-in answer as the type the asker expects, so people can answer ``5`` or ``true``.

    Only text is converted (JSON first, then pydantic's lax rules); anything else is passed as
    given. Raises pydantic's ValidationError (a ValueError) when the text does not fit.
    """
    if not isinstance(answer, str) or expected is str or is_catch_all(expected):
        return answer
    adapter: TypeAdapter[Any] = TypeAdapter(expected)
    try:
        return adapter.validate_json(answer)
    except ValueError:
        return adapter.validate_python(answer)


def queue_answers(
    state: RunState, executors: Mapping[str, Executor], responses: Mapping[str, Any]
) -> None:
    """Queue each answer as a message to the executor that asked, typed as it expects."""
    for request_id, value in responses.items():
        request = state.pending_requests.get(request_id)
        if request is None:
            pending = ", ".join(state.pending_requests) or "none"
            raise WorkflowRunError(f"no pending request {request_id!r} (pending: {pending})")
        asker = executors.get(request.source_executor_id)
        expected = expected_answer_type(asker, request.data) if asker else Any
        try:
            answer = coerce_answer(expected, value)
        except ValueError as error:
            raise WorkflowRunError(
                f"the answer {value!r} to request {request_id} does not fit "
                f"{type_name(expected)}: {_reason(error)}"
            ) from None
        reply = RequestResponse(data=answer, original_request=request.data, request_id=request_id)
        state.pending.append(
            Message(reply, request.request_executor_id, request.source_executor_id)
        )
        del state.pending_requests[request_id]
    state.routed = None


def _reason(error: ValueError) -> str:
    """pydantic's first complaint, without its multi-line report and help link."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"])
    return str(error)
