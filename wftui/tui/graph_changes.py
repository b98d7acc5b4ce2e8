"""A graph mismatch as a short list, not one long line. Textual-free.

The engine's ``GraphMismatchError`` carries its ``head`` and a list of ``differences``; an edge
difference reads ``edges differ; only in checkpoint: ...; only here: ...`` and becomes two lines.
"""

from __future__ import annotations

from wftui.engine import GraphMismatchError

_EDGE_PARTS = {
    "only in checkpoint: ": "edges removed (only in the checkpoint): ",
    "only here: ": "edges added (only in the pipeline now): ",
}
_RENAMED = {
    "executors missing here: ": "executors removed: ",
    "executors not in the checkpoint: ": "executors added: ",
    "executor types changed: ": "executor types changed: ",
}


def mismatch_lines(error: GraphMismatchError) -> tuple[str, list[str]]:
    """The head sentence and one line per difference."""
    lines = []
    for part in (piece for difference in error.differences for piece in difference.split("; ")):
        if part == "edges differ":
            continue
        for old, new in (_EDGE_PARTS | _RENAMED).items():
            if part.startswith(old):
                part = new + part.removeprefix(old)
                break
        lines.append(part)
    return error.head, lines


def mismatch_text(error: GraphMismatchError) -> str:
    """``head:`` then ``  • difference`` lines, for a toast or a dialog."""
    head, lines = mismatch_lines(error)
    return "\n".join([f"{head}:" if lines else head, *(f"  • {line}" for line in lines)])
