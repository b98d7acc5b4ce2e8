"""A chat client whose replies come from a Python function: the offline default.

It always names itself ``local function (<fn name>)`` wherever the backend is shown, so a run
on it is never mistaken for a run on a model.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from typing_extensions import Unpack

from wftui.agents.agent import ChatClientBase
from wftui.agents.client import ChatOptions
from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage, Role

ReplyFunction = Callable[[list[ChatMessage]], str | Awaitable[str]]


class FunctionChatClient(ChatClientBase):
    """Answers with ``fn(messages)``; ``fn`` may be sync or async. Model options are ignored."""

    spends_tokens = False

    def __init__(self, fn: ReplyFunction, *, name: str | None = None) -> None:
        self._fn = fn
        self._name = name or str(getattr(fn, "__name__", type(fn).__name__))

    @property
    def backend_name(self) -> str:
        return "local function"

    @property
    def model_name(self) -> str:
        return self._name

    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse:
        reply = self._fn(list(messages))
        text = await reply if inspect.isawaitable(reply) else reply
        return AgentRunResponse(messages=[ChatMessage(Role.ASSISTANT, text=text)])

    async def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        # Word-sized chunks, so streaming views can be tried offline.
        response = await self.get_response(messages, **options)
        for chunk in re.findall(r"\S+\s*|\s+", response.text):
            yield AgentRunResponseUpdate(text=chunk)
