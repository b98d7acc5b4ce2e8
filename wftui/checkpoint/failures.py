"""Where in a value something failed: a path like ``executor_states.upper.cache[3]``.

The codec recurses without keeping track of where it is (that would cost on every value saved).
A failure carries the object it failed on; :func:`failure_path`, the one place failures are
caught, finds that object again in the value it started from and names the path to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from wftui.checkpoint.paths import format_segment

_SHOWN_SEGMENTS = 12  # of a very deep path: where it starts is what a reader needs

# A node's children as (path segment, child), in the order the codec visits them.
Children = Callable[[Any], Iterable[tuple[str, Any]]]


class Failure(Exception):
    """Raised deep in the recursion, naming the object it failed on."""

    def __init__(self, reason: str, subject: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.subject = subject


class UnknownType(Failure):
    """A tag names a class that is not on the allow-list."""

    def __init__(self, name: str, subject: Any) -> None:
        super().__init__(f"type {name!r} is not registered", subject)
        self.name = name


def key_segment(key: object) -> str:
    """A path segment for a mapping key in the one path form (``.name``, ``["a.key"]``); keys
    that are not strings (ints, tuples) show as their repr in brackets."""
    if isinstance(key, str):
        return format_segment(key)
    return f"[{key!r}]"


def _find(node: Any, subject: Any, children: Children, trail: list[str], seen: set[int]) -> bool:
    if node is subject:
        return True
    if id(node) in seen:
        return False
    seen.add(id(node))
    for segment, child in children(node):
        trail.append(segment)
        if _find(child, subject, children, trail, seen):
            return True
        trail.pop()
    return False


def locate(root: Any, subject: Any, children: Children) -> str:
    """The path segments from ``root`` to the first visit of ``subject`` ('' if not found)."""
    trail: list[str] = []
    try:
        found = _find(root, subject, children, trail, set())
    except RecursionError:
        found = False
    if not found:
        return ""
    if len(trail) > _SHOWN_SEGMENTS:
        hidden = len(trail) - _SHOWN_SEGMENTS
        trail = [*trail[:_SHOWN_SEGMENTS], f"...({hidden} levels more)"]
    return "".join(trail)


class failure_path:
    """Turn a ``Failure`` inside into ``error(full path, failure)``, the path found only now.

    A class rather than a ``@contextmanager`` generator: it wraps every value encoded and
    decoded, and a generator costs eight times as much to enter and leave."""

    __slots__ = ("_children", "_error", "_path", "_root")

    def __init__(
        self, root: Any, path: str, children: Children, error: Callable[[str, Failure], Exception]
    ) -> None:
        self._root, self._path, self._children, self._error = root, path, children, error

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, failure: BaseException | None, _: object
    ) -> None:
        if isinstance(failure, Failure):
            where = self._path + locate(self._root, failure.subject, self._children)
            raise self._error(where, failure) from failure.__cause__
