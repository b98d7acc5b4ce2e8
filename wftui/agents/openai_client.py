"""Chat clients on the official ``openai`` SDK: OpenAI itself and OpenAI-compatible servers.

``OpenAIBackendBase`` holds what the OpenAI and Azure clients share: message conversion, plain
and streamed calls, and turning every SDK or network failure into one readable
``ChatClientError`` that never contains a key or token (the wording lives in
``openai_failures``). The SDK client is made lazily, once per event loop, because its
connection pool belongs to the loop it first ran on (a resume may run in a new loop).
"""

from __future__ import annotations

import asyncio
import os
import re
import weakref
from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam
from typing_extensions import Unpack

from wftui.agents.agent import ChatClientBase
from wftui.agents.client import ChatOptions
from wftui.agents.errors import ChatClientError, ConfigurationError
from wftui.agents.openai_failures import OpenAIFailureWording, display_url
from wftui.agents.replies import (
    RAISE_TIMEOUT,
    MalformedReply,
    first_choice,
    llm_timeout,
    transport_failure,
)
from wftui.agents.types import (
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
    UsageDetails,
)
from wftui.agents.usage import usage_from_sdk

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


def _to_openai_message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role is Role.TOOL:
        raise ChatClientError("tool messages are not supported by wftui's chat clients")
    param: dict[str, str] = {"role": message.role.value, "content": message.text}
    if message.author_name:
        # The API allows only these characters in a name; agent names are usually ids anyway.
        param["name"] = re.sub(r"[^A-Za-z0-9_-]", "_", message.author_name)[:64]
    # The role/content keys match the SDK's message TypedDicts for these three roles.
    return param  # type: ignore[return-value]


class OpenAIBackendBase(OpenAIFailureWording, ChatClientBase):
    """Shared machinery of the SDK-backed clients; subclasses say how to build the SDK client
    and how to word hints (which variable to check)."""

    def __init__(self, *, model: str, url: str, max_retries: int, timeout: float | None) -> None:
        self._model = model
        self._url = url
        self._max_retries = max_retries
        self._timeout = llm_timeout(timeout)
        self._client: openai.AsyncOpenAI | None = None
        self._client_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        # Ask streams for their token counts until the server refuses the option (some
        # OpenAI-compatible servers do); its streams are then counted as unknown.
        self._stream_usage = True

    # -- what subclasses provide -------------------------------------------------------------

    @abstractmethod
    def _create_sdk_client(self) -> openai.AsyncOpenAI: ...

    def _request_extras(self) -> dict[str, Any]:
        """Extra keyword arguments for every ``create`` call (e.g. header overrides)."""
        return {}

    # -- ChatClient --------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def timeout(self) -> float:
        """Seconds a call may go without receiving a byte (the SDK's read timeout)."""
        return self._timeout

    def _sdk(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is None or self._client_loop() is not loop:
            self._client = self._create_sdk_client()
            self._client_loop = weakref.ref(loop)
        return self._client

    def _request(self, messages: Sequence[ChatMessage], options: ChatOptions) -> dict[str, Any]:
        # ChatOptions' keys are the SDK's own parameter names, so they pass through as they are.
        return {
            "model": self._model,
            "messages": [_to_openai_message(message) for message in messages],
            **self._request_extras(),
            **options,
        }

    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse:
        try:
            completion = await self._sdk().chat.completions.create(
                **self._request(messages, options)
            )
            choice = first_choice(completion, streamed=False)
        except MalformedReply as error:
            raise ChatClientError(f"{self._subject} sent a malformed reply ({error})") from None
        except Exception as error:
            raise self._translate(error, options) from None
        if choice is None:
            raise ChatClientError(f"{self.backend_name} returned no reply for {self._model!r}")
        usage = usage_from_sdk(getattr(completion, "usage", None))
        return AgentRunResponse(messages=[ChatMessage(Role.ASSISTANT, text=choice[0])], usage=usage)

    async def _open_stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Any:
        create = self._sdk().chat.completions.create
        request = self._request(messages, options)
        if self._stream_usage:
            try:
                return await create(stream=True, stream_options={"include_usage": True}, **request)
            except openai.BadRequestError as error:
                if "stream_options" not in str(error):
                    raise
                self._stream_usage = False
        return await create(stream=True, **request)

    async def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        """Chunks as they arrive. A stream is an answer only if it says it finished (a finish
        reason): one that ends or breaks before that fails, whatever text came first.

        The token counts come after the text, so the last text chunk is held until the stream
        ends and carries them (``usage``); a reply without text gets a chunk of its own.
        """
        try:
            stream = await self._open_stream(messages, options)
        except Exception as error:
            raise self._translate(error, options) from None
        received = 0
        finished = False
        held = AgentRunResponseUpdate(text="")
        usage: UsageDetails | None = None
        try:
            async with stream:
                async for chunk in stream:
                    usage = usage_from_sdk(getattr(chunk, "usage", None)) or usage
                    # Azure sends a first chunk with no choices (content-filter results).
                    choice = first_choice(chunk, streamed=True)
                    if choice is None:
                        continue
                    text, finish = choice
                    finished = finished or finish is not None
                    if text:
                        received += len(text)
                        if held.text:
                            yield held
                        held = AgentRunResponseUpdate(text=text)
        except (MalformedReply, ValueError) as error:
            raise ChatClientError(
                f"{self._subject} sent a malformed stream ({self._scrub(str(error))})"
            ) from None
        except Exception as error:
            failure = transport_failure(error)
            if failure == "timeout":
                seconds = options.get("timeout", self._timeout)
                raise ChatClientError(
                    f"{self._subject} sent nothing for {seconds:g} s in the middle of a reply "
                    f"(a partial reply is not retried): check the server, or {RAISE_TIMEOUT}"
                ) from None
            if failure == "broken":
                reason = self._scrub(str(error)) or "connection lost"
                raise ChatClientError(
                    f"{self._subject} ended the stream before the reply was complete "
                    f"({received} characters received; {reason})"
                ) from None
            raise self._translate(error, options) from None
        if not finished:
            raise ChatClientError(
                f"{self._subject} ended the stream before the reply was complete "
                f"({received} characters received, no finish reason)"
                if received
                else f"{self._subject} sent no reply for {self._model!r} (the stream had no choices)"
            )
        held.usage = usage
        if held.text or usage is not None:
            yield held

    async def close(self) -> None:
        """Release the connection pool; optional, the pool is also dropped with the client."""
        if self._client is not None:
            await self._client.close()
            self._client = None


class OpenAIChatClient(OpenAIBackendBase):
    """OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).

    Every argument falls back to an environment variable: ``OPENAI_CHAT_MODEL_ID``,
    ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``. A server at a custom URL may need no key.
    """

    def __init__(
        self,
        model_id: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float | None = None,
    ) -> None:
        model = model_id or os.environ.get("OPENAI_CHAT_MODEL_ID")
        if not model:
            raise ConfigurationError(
                "no OpenAI model: set OPENAI_CHAT_MODEL_ID (gpt-4o-mini, or llama3.2 on Ollama)"
            )
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if self._api_key is None and self._base_url is None:
            raise ConfigurationError(
                "no OpenAI API key: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server"
            )
        super().__init__(
            model=model,
            url=self._base_url or DEFAULT_OPENAI_URL,
            max_retries=max_retries,
            timeout=timeout,
        )

    @property
    def backend_name(self) -> str:
        if self._base_url is None:
            return "OpenAI"
        return f"OpenAI-compatible server at {display_url(self._base_url)}"

    def _create_sdk_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            # Keyless local servers: the SDK insists on a key, so it gets a placeholder that
            # _request_extras keeps off the wire.
            api_key=self._api_key or "no-key",
            base_url=self._url,
            max_retries=self._max_retries,
            timeout=self._timeout,
        )

    def _request_extras(self) -> dict[str, Any]:
        if self._api_key is None:
            return {"extra_headers": {"Authorization": openai.omit}}
        return {}

    def _secrets(self) -> list[str]:
        return [self._api_key] if self._api_key else []

    def _hint_credentials(self) -> str:
        return "OPENAI_API_KEY"

    def _hint_forbidden(self) -> str:
        return f"check that the key in OPENAI_API_KEY may use model {self._model!r}"

    def _hint_not_found(self) -> str:
        where = " and OPENAI_BASE_URL (often ends in /v1)" if self._base_url else ""
        return f"check OPENAI_CHAT_MODEL_ID ({self._model!r}){where}"

    def _hint_url(self) -> str:
        return "OPENAI_BASE_URL" if self._base_url else "the network or proxy settings"
