"""A graph mismatch as a short list, not one long line. Textual-free.

The engine's ``GraphMismatchError`` says ``HEAD: difference; difference; ...``; an edge
difference spans ``edges differ; only in checkpoint: ...; only here: ...``.
"""

from __future__ import annotations

_EDGE_PARTS = {
    "only in checkpoint: ": "edges removed (only in the checkpoint): ",
    "only here: ": "edges added (only in the pipeline now): ",
}
_RENAMED = {
    "executors missing here: ": "executors removed: ",
    "executors not in the checkpoint: ": "executors added: ",
    "executor types changed: ": "executor types changed: ",
}


def mismatch_lines(message: str) -> tuple[str, list[str]]:
    """The head sentence and one line per difference."""
    head, colon, rest = message.partition(": ")
    if not colon:
        return message, []
    lines = []
    for part in rest.split("; "):
        if part == "edges differ":
            continue
        for old, new in (_EDGE_PARTS | _RENAMED).items():
            if part.startswith(old):
                part = new + part.removeprefix(old)
                break
        lines.append(part)
    return head, lines


def mismatch_text(message: str) -> str:
    """``head:`` then ``  • difference`` lines, for a toast or a dialog."""
    head, lines = mismatch_lines(message)
    return "\n".join([f"{head}:" if lines else head, *(f"  • {line}" for line in lines)])
