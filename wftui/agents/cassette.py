"""Cassettes: record a run's model answers and replay them offline, exactly.

``CassetteChatClient`` wraps any backend's chat client. Recording passes each call through the
real client (its SDK, its error handling) and writes the request and the answer, streamed chunks
included, to the run's cassette; replaying answers a request from recorded answers when what
would be sent matches exactly (a hash of the canonical JSON of model, messages, options and
whether it streams). Replay builds no backend, so it needs no endpoint, key or credential.

A cassette holds only the request's content and the answer: never a header, key or token (the
wrapper never sees them; the SDK adds them below it). A replayed answer is also filed in the
replaying run's cassette (once), so every run's cassette holds all it was given and replays,
copies and is pruned on its own.

This module is the client and its replay index; the line format lives in ``cassette_format``
and the stores in ``cassette_stores``, both re-exported here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, cast, get_args

from typing_extensions import Unpack

from wftui.agents.agent import ChatClientBase
from wftui.agents.cassette_format import Recording, parse_cassette, request_key, request_payload
from wftui.agents.cassette_stores import (
    CASSETTE_FOLDER,
    SUFFIX,
    CassetteStore,
    FileCassetteStore,
    MemoryCassetteStore,
    StorageCassettes,
    cassette_store_for,
    copy_cassettes,
    delete_cassettes,
)
from wftui.agents.client import ChatClient, ChatOptions
from wftui.agents.errors import ChatClientError
from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage
from wftui.checkpoint.codec import decode_value, encode_value
from wftui.engine.current import current_call_site

__all__ = [
    "CASSETTE_FOLDER",
    "LLM_MODES",
    "SUFFIX",
    "UNATTACHED",
    "CassetteChatClient",
    "CassetteMissError",
    "CassetteStore",
    "FileCassetteStore",
    "LlmMode",
    "MemoryCassetteStore",
    "RecordedAnswers",
    "Recording",
    "StorageCassettes",
    "answer_was_replayed",
    "cassette_store_for",
    "copy_cassettes",
    "delete_cassettes",
    "parse_cassette",
    "request_key",
    "request_payload",
]

LlmMode = Literal["call", "record", "replay", "replay-or-call"]
LLM_MODES: tuple[str, ...] = get_args(LlmMode)
# A recording made outside any run (a client called directly) is filed under this name.
UNATTACHED = "unattached"


# Whether the last answer in this task came from a cassette (each executor runs in its own task).
_REPLAYED: ContextVar[bool] = ContextVar("wftui_answer_replayed", default=False)


def answer_was_replayed() -> bool:
    """Whether the last chat answer this task received was replayed, not paid for: the
    ledger counts such a call as saved."""
    return _REPLAYED.get()


class CassetteMissError(ChatClientError):
    """Strict replay found no recorded answer for a request."""


class RecordedAnswers:
    """Every recorded answer that replay may use, by request key; the first recorded wins.

    Sources are read once: ``--cassette`` files first (on first use), then the store's
    cassettes (``load``, before the first lookup). It also knows which answers each run's
    cassette in the store holds already, so an answer is filed under a run only once.
    """

    def __init__(self, files: Sequence[Path] = (), store: CassetteStore | None = None) -> None:
        self._files = list(files)
        self._store = store
        self._by_key: dict[str, Recording] = {}
        self._models: dict[str, str] = {}  # model -> backend, in the order first seen
        self._held: set[tuple[str, str]] = set()  # (run id, key) in the store's cassettes
        self._files_read = False
        self._store_read = False
        self._loading = asyncio.Lock()

    def _read_files(self) -> None:
        if not self._files_read:
            self._files_read = True
            for path in self._files:  # named by the user, so read as named
                for recording in parse_cassette(path.read_bytes()):
                    self.add(recording)

    async def load(self) -> None:
        """Read the store's cassettes, once (concurrent callers wait for the one reading)."""
        self._read_files()
        async with self._loading:
            if self._store is None or self._store_read:
                return
            for run_id, data in (await self._store.read_all()).items():
                for recording in parse_cassette(data):
                    self.add(recording, run_id)
            self._store_read = True

    def add(self, recording: Recording, run_id: str | None = None) -> None:
        """Know an answer (filed in ``run_id``'s cassette in the store, if given)."""
        self._read_files()
        self._by_key.setdefault(recording.key, recording)
        self._models.setdefault(recording.model, recording.backend)
        if run_id is not None:
            self._held.add((run_id, recording.key))

    def holds(self, run_id: str, key: str) -> bool:
        """Whether ``run_id``'s cassette in the store has an answer to request ``key``."""
        return (run_id, key) in self._held

    def models(self) -> list[str]:
        self._read_files()
        return list(self._models)

    def backend_of(self, model: str) -> str:
        self._read_files()
        return self._models.get(model, "")

    def find(self, key: str) -> Recording | None:
        self._read_files()
        return self._by_key.get(key)

    def describe_sources(self) -> str:
        names = [str(path) for path in self._files]
        if self._store is not None:
            names.append("the store's cassettes")
        return ", ".join(names) or "no cassettes"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class CassetteChatClient(ChatClientBase):
    """A chat client that records, replays, or replays and records misses (see module doc).

    ``client`` is the real backend (None in pure replay); ``cassettes`` is where recordings
    go, filed under the calling run's id; ``answers`` is what replay may answer from.
    """

    def __init__(
        self,
        mode: LlmMode,
        *,
        client: ChatClient | None,
        cassettes: CassetteStore | None,
        answers: RecordedAnswers | None = None,
    ) -> None:
        if mode != "replay" and client is None:
            raise ValueError(f"--llm {mode} needs a chat client to call")
        if mode in ("record", "replay-or-call") and cassettes is None:
            raise ValueError(f"--llm {mode} needs a store that keeps cassettes")
        self.mode = mode
        self._client = client
        self._cassettes = cassettes
        self._answers = answers or RecordedAnswers(store=cassettes)

    @property
    def backend_name(self) -> str:
        if self._client is not None:
            return f"{self._client.backend_name}, {self.mode}"
        recorded = self._answers.backend_of(self.model_name)
        return f"replay of {recorded}" if recorded else "replay"

    @property
    def model_name(self) -> str:
        if self._client is not None:
            return self._client.model_name
        models = self._answers.models()
        return models[0] if len(models) == 1 else "recorded"

    # -- lookups -------------------------------------------------------------------------------

    def _candidates(
        self, messages: Sequence[ChatMessage], options: ChatOptions, stream: bool
    ) -> list[tuple[str, dict[str, Any]]]:
        """(key, payload) per model the request may be for: the real client's model, or with
        none (pure replay) each recorded model, first recorded first."""
        models = [self._client.model_name] if self._client is not None else self._answers.models()
        payloads = [request_payload(m, messages, options, stream=stream) for m in models]
        return [(request_key(payload), payload) for payload in payloads]

    async def _recorded(
        self, messages: Sequence[ChatMessage], options: ChatOptions, stream: bool
    ) -> Recording | None:
        """The recorded answer to replay (filed under the calling run too), or None to call."""
        if self.mode not in ("replay", "replay-or-call"):
            return None
        await self._answers.load()
        for key, _ in self._candidates(messages, options, stream):
            found = self._answers.find(key)
            if found is not None:
                await self._file_replayed(found)
                return found
        if self.mode == "replay":
            raise self._miss(messages, options, stream)
        return None

    async def _file_replayed(self, recording: Recording) -> None:
        """Keep a replayed answer in the calling run's cassette too, so every run's cassette
        holds all it was given: it replays (and copies, and is pruned) on its own."""
        site = current_call_site()
        if site is None or self._cassettes is None:
            return
        if not self._answers.holds(site.workflow_id, recording.key):
            await self._cassettes.append(site.workflow_id, recording)
            self._answers.add(recording, site.workflow_id)

    def _miss(
        self, messages: Sequence[ChatMessage], options: ChatOptions, stream: bool
    ) -> CassetteMissError:
        site = current_call_site()
        who = f"{site.executor_id}'s" if site else "a"
        candidates = self._candidates(messages, options, stream)
        key = candidates[0][0][:12] if candidates else "-"
        models = ", ".join(self._answers.models()) or "none"
        return CassetteMissError(
            f"--llm replay has no recorded answer for {who} request "
            f"({len(messages)} messages, request {key}; models recorded: {models}; "
            f"searched {self._answers.describe_sources()}): record it with --llm record, "
            "or use --llm replay-or-call"
        )

    async def _record(
        self,
        messages: Sequence[ChatMessage],
        options: ChatOptions,
        *,
        response: AgentRunResponse | None = None,
        chunks: list[AgentRunResponseUpdate] | None = None,
    ) -> None:
        if self.mode not in ("record", "replay-or-call") or self._client is None:
            return
        assert self._cassettes is not None
        stream = chunks is not None
        payload = request_payload(self._client.model_name, messages, options, stream=stream)
        site = current_call_site()
        recording = Recording(
            key=request_key(payload),
            request=payload,
            backend=self._client.backend_name,
            executor=site.executor_id if site else None,
            recorded=_now(),
            response=encode_value(response, "response") if response is not None else None,
            chunks=encode_value(chunks, "chunks") if chunks is not None else None,
        )
        run_id = site.workflow_id if site else UNATTACHED
        await self._cassettes.append(run_id, recording)
        self._answers.add(recording, run_id)

    # -- ChatClient ----------------------------------------------------------------------------

    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse:
        recorded = await self._recorded(messages, options, stream=False)
        _REPLAYED.set(recorded is not None)
        if recorded is not None:
            return cast(AgentRunResponse, decode_value(recorded.response, "response"))
        assert self._client is not None
        response = await self._client.get_response(messages, **options)
        await self._record(messages, options, response=response)
        return response

    async def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        recorded = await self._recorded(messages, options, stream=True)
        _REPLAYED.set(recorded is not None)
        if recorded is not None:
            for chunk in cast(list[AgentRunResponseUpdate], decode_value(recorded.chunks)):
                yield chunk
            return
        assert self._client is not None
        chunks: list[AgentRunResponseUpdate] = []
        async for chunk in self._client.get_streaming_response(messages, **options):
            chunks.append(chunk)
            yield chunk
        # Only a stream that finished is an answer worth replaying.
        await self._record(messages, options, chunks=chunks)
