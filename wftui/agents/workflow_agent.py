"""WorkflowAgent: a workflow used where an agent is expected (``workflow.as_agent()``).

The caller's messages go to the start executor as ``list[ChatMessage]``; what the workflow
streams comes back as reply chunks: each executor's ``AgentRunUpdateEvent``, and each human
request as a ``FunctionCallContent`` named ``request_info``. A later message holding
``FunctionResultContent`` for those calls answers them and continues the same run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from wftui.agents.base import AgentInput, AgentThread, BaseAgent
from wftui.agents.contents import (
    FunctionCallContent,
    FunctionResultContent,
    TextContent,
    UsageContent,
)
from wftui.agents.events import AgentRunUpdateEvent
from wftui.agents.types import (
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
    UsageDetails,
)
from wftui.engine import RequestInfoEvent, Workflow, WorkflowDefinitionError, WorkflowEvent

REQUEST_INFO_FUNCTION = "request_info"


class WorkflowAgent(BaseAgent):
    """Runs ``workflow`` as an agent; its start executor must take ``list[ChatMessage]``."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        id: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(id=id, name=name, description=description)
        start = workflow.get_start_executor()
        if start.find_handler([ChatMessage(Role.USER, text="")]) is None:
            accepted = " | ".join(str(t) for t in start.input_types)
            raise WorkflowDefinitionError(
                f"Workflow's start executor cannot handle list[ChatMessage]: {start.id} "
                f"accepts {accepted}"
            )
        self.workflow = workflow
        # Requests the workflow is waiting on, by request id (= the function call's id).
        self.pending_requests: dict[str, RequestInfoEvent] = {}

    async def run(
        self, messages: AgentInput = None, *, thread: AgentThread | None = None
    ) -> AgentRunResponse:
        response_id = uuid.uuid4().hex
        updates = [update async for update in self._stream(messages, response_id)]
        return self.merge_updates(updates, response_id)

    def run_stream(
        self, messages: AgentInput = None, *, thread: AgentThread | None = None
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        return self._stream(messages, uuid.uuid4().hex)

    async def _stream(
        self, messages: AgentInput, response_id: str
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        conversation = _as_messages(messages)
        answers = self._answers_in(conversation)
        if answers:
            stream = self.workflow.send_responses_streaming(answers)
            for request_id in answers:
                del self.pending_requests[request_id]
        else:
            stream = self.workflow.run_stream(conversation)
        async for event in stream:
            update = self._update_of(event, response_id)
            if update is not None:
                yield update

    def _answers_in(self, conversation: list[ChatMessage]) -> dict[str, Any]:
        """The function results answering pending requests; refuses anything else meanwhile."""
        if not self.pending_requests:
            return {}
        contents = [content for message in conversation for content in message.contents]
        results = [c for c in contents if isinstance(c, FunctionResultContent)]
        unknown = [r.call_id for r in results if r.call_id not in self.pending_requests]
        if not results or unknown or len(results) != len(contents):
            pending = ", ".join(self.pending_requests)
            raise ValueError(
                f"the workflow waits for answers to {pending}: send one FunctionResultContent "
                "per request (with its call_id) and nothing else"
                + (f"; no pending request {', '.join(unknown)}" if unknown else "")
            )
        return {result.call_id: result.result for result in results}

    def _update_of(self, event: WorkflowEvent, response_id: str) -> AgentRunResponseUpdate | None:
        if isinstance(event, AgentRunUpdateEvent):
            if isinstance(event.data, AgentRunResponseUpdate):
                return event.data
            # wftui's AgentExecutor streams text chunks; one executor's chunks make one message.
            text = str(event.data)
            return AgentRunResponseUpdate(
                text=text,
                contents=[TextContent(text)],
                author_name=event.executor_id,
                response_id=response_id,
                message_id=f"{response_id}:{event.executor_id}",
            )
        if isinstance(event, RequestInfoEvent):
            self.pending_requests[event.request_id] = event
            call = FunctionCallContent(
                call_id=event.request_id,
                name=REQUEST_INFO_FUNCTION,
                arguments={"request_id": event.request_id, "data": event.data},
            )
            return AgentRunResponseUpdate(
                contents=[call],
                response_id=response_id,
                message_id=event.request_id,
                created_at=_now(),
            )
        return None

    @staticmethod
    def merge_updates(
        updates: Sequence[AgentRunResponseUpdate], response_id: str
    ) -> AgentRunResponse:
        """Join chunks into one reply: per response id (in first-seen order, chunks without
        one last), one message per message id, messages in time order; usage summed; each
        response's properties are those of its latest message, later responses winning."""
        groups: dict[str | None, list[AgentRunResponseUpdate]] = {}
        for update in updates:
            groups.setdefault(update.response_id, []).append(update)
        ordered: list[str | None] = [key for key in groups if key is not None]
        if None in groups:
            ordered.append(None)
        messages: list[ChatMessage] = []
        properties: dict[str, Any] = {}
        usage: UsageDetails | None = None
        latest: str | None = None
        for key in ordered:
            built = sorted(
                (_message_of(chunks) for chunks in _by_message(groups[key])),
                key=lambda item: _instant(item[1]),
            )
            for message, created_at, message_usage, _ in built:
                messages.append(message)
                if message_usage is not None:
                    usage = message_usage if usage is None else usage + message_usage
                if created_at is not None and (
                    latest is None or _instant(created_at) > _instant(latest)
                ):
                    latest = created_at
            if built:
                properties.update(built[-1][3])
        return AgentRunResponse(
            messages=messages,
            usage=usage,
            response_id=response_id,
            created_at=latest,
            additional_properties=properties,
        )


def _as_messages(messages: AgentInput) -> list[ChatMessage]:
    if messages is None:
        return []
    if isinstance(messages, str):
        return [ChatMessage(Role.USER, contents=[TextContent(messages)])]
    if isinstance(messages, ChatMessage):
        return [messages]
    return list(messages)


def _by_message(updates: list[AgentRunResponseUpdate]) -> list[list[AgentRunResponseUpdate]]:
    """Chunks grouped by message id, in first-seen order (chunks without one together)."""
    grouped: dict[str | None, list[AgentRunResponseUpdate]] = {}
    for update in updates:
        grouped.setdefault(update.message_id, []).append(update)
    return list(grouped.values())


def _message_of(
    chunks: list[AgentRunResponseUpdate],
) -> tuple[ChatMessage, str | None, UsageDetails | None, dict[str, Any]]:
    """One message from its chunks, with its time, usage and properties."""
    contents: list[Any] = []
    usage: UsageDetails | None = None
    properties: dict[str, Any] = {}
    for chunk in chunks:
        pieces = chunk.contents or ([TextContent(chunk.text)] if chunk.text else [])
        for piece in pieces:
            if isinstance(piece, UsageContent):
                usage = piece.details if usage is None else usage + piece.details
            else:
                contents.append(piece)
        properties.update(chunk.additional_properties or {})
    times = [chunk.created_at for chunk in chunks if chunk.created_at is not None]
    author = next((chunk.author_name for chunk in chunks if chunk.author_name), None)
    message = ChatMessage(chunks[0].role, author_name=author, contents=contents)
    return message, max(times, key=_instant) if times else None, usage, properties


def _instant(created_at: str | None) -> datetime:
    """An ISO time as a comparable instant (``Z`` accepted, no zone read as UTC)."""
    if created_at is None:
        return datetime.min.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(created_at)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _now() -> str:
    return datetime.now(UTC).isoformat()
