"""Cassettes: record a run's model answers and replay them offline, exactly.

``CassetteChatClient`` wraps any backend's chat client. Recording passes each call through the
real client (its SDK, its error handling) and writes the request and the answer, streamed chunks
included, to the run's cassette; replaying answers a request from recorded answers when what
would be sent matches exactly (a hash of the canonical JSON of model, messages, options and
whether it streams). Replay builds no backend, so it needs no endpoint, key or credential.

A cassette holds only the request's content and the answer: never a header, key or token (the
wrapper never sees them; the SDK adds them below it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast, get_args

from typing_extensions import Unpack

from wftui.agents.agent import ChatClientBase
from wftui.agents.client import ChatClient, ChatOptions
from wftui.agents.errors import ChatClientError
from wftui.agents.types import AgentRunResponse, AgentRunResponseUpdate, ChatMessage
from wftui.checkpoint.codec import decode_value, encode_value
from wftui.checkpoint.file.osio import open_regular, pread_all, write_all
from wftui.checkpoint.storage import validate_checkpoint_id
from wftui.engine.current import current_call_site

LlmMode = Literal["call", "record", "replay", "replay-or-call"]
LLM_MODES: tuple[str, ...] = get_args(LlmMode)
CASSETTE_FOLDER = "cassettes"
SUFFIX = ".jsonl"
# A recording made outside any run (a client called directly) is filed under this name.
UNATTACHED = "unattached"
# Options that change how the call travels, not what the model is asked.
_TRANSPORT_OPTIONS = frozenset({"timeout"})
_FORMAT = 1


# Whether the last answer in this task came from a cassette (each executor runs in its own task).
_REPLAYED: ContextVar[bool] = ContextVar("wftui_answer_replayed", default=False)


def answer_was_replayed() -> bool:
    """Whether the last chat answer this task received was replayed, not paid for: the
    ledger counts such a call as saved."""
    return _REPLAYED.get()


class CassetteMissError(ChatClientError):
    """Strict replay found no recorded answer for a request."""


def request_payload(
    model: str, messages: Sequence[ChatMessage], options: ChatOptions, *, stream: bool
) -> dict[str, Any]:
    """What a call asks the model, as plain JSON: the part of a request a recording keys on."""
    return {
        "model": model,
        "messages": [
            {"role": m.role.value, "text": m.text, "author_name": m.author_name} for m in messages
        ],
        "options": {k: v for k, v in sorted(options.items()) if k not in _TRANSPORT_OPTIONS},
        "stream": stream,
    }


def request_key(payload: dict[str, Any]) -> str:
    """A stable hash of a request payload (canonical JSON: sorted keys, no spaces)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Recording:
    """One answered request: one line of a cassette."""

    key: str
    request: dict[str, Any]
    backend: str
    executor: str | None
    recorded: str
    # Typed JSON (the checkpoint codec's): the whole reply, or the stream's chunks.
    response: Any = None
    chunks: list[Any] | None = None

    @property
    def model(self) -> str:
        return str(self.request.get("model", ""))

    def to_line(self) -> bytes:
        fields = {
            "format": _FORMAT,
            "key": self.key,
            "request": self.request,
            "backend": self.backend,
            "executor": self.executor,
            "recorded": self.recorded,
            "response": self.response,
            "chunks": self.chunks,
        }
        return (json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_line(cls, line: bytes) -> Recording | None:
        """The recording on ``line``, or None for a torn or foreign line (skipped, not fatal)."""
        try:
            fields = json.loads(line)
            if not isinstance(fields, dict) or fields.get("format") != _FORMAT:
                return None
            return cls(
                key=str(fields["key"]),
                request=dict(fields["request"]),
                backend=str(fields.get("backend", "")),
                executor=fields.get("executor"),
                recorded=str(fields.get("recorded", "")),
                response=fields.get("response"),
                chunks=fields.get("chunks"),
            )
        except (ValueError, KeyError, TypeError):
            return None


def parse_cassette(data: bytes) -> list[Recording]:
    """The recordings in a cassette file's bytes; unreadable lines are left out."""
    lines = (Recording.from_line(line) for line in data.splitlines() if line.strip())
    return [recording for recording in lines if recording is not None]


class CassetteStore(Protocol):
    """Where a store keeps its runs' cassettes: one cassette (JSON lines) per run id."""

    def append(self, run_id: str, recording: Recording) -> None: ...

    def run_ids(self) -> list[str]: ...

    def read(self, run_id: str) -> bytes | None: ...

    def write(self, run_id: str, data: bytes) -> None:
        """Replace a run's cassette whole (``copy_cassettes`` uses it)."""
        ...

    def delete(self, run_id: str) -> bool: ...


class FileCassetteStore:
    """``<checkpoint folder>/cassettes/<run id>.jsonl``; every open refuses links (O_NOFOLLOW)."""

    def __init__(self, checkpoint_folder: str | Path) -> None:
        self.folder = Path(checkpoint_folder) / CASSETTE_FOLDER

    def _path(self, run_id: str) -> str:
        return os.fspath(self.folder / f"{validate_checkpoint_id(run_id)}{SUFFIX}")

    def append(self, run_id: str, recording: Recording) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = open_regular(self._path(run_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            write_all(fd, recording.to_line())  # one write: a crash leaves at most a torn line
        finally:
            os.close(fd)

    def run_ids(self) -> list[str]:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))

    def read(self, run_id: str) -> bytes | None:
        try:
            fd = open_regular(self._path(run_id), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return pread_all(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    def write(self, run_id: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(run_id)
        fd = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    def delete(self, run_id: str) -> bool:
        try:
            os.unlink(self._path(run_id))
        except FileNotFoundError:
            return False
        return True


class MemoryCassetteStore:
    """Cassettes in a dict, for the in-memory checkpoint store and tests."""

    def __init__(self) -> None:
        self._runs: dict[str, bytes] = {}

    def append(self, run_id: str, recording: Recording) -> None:
        self._runs[run_id] = self._runs.get(run_id, b"") + recording.to_line()

    def run_ids(self) -> list[str]:
        return sorted(self._runs)

    def read(self, run_id: str) -> bytes | None:
        return self._runs.get(run_id)

    def write(self, run_id: str, data: bytes) -> None:
        self._runs[run_id] = data

    def delete(self, run_id: str) -> bool:
        return self._runs.pop(run_id, None) is not None


_MEMORY_CASSETTES: weakref.WeakKeyDictionary[Any, MemoryCassetteStore] = weakref.WeakKeyDictionary()


def cassette_store_for(storage: object) -> CassetteStore | None:
    """The cassettes kept with a checkpoint store, or None where a store has none yet.

    A folder keeps them in its ``cassettes/`` subfolder; an in-memory store gets a memory one
    for as long as it lives. SQL stores have none yet (a ``cassettes`` table keyed by run id,
    holding the same lines, would implement ``CassetteStore``).
    """
    from wftui.checkpoint.file import FileCheckpointStorage
    from wftui.checkpoint.memory import InMemoryCheckpointStorage

    if isinstance(storage, FileCheckpointStorage):
        return FileCassetteStore(storage.storage_path)
    if isinstance(storage, InMemoryCheckpointStorage):
        return _MEMORY_CASSETTES.setdefault(storage, MemoryCassetteStore())
    return None


def copy_cassettes(source: object, target: object, run_ids: Iterable[str]) -> int:
    """Copy the cassettes of ``run_ids`` between two checkpoint stores (``checkpoints copy``);
    returns how many were copied. Stores without cassettes copy none."""
    source_cassettes, target_cassettes = cassette_store_for(source), cassette_store_for(target)
    if source_cassettes is None or target_cassettes is None:
        return 0
    copied = 0
    for run_id in run_ids:
        data = source_cassettes.read(run_id)
        if data is not None:
            target_cassettes.write(run_id, data)
            copied += 1
    return copied


async def copy_run_cassettes(source: object, target: object, run: str | None) -> None:
    """``checkpoints copy``'s extra step (``wftui.checkpoint.copy.EXTRA_STEPS``): the
    cassettes of the run copied, or of every run."""
    cassettes = cassette_store_for(source)
    if cassettes is not None:
        copy_cassettes(source, target, [run] if run else cassettes.run_ids())


def delete_cassettes(storage: object, run_ids: Iterable[str]) -> int:
    """Delete the cassettes of ``run_ids`` with their runs (``checkpoints prune``)."""
    cassettes = cassette_store_for(storage)
    if cassettes is None:
        return 0
    return sum(cassettes.delete(run_id) for run_id in run_ids)


class RecordedAnswers:
    """Every recorded answer that replay may use, by request key; the first recorded wins.

    Sources are read lazily, once: ``--cassette`` files first, then the store's cassettes.
    """

    def __init__(self, files: Sequence[Path] = (), store: CassetteStore | None = None) -> None:
        self._files = list(files)
        self._store = store
        self._by_key: dict[str, Recording] | None = None
        self._models: dict[str, str] = {}  # model -> backend, in the order first seen

    def _index(self) -> dict[str, Recording]:
        if self._by_key is None:
            self._by_key = {}
            for recording in self._read_all():
                self.add(recording)
        return self._by_key

    def _read_all(self) -> Iterator[Recording]:
        for path in self._files:  # named by the user, so read as named
            yield from parse_cassette(path.read_bytes())
        if self._store is not None:
            for run_id in self._store.run_ids():
                yield from parse_cassette(self._store.read(run_id) or b"")

    def add(self, recording: Recording) -> None:
        index = self._index()
        index.setdefault(recording.key, recording)
        self._models.setdefault(recording.model, recording.backend)

    def models(self) -> list[str]:
        self._index()
        return list(self._models)

    def backend_of(self, model: str) -> str:
        self._index()
        return self._models.get(model, "")

    def find(self, key: str) -> Recording | None:
        return self._index().get(key)

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

    def _recorded(
        self, messages: Sequence[ChatMessage], options: ChatOptions, stream: bool
    ) -> Recording | None:
        if self.mode not in ("replay", "replay-or-call"):
            return None
        for key, _ in self._candidates(messages, options, stream):
            found = self._answers.find(key)
            if found is not None:
                return found
        if self.mode == "replay":
            raise self._miss(messages, options, stream)
        return None

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

    def _record(
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
        self._cassettes.append(site.workflow_id if site else UNATTACHED, recording)
        self._answers.add(recording)

    # -- ChatClient ----------------------------------------------------------------------------

    async def get_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AgentRunResponse:
        recorded = self._recorded(messages, options, stream=False)
        _REPLAYED.set(recorded is not None)
        if recorded is not None:
            return cast(AgentRunResponse, decode_value(recorded.response, "response"))
        assert self._client is not None
        response = await self._client.get_response(messages, **options)
        self._record(messages, options, response=response)
        return response

    async def get_streaming_response(
        self, messages: Sequence[ChatMessage], **options: Unpack[ChatOptions]
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        recorded = self._recorded(messages, options, stream=True)
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
        self._record(messages, options, chunks=chunks)
