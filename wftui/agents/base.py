"""Agents defined by subclassing, as in agent-framework: ``BaseAgent`` and ``AgentThread``.

A subclass provides ``run`` and ``run_stream``; the AgentExecutor runs any such agent as a
workflow step. A thread is the conversation a caller keeps between direct calls; inside a
workflow the AgentExecutor keeps it in checkpointed state instead.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage

if TYPE_CHECKING:
    from wftui.agents.executor import AgentExecutor

AgentInput: TypeAlias = str | ChatMessage | Sequence[ChatMessage] | None


@dataclass
class AgentThread:
    """A conversation kept between calls: what was said, in order."""

    messages: list[ChatMessage] = field(default_factory=list)

    async def on_new_messages(self, messages: ChatMessage | Sequence[ChatMessage]) -> None:
        """Add what was just said (the caller's messages, then the reply)."""
        self.messages.extend([messages] if isinstance(messages, ChatMessage) else messages)


class BaseAgent(ABC):
    """An agent: something that answers messages, whole or as a stream of chunks."""

    def __init__(
        self, *, id: str | None = None, name: str | None = None, description: str | None = None
    ) -> None:
        self.id = id or str(uuid.uuid4())
        self.name = name
        self.description = description

    @property
    def display_name(self) -> str:
        """The name when there is one, else the id."""
        return self.name or self.id

    def as_executor(self) -> AgentExecutor:
        """The workflow step the builder makes when given this agent: named after it, streaming."""
        from wftui.agents.executor import AgentExecutor  # the executor module imports this one

        return AgentExecutor(self, id=self.name, streaming=True)

    def get_new_thread(self) -> AgentThread:
        return AgentThread()

    # Subclasses may add keyword options (ChatAgent takes the model options).
    @abstractmethod
    async def run(
        self, messages: AgentInput = None, *, thread: AgentThread | None = None
    ) -> AgentRunResponse: ...

    @abstractmethod
    def run_stream(
        self, messages: AgentInput = None, *, thread: AgentThread | None = None
    ) -> AsyncIterator[AgentRunResponseUpdate]: ...
