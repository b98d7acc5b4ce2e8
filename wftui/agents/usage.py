"""Token usage: read from the SDK's replies, and written to the run's ledger per model call.

A count the server did not send stays unknown (None): a streamed reply from a server that sends
no usage is recorded as a call of unknown size, never an estimate.
"""

from __future__ import annotations

from typing import Any

from wftui.agents.types import UsageDetails
from wftui.engine.ledger import Counts

UNKNOWN_MODEL = "(unknown model)"
# The ledger's names for UsageDetails' counts (the same words, so a reader needs no table).
TOKEN_COUNTS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_from_sdk(counts: object) -> UsageDetails | None:
    """The ``usage`` of a chat completion or of a stream's last chunk, or None without one.

    The SDK builds replies without validating them, so a count that is not a whole number is
    taken as unknown rather than trusted.
    """
    if counts is None:
        return None
    prompt_details = getattr(counts, "prompt_tokens_details", None)
    completion_details = getattr(counts, "completion_tokens_details", None)
    return UsageDetails(
        input_tokens=_count(getattr(counts, "prompt_tokens", None)),
        output_tokens=_count(getattr(counts, "completion_tokens", None)),
        total_tokens=_count(getattr(counts, "total_tokens", None)),
        cached_input_tokens=_count(getattr(prompt_details, "cached_tokens", None)),
        reasoning_tokens=_count(getattr(completion_details, "reasoning_tokens", None)),
    )


def call_counts(
    model: str, usage: UsageDetails | None, elapsed_ms: int, *, spends_tokens: bool = True
) -> Counts:
    """One model call as ledger counts, filed under its model so prices can apply later; a
    call without counts is one of unknown size, unless it spends no tokens (local functions)."""
    per_model: dict[str, Any] = {"calls": 1, "ms": elapsed_ms}
    counted = usage is not None and not (usage.input_tokens is None and usage.output_tokens is None)
    if usage is not None and counted:
        for name in TOKEN_COUNTS:
            value = getattr(usage, name)
            if value:
                per_model[name] = value
        if usage.total_tokens is None:
            per_model["total_tokens"] = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    elif spends_tokens:
        per_model["unknown_calls"] = 1
    return {"calls": 1, "models": {model: per_model}}
