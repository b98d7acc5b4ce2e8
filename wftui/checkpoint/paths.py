"""Where in a value something failed: a path like ``executor_states.upper.cache[3]``.

The codec recurses; a failure deep inside carries the segments each level adds on its way out,
through one context helper per container, so the path is only built when something fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType
from typing import Any

_SHOWN_SEGMENTS = 12  # of a very deep path: where it starts is what a reader needs
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Failure(Exception):
    """Raised deep in the recursion; each level adds its path segment on the way out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segments: list[str] = []

    def at(self, path: str) -> str:
        segments = self.segments[::-1]
        if len(segments) > _SHOWN_SEGMENTS:
            hidden = len(segments) - _SHOWN_SEGMENTS
            segments = [*segments[:_SHOWN_SEGMENTS], f"...({hidden} levels more)"]
        return path + "".join(segments)


class UnknownType(Failure):
    """A tag names a class that is not on the allow-list."""

    def __init__(self, name: str) -> None:
        super().__init__(f"type {name!r} is not registered")
        self.name = name


def key_segment(key: object) -> str:
    """A path segment for a mapping key: ``.name``, or ``['a.key']`` for anything unusual."""
    if isinstance(key, str) and _SIMPLE_KEY.fullmatch(key):
        return f".{key}"
    return f"[{key!r}]"


def index_segment(index: object) -> str:
    return f"[{index}]"


def field_segment(name: object) -> str:
    return f".{name}"


class Where:
    """Adds the position being worked on to a failure's path, on the way out.

    One per container: the loop sets ``key`` per item (cheap), and the segment is only formatted
    when something inside fails.
    """

    __slots__ = ("_format", "key")

    def __init__(self, format_segment: Callable[[Any], str], key: Any = None) -> None:
        self._format = format_segment
        self.key = key

    def __enter__(self) -> Where:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(error, Failure):
            error.segments.append(self._format(self.key))


def fixed(text: str) -> Callable[[Any], str]:
    return lambda _: text
