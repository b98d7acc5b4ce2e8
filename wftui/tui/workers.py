"""Work handed to Textual workers that a newer one may cancel before they start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec

P = ParamSpec("P")


def when_started(
    work: Callable[P, Awaitable[None]], *args: P.args, **kwargs: P.kwargs
) -> Callable[[], Awaitable[None]]:
    """``work(*args)``, made only when the worker starts: a worker cancelled before that (the
    next selection or key came in the same tick) leaves no coroutine that was never awaited."""

    async def started() -> None:
        await work(*args, **kwargs)

    return started
