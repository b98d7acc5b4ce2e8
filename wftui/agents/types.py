"""Chat messages and agent replies, the values agents pass along edges and keep in checkpoints.

They are plain dataclasses registered with the checkpoint codec at import, so a checkpoint holding
a conversation or a pending agent request can be rebuilt in a fresh process.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wftui.checkpoint.codec import register_type


class Role(StrEnum):
    """Who wrote a message; the values are the chat-completions wire names."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


@dataclass
class ChatMessage:
    """One message of a conversation: ``ChatMessage(Role.USER, text="...")`` as in the seed."""

    role: Role
    text: str = ""
    author_name: str | None = None
    # agent-framework's richer pieces (TextContent, FunctionCallContent...), when given; a
    # message made from text alone keeps it in ``text`` only, so checkpoints hold it once.
    contents: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Accept "user" as well as Role.USER, so messages built from JSON or by hand both work.
        self.role = Role(self.role)
        if not self.text:
            self.text = text_of(self.contents)


@dataclass(init=False)
class UsageDetails:
    """Token counts a backend reported; absent when it reported none (local functions).

    agent-framework's names (``input_token_count``...) are accepted and readable too, and
    usages add up (``a + b``), a count missing on both sides staying missing.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    # Parts of the input served from the prompt cache, and of the output spent reasoning.
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None

    def __init__(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        *,
        input_token_count: int | None = None,
        output_token_count: int | None = None,
        total_token_count: int | None = None,
        cached_input_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        self.input_tokens = input_tokens if input_tokens is not None else input_token_count
        self.output_tokens = output_tokens if output_tokens is not None else output_token_count
        self.total_tokens = total_tokens if total_tokens is not None else total_token_count
        self.cached_input_tokens = cached_input_tokens
        self.reasoning_tokens = reasoning_tokens

    @property
    def input_token_count(self) -> int | None:
        return self.input_tokens

    @property
    def output_token_count(self) -> int | None:
        return self.output_tokens

    @property
    def total_token_count(self) -> int | None:
        return self.total_tokens

    def __add__(self, other: UsageDetails) -> UsageDetails:
        def add(mine: int | None, theirs: int | None) -> int | None:
            return None if mine is None and theirs is None else (mine or 0) + (theirs or 0)

        return UsageDetails(
            add(self.input_tokens, other.input_tokens),
            add(self.output_tokens, other.output_tokens),
            add(self.total_tokens, other.total_tokens),
            cached_input_tokens=add(self.cached_input_tokens, other.cached_input_tokens),
            reasoning_tokens=add(self.reasoning_tokens, other.reasoning_tokens),
        )


@dataclass
class AgentRunResponse:
    """A whole reply: the new messages (usually one assistant message) and token usage.

    Chat clients and agents share this type, so an agent needs no conversion step. The ids,
    time and extra properties are agent-framework's, set by agents that have them.
    """

    messages: list[ChatMessage] = field(default_factory=list)
    usage: UsageDetails | None = None
    response_id: str | None = None
    created_at: str | None = None
    additional_properties: dict[str, Any] | None = None

    @property
    def usage_details(self) -> UsageDetails | None:
        """agent-framework's name for ``usage``."""
        return self.usage

    @property
    def text(self) -> str:
        """The reply's text, what most callers want (``response.text`` in the seed)."""
        return "".join(message.text for message in self.messages)

    @classmethod
    def from_updates(cls, updates: Sequence[AgentRunResponseUpdate]) -> AgentRunResponse:
        """Join streamed chunks into the reply a non-streamed call would have returned."""
        text = "".join(update.text for update in updates)
        author = next((u.author_name for u in updates if u.author_name), None)
        counted = [update.usage for update in updates if update.usage is not None]
        usage = functools.reduce(operator.add, counted) if counted else None
        message = ChatMessage(Role.ASSISTANT, text=text, author_name=author)
        return cls(messages=[message], usage=usage)


@dataclass
class AgentRunResponseUpdate:
    """One streamed chunk of a reply, in arrival order (agent-framework's ids and contents
    optional); the server's token counts come in ``usage``, usually on the last chunk, when the
    server sends them at all."""

    text: str = ""
    role: Role = Role.ASSISTANT
    author_name: str | None = None
    contents: list[Any] = field(default_factory=list)
    message_id: str | None = None
    response_id: str | None = None
    created_at: str | None = None
    additional_properties: dict[str, Any] | None = None
    usage: UsageDetails | None = None

    def __post_init__(self) -> None:
        if not self.text:
            self.text = text_of(self.contents)


def text_of(contents: Sequence[Any]) -> str:
    """The text pieces of ``contents`` joined (other kinds of content carry no text)."""
    return "".join(text for text in (getattr(c, "text", None) for c in contents) if text)


@dataclass
class AgentExecutorRequest:
    """Messages for an AgentExecutor; with ``should_respond=False`` they only join its history."""

    messages: list[ChatMessage]
    should_respond: bool = True


@dataclass
class AgentExecutorResponse:
    """What an AgentExecutor sends on: its reply and the whole conversation so far."""

    executor_id: str
    agent_run_response: AgentRunResponse
    full_conversation: list[ChatMessage] | None = None


for _type in (
    Role,
    ChatMessage,
    UsageDetails,
    AgentRunResponse,
    AgentRunResponseUpdate,
    AgentExecutorRequest,
    AgentExecutorResponse,
):
    register_type(_type)
