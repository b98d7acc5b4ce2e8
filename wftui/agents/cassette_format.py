"""What a cassette holds: one recorded request and answer per JSON line, keyed by a request hash.

Apart from the stores (where the lines live) and the client (when they are written and read), so
the line format and the request key, which a recording and its replay must agree on, sit in one
place. A line holds only the request's content and the answer: never a header, key or token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wftui.agents.client import ChatOptions
from wftui.agents.types import ChatMessage

# Options that change how the call travels, not what the model is asked.
_TRANSPORT_OPTIONS = frozenset({"timeout"})
_FORMAT = 1


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
