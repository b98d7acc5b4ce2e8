"""The one id rule, for checkpoints and runs alike, in the app and on the command line.

Ids start with their time, so their heads rarely differ: people see (and type) the tail.
Display the last ``DISPLAY_WIDTH`` characters; accept any unique suffix of at least
``MIN_SUFFIX`` characters, or a unique prefix; an ambiguous one names its candidates.
Textual-free and engine-free, so every front end can share it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

DISPLAY_WIDTH = 8
MIN_SUFFIX = 4
SHOWN_CANDIDATES = 5


class IdError(LookupError):
    """An id matches nothing or more than one; the message says which and lists candidates."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def display_id(value: str, width: int = DISPLAY_WIDTH) -> str:
    """The tail of an id (its random part), as the app and the CLI show it."""
    return value[-width:] if len(value) > width else value


class IdNames:
    """The names a listing shows for a set of ids: each id's tail, made longer only where its
    last ``DISPLAY_WIDTH`` characters would also name another id of the set (as a suffix or a
    prefix), so a name pasted back into ``resolve_id`` always gives its own id.

    Tails are random, so the longer form is rare; it is found by a scan of the set, and every
    other name costs two counter lookups.
    """

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids: set[str] = set()
        self._tails: Counter[str] = Counter()
        self._heads: Counter[str] = Counter()
        for value in ids:
            self.add(value)

    def add(self, value: str) -> None:
        """One more id the names must tell apart (a checkpoint saved since the listing)."""
        if value not in self._ids:
            self._ids.add(value)
            self._tails[value[-DISPLAY_WIDTH:]] += 1
            self._heads[value[:DISPLAY_WIDTH]] += 1

    def name(self, value: str) -> str:
        """The shortest tail (``DISPLAY_WIDTH`` or more) that names ``value`` alone."""
        self.add(value)
        tail = display_id(value)
        if tail == value:
            return value  # exact: resolve_id prefers it to any suffix or prefix match
        own_head = 1 if value.startswith(tail) else 0
        if self._tails[tail] == 1 and self._heads[tail] == own_head:
            return tail
        for width in range(DISPLAY_WIDTH + 1, len(value)):
            tail = value[-width:]
            if not any(
                other != value and (other.endswith(tail) or other.startswith(tail))
                for other in self._ids
            ):
                return tail
        return value


def resolve_id(typed: str, known: Iterable[str], *, kind: str = "checkpoint") -> str:
    """The one id in ``known`` that ``typed`` names: exactly, by suffix (4+ chars) or by prefix.

    An exact match wins; otherwise suffix and prefix matches are pooled, so a typed text that
    is the tail of one id and the head of another is reported as ambiguous, not guessed.
    """
    typed = typed.strip()
    ids = list(dict.fromkeys(known))
    if not typed:
        raise IdError(f"no {kind} id given")
    if typed in ids:
        return typed
    matches = [
        value
        for value in ids
        if value.startswith(typed) or (len(typed) >= MIN_SUFFIX and value.endswith(typed))
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        hint = "" if len(typed) >= MIN_SUFFIX else f" (a suffix needs {MIN_SUFFIX}+ characters)"
        raise IdError(f"no {kind} matches {typed!r}{hint}")
    names = IdNames(ids)  # candidates that share a tail are still told apart
    shown = ", ".join(names.name(value) for value in matches[:SHOWN_CANDIDATES])
    more = f" and {len(matches) - SHOWN_CANDIDATES} more" if len(matches) > SHOWN_CANDIDATES else ""
    raise IdError(
        f"{kind} id {typed!r} is ambiguous: {len(matches)} match ({shown}{more}); type more of it",
        tuple(matches),
    )
