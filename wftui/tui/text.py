"""Small text helpers shared by the panes and the CLI: ids, counts, one-line values, clock times."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from wftui.ids import DISPLAY_WIDTH, display_id

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def short_id(value: str, width: int = DISPLAY_WIDTH) -> str:
    """The tail of an id, by the one id rule (``wftui.ids``)."""
    return display_id(value, width)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 checkpoint``, ``2 checkpoints``: a count with its noun in the right number
    (``plural`` for nouns that do not just take an ``s``)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def plural_noun(nouns: str) -> tuple[str, str]:
    """``("journal", "journals")`` from ``"journals"``: for names kept in the plural."""
    return (nouns[:-1] if nouns.endswith("s") else nouns), nouns


def one_line(value: object, limit: int = 200) -> str:
    """``value`` as one printable line, cut at ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = _CONTROL.sub(" ", text.replace("\n", " ⏎ "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_timestamp(value: str) -> float:
    """Seconds since the epoch from a checkpoint's ISO-8601 UTC timestamp (0.0 if unreadable)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class Clock:
    """How the app shows times. Tests pin the zone and "now" so screenshots never drift."""

    tz: tzinfo | None = None
    now: Callable[[], float] = field(default=time.time)

    def _local(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, self.tz)

    def time_of_day(self, seconds: float) -> str:
        """``12:04:05.123``: the event log's resolution."""
        moment = self._local(seconds)
        return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"

    def when(self, seconds: float) -> str:
        """``12:04:05`` today, ``03-14 12:04`` on another day."""
        moment = self._local(seconds)
        if moment.date() == self._local(self.now()).date():
            return moment.strftime("%H:%M:%S")
        return moment.strftime("%m-%d %H:%M")
