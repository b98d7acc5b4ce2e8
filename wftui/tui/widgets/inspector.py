"""The inspector: one checkpoint in full, as a collapsible tree of decoded values."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from wftui.agents.costs import ledger_totals
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.tui.spending import app_prices
from wftui.tui.text import one_line

# Containers show this many children; the rest are counted, not drawn.
MAX_CHILDREN = 200
MAX_DEPTH = 12


class CheckpointInspector(Tree[None]):
    """Shared state, executor states, pending messages and requests, metadata."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("no checkpoint selected"), id=id)
        self.root.allow_expand = False
        self.guide_depth = 2

    def show_checkpoint(self, checkpoint: WorkflowCheckpoint) -> None:
        self.clear()
        self.root.allow_expand = True
        self.root.set_label(Text(f"checkpoint {checkpoint.checkpoint_id}"))
        sections: list[tuple[str, Any, bool]] = [
            ("shared state", checkpoint.shared_state, True),
            ("executor states", checkpoint.executor_states, True),
            ("pending messages", _pending_messages(checkpoint), True),
            ("pending requests", checkpoint.pending_requests, True),
            ("fan-in buffers", checkpoint.fan_in_buffers, False),
            ("metadata", _metadata(checkpoint), False),
        ]
        if checkpoint.completed_writes:
            # A failed checkpoint: what resuming it replays instead of running again.
            sections.insert(4, ("replayed on resume", checkpoint.completed_writes, True))
        for title, value, expand in sections:
            node = _add(self.root, title, value, 0)
            if expand:
                node.expand()
        self.root.expand()

    def show_message(self, message: str) -> None:
        """Say why there is nothing to show (no selection, an unreadable file)."""
        self.clear()
        self.root.allow_expand = False
        self.root.set_label(Text(message))


def _pending_messages(checkpoint: WorkflowCheckpoint) -> list[Any]:
    """Each pending message as ``source -> target: value``, decoded."""
    entries = []
    for source, batch in checkpoint.messages.items():
        for message in batch:
            target = message.get("target_id") or "(edges decide)"
            entries.append(_Labelled(f"{source} → {target}", message.get("data")))
    return entries


def _metadata(checkpoint: WorkflowCheckpoint) -> dict[str, Any]:
    return {
        "checkpoint_id": checkpoint.checkpoint_id,
        "run (workflow_id)": checkpoint.workflow_id,
        "workflow_name": checkpoint.workflow_name,
        "parent": checkpoint.parent_checkpoint_id,
        "timestamp": checkpoint.timestamp,
        "superstep": checkpoint.iteration_count,
        "max_iterations": checkpoint.max_iterations,
        "status": checkpoint.status.value,
        "next executors": checkpoint.next_executor_ids,
        "graph_signature": checkpoint.graph_signature,
        "format_version": checkpoint.format_version,
        "error": checkpoint.error,
        # The ledger summed for people: tokens, calls, seconds, cost by the app's prices.
        "metadata": {
            **checkpoint.metadata,
            "ledger": ledger_totals(checkpoint.metadata, app_prices()),
        }
        if "ledger" in checkpoint.metadata
        else checkpoint.metadata,
    }


@dataclasses.dataclass(frozen=True)
class _Labelled:
    """A value shown under a label of our choosing instead of an index."""

    label: str
    value: Any


def _children(value: Any) -> list[tuple[str, Any]] | None:
    """The parts of a container value, or None for a leaf."""
    if isinstance(value, Mapping):
        return [(str(key), item) for key, item in value.items()]
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [
            (item.label, item.value) if isinstance(item, _Labelled) else (f"[{index}]", item)
            for index, item in enumerate(items)
        ]
    if isinstance(value, BaseModel):
        return [(name, getattr(value, name)) for name in type(value).model_fields]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(field.name, getattr(value, field.name)) for field in dataclasses.fields(value)]
    return None


def _summary(value: Any, count: int) -> str:
    if isinstance(value, Mapping):
        return f"{{{count}}}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"[{count}]"
    return type(value).__name__


def _add(parent: TreeNode[None], label: str, value: Any, depth: int) -> TreeNode[None]:
    parts = _children(value)
    if parts is None or depth >= MAX_DEPTH:
        shown = value.name if isinstance(value, Enum) else value
        return parent.add_leaf(Text.assemble((label, "bold"), ": ", one_line(shown, 300)))
    node = parent.add(Text.assemble((label, "bold"), " ", (_summary(value, len(parts)), "dim")))
    for child_label, child in parts[:MAX_CHILDREN]:
        _add(node, child_label, child, depth + 1)
    if len(parts) > MAX_CHILDREN:
        node.add_leaf(Text(f"… {len(parts) - MAX_CHILDREN} more", style="dim"))
    return node
