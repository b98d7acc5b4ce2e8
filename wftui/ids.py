"""The one id rule, for checkpoints and runs alike, in the app and on the command line.

Ids start with their time, so their heads rarely differ: people see (and type) the tail.
Display the last ``DISPLAY_WIDTH`` characters; accept any unique suffix of at least
``MIN_SUFFIX`` characters, or a unique prefix; an ambiguous one names its candidates.
Textual-free and engine-free, so every front end can share it.
"""

from __future__ import annotations

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
    shown = ", ".join(display_id(value) for value in matches[:SHOWN_CANDIDATES])
    more = f" and {len(matches) - SHOWN_CANDIDATES} more" if len(matches) > SHOWN_CANDIDATES else ""
    raise IdError(
        f"{kind} id {typed!r} is ambiguous: {len(matches)} match ({shown}{more}); type more of it",
        tuple(matches),
    )
