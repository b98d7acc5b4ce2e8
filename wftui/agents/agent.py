"""An agent: a chat client plus standing instructions and model options.

The agent keeps no conversation of its own; the AgentExecutor owns the history so it can be
checkpointed, and hands the whole conversation to ``run`` each time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence

from typing_extensions import Unpack

from wftui.agents.base import AgentInput, AgentThread, BaseAgent
from wftui.agents.client import ChatClient, ChatOptions
from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage, Role


def to_messages(value: AgentInput) -> list[ChatMessage]:
    """Normalise what callers naturally pass (text, one message, a list) to a message list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [ChatMessage(Role.USER, text=value)]
    if isinstance(value, ChatMessage):
        return [value]
    return list(value)


class ChatAgent(BaseAgent):
    """Runs a conversation through a chat client with the agent's instructions in front.

    With a ``thread``, the thread's conversation comes first and the call's messages and the
    reply are added to it.
    """

    def __init__(
        self,
        chat_client: ChatClient,
        *,
        instructions: str | None = None,
        name: str | None = None,
        **options: Unpack[ChatOptions],
    ) -> None:
        super().__init__(name=name)
        self.chat_client = chat_client
        self.instructions = instructions
        self.options: ChatOptions = options

    def _prepare(
        self, messages: AgentInput, options: ChatOptions, thread: AgentThread | None = None
    ) -> tuple[list[ChatMessage], ChatOptions]:
        conversation = [*(thread.messages if thread else []), *to_messages(messages)]
        if self.instructions:
            conversation.insert(0, ChatMessage(Role.SYSTEM, text=self.instructions))
        merged: ChatOptions = {**self.options, **options}
        return conversation, merged

    async def run(
        self,
        messages: AgentInput = None,
        *,
        thread: AgentThread | None = None,
        **options: Unpack[ChatOptions],
    ) -> AgentRunResponse:
        """The whole reply; per-call options override the agent's."""
        conversation, merged = self._prepare(messages, options, thread)
        response = await self.chat_client.get_response(conversation, **merged)
        if self.name:
            for message in response.messages:
                message.author_name = message.author_name or self.name
        if thread is not None:
            await thread.on_new_messages([*to_messages(messages), *response.messages])
        return response

    async def run_stream(
        self,
        messages: AgentInput = None,
        *,
        thread: AgentThread | None = None,
        **options: Unpack[ChatOptions],
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        """The reply chunk by chunk, as the backend sends it."""
        conversation, merged = self._prepare(messages, options, thread)
        updates: list[AgentRunResponseUpdate] = []
        async for update in self.chat_client.get_streaming_response(conversation, **merged):
            if self.name and not update.author_name:
                update.author_name = self.name
            updates.append(update)
            yield update
        if thread is not None:
            reply = AgentRunResponse.from_updates(updates).messages
            await thread.on_new_messages([*to_messages(messages), *reply])


class ChatClientBase(ABC):
    """What every backend shares: making agents. Backends fill in the abstract rest."""

    # Whether calls use a model's tokens; a local function's do not, so budgets let them be.
    spends_tokens = True

    @property
    @abstractmethod
    def backend_name(self) -> str: ...

    @property
    @abstractmethod
    def model_name(self) -> str: ...

    @abstractmethod
    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse: ...

    @abstractmethod
    def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]: ...

    def create_agent(
        self,
        *,
        instructions: str | None = None,
        name: str | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatAgent:
        """An agent over this client, as in the seed's ``chat_client.create_agent(...)``."""
        return ChatAgent(self, instructions=instructions, name=name, **options)
