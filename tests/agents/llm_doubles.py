"""Test doubles for the chat backends: a local OpenAI-compatible server and Azure credentials.

The server speaks the two URL shapes the real SDK uses (OpenAI's ``/v1/chat/completions`` and
Azure's ``/openai/deployments/{name}/chat/completions?api-version=``), answers plainly or as
server-sent events, records every request's headers and body, and can be told to fail. It runs
on its own event loop in a thread, so the tests' loops and the SDK's connection pools never
share a loop with it.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

SECRET_KEY = "sk-test-SECRET-0123456789abcdef"
# What the server says each answer used, in the API's own shape (details included).
USAGE: dict[str, Any] = {
    "prompt_tokens": 7,
    "completion_tokens": 2,
    "total_tokens": 9,
    "prompt_tokens_details": {"cached_tokens": 3},
    "completion_tokens_details": {"reasoning_tokens": 1},
}


def lower_after_text(messages: list[dict[str, Any]]) -> str:
    """What the seed's LowerAgent is asked to do, so the server can stand in for a model."""
    prompt = str(messages[-1].get("content", "")) if messages else ""
    return prompt.split("Text:", 1)[-1].strip().lower()


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Failure:
    status: int
    message: str
    code: str


@dataclass
class FakeLLMServer:
    """Configure between requests from the test thread; reads happen on the server thread."""

    ssl_context: ssl.SSLContext | None = None
    reply: Callable[[list[dict[str, Any]]], str] = lower_after_text
    # Known names; a request naming another gets the service's 404.
    deployments: set[str] = field(default_factory=lambda: {"gpt-test"})
    models: set[str] = field(default_factory=lambda: {"gpt-test"})
    hang: bool = False
    # A broken reply instead of a good one: see _broken_body and _stream for the names.
    fault: str = ""
    # Seconds between streamed chunks: a slow answer that keeps arriving.
    pace: float = 0.0
    usage: dict[str, Any] = field(default_factory=lambda: dict(USAGE))
    # Streams and token counts: "honour" stream_options.include_usage as OpenAI does,
    # "ignore" it (older compatible servers: no counts), or "refuse" it with a 400.
    stream_usage: str = "honour"
    requests: list[RecordedRequest] = field(default_factory=list)
    _failures: deque[Failure] = field(default_factory=deque)
    _port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _release: asyncio.Event | None = None

    # -- control -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self._port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    def fail(self, status: int, times: int = 1, message: str = "", code: str = "") -> None:
        """Answer the next ``times`` requests with ``status``."""
        for _ in range(times):
            self._failures.append(Failure(status, message or f"simulated {status}", code))

    def heal(self) -> None:
        self._failures.clear()
        self.hang = False
        self.fault = ""
        self.pace = 0.0

    # -- HTTP --------------------------------------------------------------------------------

    async def _chat(self, request: web.Request, model: str, known: set[str]) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(
            RecordedRequest(
                path=request.path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
            )
        )
        if self.hang:
            assert self._release is not None
            await self._release.wait()
        if self._failures:
            failure = self._failures.popleft()
            # A 1 ms Retry-After keeps the SDK's retries of 429/5xx quick.
            headers = {"retry-after-ms": "1"}
            error = {"message": failure.message, "type": "error", "code": failure.code or None}
            return web.json_response({"error": error}, status=failure.status, headers=headers)
        if model not in known:
            error = {
                "code": "DeploymentNotFound",
                "message": f"The API deployment {model} for this resource does not exist.",
            }
            return web.json_response({"error": error}, status=404)
        text = self.reply(body.get("messages", []))
        if body.get("stream"):
            if "stream_options" in body and self.stream_usage == "refuse":
                error = {"message": "Unrecognized request argument supplied: stream_options"}
                return web.json_response({"error": error}, status=400)
            counted = (body.get("stream_options") or {}).get("include_usage")
            with_usage = bool(counted) and self.stream_usage == "honour"
            return await self._stream(request, text, with_usage=with_usage)
        if self.fault:
            return self._broken_body()
        usage = self.usage
        return web.json_response(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    def _broken_body(self) -> web.Response:
        """A 200 whose body is not a chat completion."""
        if self.fault == "not-json":
            return web.Response(text="<html>proxy says hi", content_type="application/json")
        if self.fault == "no-choices":
            return web.json_response({"id": "chatcmpl-1", "object": "chat.completion"})
        if self.fault == "null-message":
            return web.json_response({"choices": [{"index": 0, "message": None}]})
        raise AssertionError(f"unknown fault {self.fault!r}")

    async def _stream(
        self, request: web.Request, text: str, *, with_usage: bool = False
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)

        def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
            data = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": "gpt-test",
                "choices": choices,
                # Asked for usage, OpenAI sends "usage": null on every chunk but the last.
                **({"usage": usage} if with_usage else {}),
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        # Azure's first chunk carries no choices (content-filter results only).
        await response.write(chunk([]))
        if self.fault == "empty-choices":
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        if self.fault == "malformed":
            await response.write(b'data: {"choices": [{"delta": \n\n')
            await response.write_eof()
            return response
        await response.write(chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}]))
        words = text.split(" ")
        for number, word in enumerate(words):
            piece = word if number == len(words) - 1 else word + " "
            await response.write(chunk([{"index": 0, "delta": {"content": piece}}]))
            if self.fault == "stall":
                assert self._release is not None
                await self._release.wait()
            if self.pace:
                await asyncio.sleep(self.pace)
        if self.fault == "cut":  # the body ends cleanly, but before the reply did
            await response.write_eof()
            return response
        if self.fault == "drop":  # the connection goes away mid-reply
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        if with_usage:  # the counts come last, on a chunk with no choices
            await response.write(chunk([], self.usage))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _openai_route(self, request: web.Request) -> web.StreamResponse:
        body_model = json.loads(await request.read()).get("model", "")
        return await self._chat(request, body_model, self.models)

    async def _azure_route(self, request: web.Request) -> web.StreamResponse:
        if "api-version" not in request.query:
            return web.json_response({"error": {"message": "api-version missing"}}, status=400)
        return await self._chat(request, request.match_info["deployment"], self.deployments)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._start())
            ready.set()
            loop.run_forever()
            loop.close()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait()

    async def _start(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai_route)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure_route)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop listening; later requests see connection refused."""
        loop = self._loop
        if loop is None:
            return
        self._loop = None

        async def shutdown() -> None:
            assert self._release is not None and self._runner is not None
            self._release.set()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)


class CountingCredential:
    """A TokenCredential double: counts ``get_token`` calls and issues distinct tokens.

    ``lifetime`` seconds under five minutes is inside azure-core's refresh window, so every
    request needs a new token; an hour means one token serves them all.
    """

    def __init__(self, lifetime: int = 60) -> None:
        self.lifetime = lifetime
        self.calls = 0
        self.scopes: list[tuple[str, ...]] = []

    def _issue(self, scopes: tuple[str, ...]) -> AccessToken:
        self.calls += 1
        self.scopes.append(scopes)
        return AccessToken(f"eyJtoken.{self.calls}.SECRET", int(time.time()) + self.lifetime)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._issue(scopes)


class AsyncCountingCredential(CountingCredential):
    """The ``azure.identity.aio`` flavour of the same double."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        return self._issue(scopes)

    async def close(self) -> None:
        pass


class LoggedOutCredential:
    """What AzureCliCredential does when nobody ran ``az login``."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError("Please run 'az login' to set up an account")
