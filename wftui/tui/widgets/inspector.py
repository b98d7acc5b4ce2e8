"""The inspector: one checkpoint in full, as a collapsible tree of decoded values."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel
from rich.pretty import pretty_repr
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from wftui.agents.costs import ledger_totals
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.tui.screens.viewer import ValueViewer
from wftui.tui.spending import app_prices
from wftui.tui.text import one_line, short_id

# Containers show this many children; the rest are counted, not drawn.
MAX_CHILDREN = 200
MAX_DEPTH = 12
# A failure shows the end of its traceback, where the cause is; the full text stays in the file.
TRACEBACK_LINES = 12


class CheckpointInspector(Tree[object]):
    """Shared state, executor states, pending messages and requests, metadata."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding(
            "v",
            "view_value",
            "View",
            id="wftui.inspector.view",
            tooltip="Open the highlighted value full screen: wrapped, scrollable, searchable",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("no checkpoint selected"), id=id)
        self.root.allow_expand = False
        self.guide_depth = 2

    def show_checkpoint(self, checkpoint: WorkflowCheckpoint) -> None:
        self.clear()
        self.root.allow_expand = True
        self.root.set_label(Text(f"checkpoint {short_id(checkpoint.checkpoint_id)}"))
        failed = checkpoint.error is not None
        if failed:
            failure = self._add_failure(checkpoint)
            self.call_after_refresh(self.move_cursor, failure)
        # A failed checkpoint opens on the failure; its state sections start folded.
        sections: list[tuple[str, Any, bool]] = [
            ("shared state", checkpoint.shared_state, not failed),
            ("executor states", checkpoint.executor_states, not failed),
            ("pending messages", _pending_messages(checkpoint), not failed),
            ("pending requests", checkpoint.pending_requests, True),
            ("fan-in buffers", checkpoint.fan_in_buffers, False),
            ("metadata", _metadata(checkpoint), False),
        ]
        for title, value, expand in sections:
            node = _add(self.root, title, value, 0)
            if expand:
                node.expand()
        self.root.expand()

    def _add_failure(self, checkpoint: WorkflowCheckpoint) -> TreeNode[object]:
        """What failed, where, the traceback's tail, then what a resume replays and reruns."""
        error = checkpoint.error or {}
        replayed = list(checkpoint.completed_writes)
        reruns = [eid for eid in checkpoint.next_executor_ids if eid not in replayed]
        node = self.root.add(Text("✗ failure", style="bold"), expand=True)
        what = f"{error.get('error_type', 'error')}: {error.get('message', '')}"
        node.add_leaf(Text.assemble(("error", "bold"), ": ", one_line(what, 300)), data=what)
        executor = error.get("executor_id") or "(the run itself)"
        node.add_leaf(Text.assemble(("executor", "bold"), ": ", executor), data=executor)
        trace = str(error.get("traceback") or "").rstrip().splitlines()
        if trace:
            tail = node.add(
                Text.assemble(("traceback", "bold"), (f" last {TRACEBACK_LINES} lines", "dim"))
                if len(trace) > TRACEBACK_LINES
                else Text("traceback", style="bold"),
                data="\n".join(trace),
                expand=True,
            )
            for line in trace[-TRACEBACK_LINES:]:
                tail.add_leaf(Text(line))
        replays = _add(node, "replayed on resume", checkpoint.completed_writes, 1)
        replays.expand()
        node.add_leaf(
            Text.assemble(("rerun on resume", "bold"), ": ", ", ".join(reruns) or "nothing")
        )
        return node

    def action_view_value(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        title = str(node.label).partition(":")[0]
        self.app.push_screen(ValueViewer(title, _full_text(node.data)))

    def show_message(self, message: str) -> None:
        """Say why there is nothing to show (no selection, an unreadable file)."""
        self.clear()
        self.root.allow_expand = False
        self.root.set_label(Text(message))


class _NoneValue:
    """Stands for a value that is None, since a node without data has no value to view."""


_NONE = _NoneValue()


def _stored(value: Any) -> object:
    return _NONE if value is None else value


def _full_text(value: object) -> str:
    """A value whole, as the viewer shows it: strings as they are, the rest pretty-printed."""
    if value is _NONE:
        return "None"
    if isinstance(value, str):
        return value
    if isinstance(value, _Labelled):
        value = value.value
    return pretty_repr(value, max_width=100)


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


def _add(parent: TreeNode[object], label: str, value: Any, depth: int) -> TreeNode[object]:
    parts = _children(value)
    if parts is None or depth >= MAX_DEPTH:
        shown = value.name if isinstance(value, Enum) else value
        return parent.add_leaf(
            Text.assemble((label, "bold"), ": ", one_line(shown, 300)), data=_stored(value)
        )
    node = parent.add(
        Text.assemble((label, "bold"), " ", (_summary(value, len(parts)), "dim")),
        data=_stored(value),
    )
    for child_label, child in parts[:MAX_CHILDREN]:
        _add(node, child_label, child, depth + 1)
    if len(parts) > MAX_CHILDREN:
        node.add_leaf(Text(f"… {len(parts) - MAX_CHILDREN} more", style="dim"))
    return node
