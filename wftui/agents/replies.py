"""What a model server sent back, judged: reply shapes, transport failures, patience settings.

The SDK builds replies without validating them and lets errors inside a stream through raw,
so the clients check both here, apart from how they word the result.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from wftui.agents.errors import ConfigurationError

DEFAULT_LLM_TIMEOUT = 60.0
TIMEOUT_VARIABLE = "WFTUI_LLM_TIMEOUT"
RAISE_TIMEOUT = f"raise --llm-timeout or {TIMEOUT_VARIABLE}"


def llm_timeout(explicit: float | None = None) -> float:
    """Seconds a call may go without receiving a byte: ``explicit``, else the environment's
    ``WFTUI_LLM_TIMEOUT``, else 60. A long answer that keeps arriving is never cut by it."""
    if explicit is not None:
        return explicit
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_LLM_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(
            f"{TIMEOUT_VARIABLE} must be a number of seconds above 0, not {raw!r}"
        )
    return seconds


def transport_failure(error: BaseException) -> str | None:
    """``"timeout"`` or ``"broken"`` for the SDK's HTTP library's read errors, else None.

    Errors inside a stream reach us raw, not as the SDK's own types. They are recognised by
    their class names, because the SDK's HTTP library has changed (httpx, then httpx2).
    """
    for cause in error_chain(error):
        kinds = type(cause).__mro__
        if not any(kind.__module__.split(".")[0].startswith("httpx") for kind in kinds):
            continue
        names = {kind.__name__ for kind in kinds}
        if "TimeoutException" in names:
            return "timeout"
        if "TransportError" in names:
            return "broken"
    return None


class MalformedReply(Exception):
    """A reply that parsed as JSON but is not shaped like a chat completion (or chunk)."""


def first_choice(reply: object, *, streamed: bool) -> tuple[str, str | None] | None:
    """``(text, finish_reason)`` of a completion's or chunk's first choice; None without one.

    The SDK builds replies without validating them, so every field is checked here.
    """
    choices = getattr(reply, "choices", None)
    if not isinstance(choices, list):
        raise MalformedReply("no choices list")
    if not choices:
        return None
    part = getattr(choices[0], "delta" if streamed else "message", None)
    if part is None:
        raise MalformedReply("a choice without its message")
    text = getattr(part, "content", None)
    finish = getattr(choices[0], "finish_reason", None)
    if not isinstance(text, str | None) or not isinstance(finish, str | None):
        raise MalformedReply("a choice whose content is not text")
    return text or "", finish


def error_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
