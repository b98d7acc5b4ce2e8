"""The chat-client protocol every backend implements (local function, OpenAI, Azure OpenAI).

Agents, the AgentExecutor and the app depend only on this, so a backend is chosen by
configuration and never by changing pipeline code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

from typing_extensions import Unpack

from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage

if TYPE_CHECKING:
    from wftui.agents.agent import ChatAgent


class ChatOptions(TypedDict, total=False):
    """Model options that pass through to the backend; unset ones use the backend's default.

    ``timeout`` is seconds for one request (the SDK's retries each get it again).
    """

    temperature: float
    max_tokens: int
    timeout: float


@runtime_checkable
class ChatClient(Protocol):
    """Something that answers a conversation, plainly or as a stream of chunks."""

    @property
    def backend_name(self) -> str:
        """What kind of backend this is, e.g. ``Azure OpenAI`` or ``local function``."""
        ...

    @property
    def model_name(self) -> str:
        """The model, deployment or function name shown beside the backend."""
        ...

    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse: ...

    def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]: ...

    def create_agent(
        self,
        *,
        instructions: str | None = None,
        name: str | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatAgent: ...


def describe_chat_client(client: ChatClient) -> str:
    """One line for the CLI and the app: ``local function (lower_after_text)``."""
    return f"{client.backend_name} ({client.model_name})"
