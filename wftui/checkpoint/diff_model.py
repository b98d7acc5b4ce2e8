"""The result of a checkpoint diff: changes, the two checkpoints compared, and their renderings.

Apart from the walk that finds the changes so the screens and the CLI that show a diff depend on
these types only; text (``str``, ``line``) and JSON (``to_json``) renderings live with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from wftui.checkpoint.diff_repr import typed_repr

# The parts of a checkpoint a diff walks, in the order str() and to_json() list them.
SECTIONS = (
    "checkpoint",
    "shared_state",
    "executor_states",
    "messages",
    "pending_requests",
    "fan_in_buffers",
    "completed_writes",
)


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    @property
    def symbol(self) -> str:
        """The mark a line starts with, so a change reads without colour (NO_COLOR)."""
        return {"added": "+", "removed": "-", "changed": "~"}[self.value]


@dataclass(frozen=True)
class Change:
    """One added, removed or changed value.

    ``before`` and ``after`` are the stored typed JSON (``before`` is unset for an added value,
    ``after`` for a removed one); ``text_diff`` holds unified-diff lines when both are long
    strings. ``section`` is one of :data:`SECTIONS`.
    """

    kind: ChangeKind
    section: str
    path: str
    before: Any = None
    after: Any = None
    text_diff: tuple[str, ...] = ()

    @property
    def before_text(self) -> str:
        """``before`` as a short typed repr ('' for an added value)."""
        return "" if self.kind is ChangeKind.ADDED else typed_repr(self.before)

    @property
    def after_text(self) -> str:
        """``after`` as a short typed repr ('' for a removed value)."""
        return "" if self.kind is ChangeKind.REMOVED else typed_repr(self.after)

    def line(self) -> str:
        """One line: symbol, path and the value(s), e.g. ``~ shared_state.n: 1 -> 2``."""
        head = f"{self.kind.symbol} {self.path}"
        if self.text_diff:
            return head
        if self.kind is ChangeKind.CHANGED:
            return f"{head}: {self.before_text} -> {self.after_text}"
        return f"{head}: {self.after_text or self.before_text}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "section": self.section,
            "path": self.path,
            "text_diff": list(self.text_diff),
        }
        if self.kind is not ChangeKind.ADDED:
            out["before"] = self.before
        if self.kind is not ChangeKind.REMOVED:
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class CheckpointRef:
    """Which checkpoint a side of the diff is."""

    checkpoint_id: str
    workflow_id: str
    iteration_count: int
    timestamp: str

    @property
    def short_id(self) -> str:
        return self.checkpoint_id[-8:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "workflow_id": self.workflow_id,
            "iteration_count": self.iteration_count,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class CheckpointDiff:
    """Everything that differs from checkpoint ``a`` to checkpoint ``b``."""

    a: CheckpointRef
    b: CheckpointRef
    changes: list[Change] = field(default_factory=list)

    @property
    def same_run(self) -> bool:
        return self.a.workflow_id == self.b.workflow_id

    def header(self) -> str:
        a, b = self.a, self.b
        text = (
            f"checkpoint {a.short_id} (superstep {a.iteration_count}) -> "
            f"{b.short_id} (superstep {b.iteration_count})"
        )
        if self.same_run:
            return f"{text}, run {a.workflow_id[-8:]}"
        return f"{text}, different runs: {a.workflow_id[-8:]} -> {b.workflow_id[-8:]}"

    def __str__(self) -> str:
        if not self.changes:
            return f"{self.header()}\nno changes: both hold the same state"
        count = len(self.changes)
        lines = [self.header(), f"{count} change{'' if count == 1 else 's'}"]
        section = None
        for change in self.changes:
            if change.section != section:
                section = change.section
                lines.append(section)
            lines.append("  " + change.line())
            lines.extend("      " + text for text in change.text_diff)
        return "\n".join(lines)

    def to_json(self) -> str:
        """Stable JSON for scripts: the same two checkpoints always give the same text.

        ``{"a": ref, "b": ref, "same_run": bool, "changes": [change...]}`` with object keys
        sorted; a ref is ``{"checkpoint_id", "iteration_count", "timestamp", "workflow_id"}``;
        a change is ``{"kind": "added"|"removed"|"changed", "path", "section", "text_diff":
        [lines], "before", "after"}`` (typed JSON; no ``before`` when added, no ``after`` when
        removed), listed by section in :data:`SECTIONS` order, then in path order.
        """
        document = {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "same_run": self.same_run,
            "changes": [change.to_dict() for change in self.changes],
        }
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()
