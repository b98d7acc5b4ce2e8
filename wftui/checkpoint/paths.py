"""Value paths: the one way errors, the inspector, ``--set`` and diffs name a value in a checkpoint.

A path is a list of segments, each a ``str`` (a mapping key, a model or dataclass field, or a
checkpoint field such as ``shared_state``) or an ``int`` (a position in a list or tuple).
Written as text:

- a key made only of ASCII letters, digits, ``_`` and ``-`` is written bare, after a ``.``
  (no dot before the first segment): ``shared_state.draft``, ``executor_states.lower-agent``;
- any other key (empty, holding ``.``, ``[``, a space, a quote, non-ASCII...) is written in
  brackets as JSON writes the string: ``shared_state["a.key"]``. Reading accepts either quote
  (``['a.key']`` too) and every escape of a Python ``str``
  literal, so ``shared_state["a.key"]`` names the same value;
- a position is written in brackets as a decimal number: ``conversation[2]``.

``.123`` is therefore the key ``'123'`` and ``[123]`` the position 123. This is exactly the form
the codec uses for the paths in its encoding and decoding errors, so an error message, a diff
line and a ``--set`` argument can be copied into one another.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Sequence

Segment = str | int

_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"[0-9]+")


class PathError(ValueError):
    """A path that cannot be read or written; the message is one line naming the problem."""


def format_segment(segment: Segment) -> str:
    """One segment as it appears after another: ``.key``, ``["odd key"]`` or ``[2]``."""
    if isinstance(segment, bool) or not isinstance(segment, str | int):
        raise PathError(f"a path segment is a str key or an int position, not {segment!r}")
    if isinstance(segment, int):
        if segment < 0:
            raise PathError(f"a path position cannot be negative: {segment}")
        return f"[{segment}]"
    if _SIMPLE_KEY.fullmatch(segment):
        return f".{segment}"
    return f"[{json.dumps(segment, ensure_ascii=False)}]"


def format_path(segments: Sequence[Segment]) -> str:
    """The text form of a path (at least one segment); :func:`parse_path` reads it back."""
    if not segments:
        raise PathError("a path needs at least one segment")
    text = "".join(format_segment(segment) for segment in segments)
    return text[1:] if text.startswith(".") else text


def parse_path(text: str) -> list[Segment]:
    """The segments of a path written as :func:`format_path` writes it (either quote accepted)."""
    return _Parser(text).parse()


class _Parser:
    """Reads a path left to right; every error names the position it stopped at."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, reason: str) -> PathError:
        return PathError(f"invalid path {self.text!r}: {reason} at position {self.at}")

    def parse(self) -> list[Segment]:
        if not self.text:
            raise PathError("invalid path '': a path cannot be empty")
        segments: list[Segment] = []
        if self.text[0] != "[":
            segments.append(self.key())
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == ".":
                self.at += 1
                segments.append(self.key())
            elif char == "[":
                self.at += 1
                segments.append(self.bracket())
            else:
                raise self.fail(f"expected '.' or '[' but found {char!r}")
        return segments

    def key(self) -> str:
        match = _SIMPLE_KEY.match(self.text, self.at)
        if match is None:
            found = f"found {self.text[self.at]!r}" if self.at < len(self.text) else "the path ends"
            raise self.fail(
                f"expected a key of letters, digits, '_' or '-' but {found} "
                "(write other keys quoted in brackets, as in ['a.key'])"
            )
        self.at = match.end()
        return match.group()

    def bracket(self) -> Segment:
        segment: Segment
        quote = self.text[self.at : self.at + 1]
        if quote in ("'", '"'):
            segment = self.quoted(quote)
        else:
            match = _DIGITS.match(self.text, self.at)
            if match is None:
                raise self.fail("expected a quoted key or a position (0, 1, 2...) after '['")
            if match.group() != str(int(match.group())):
                raise self.fail("a position has no leading zeros")
            segment = int(match.group())
            self.at = match.end()
        if self.text[self.at : self.at + 1] != "]":
            raise self.fail("expected ']'")
        self.at += 1
        return segment

    def quoted(self, quote: str) -> str:
        """A Python ``str`` literal: find its closing quote, then let ``ast`` read the escapes."""
        start, end = self.at, self.at + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise self.fail(f"the key opened by {quote} is never closed")
        try:
            with warnings.catch_warnings():  # an unknown escape such as \q only warns
                warnings.simplefilter("error")
                key: str = ast.literal_eval(self.text[start : end + 1])
        except (SyntaxError, ValueError, Warning):
            raise self.fail("the quoted key has an invalid escape or a line break") from None
        self.at = end + 1
        return key
