"""The fork editor: change a checkpoint's values as JSON, typed, then save them as a fork.

Left, the editable tree: shared state, executor states, pending messages and pending requests,
with the fields inside each value. Right, the highlighted value as JSON. Every change is
checked as it is typed, against the value's own type (``engine.fork.set_at``), and a problem
shows right under the value; ctrl+s writes the fork only when every change fits, and the
engine checks everything again before it writes (so nothing is written on any error).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ClassVar

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static, TextArea, Tree
from textual.widgets.tree import TreeNode

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.paths import Segment, format_path
from wftui.engine.errors import WorkflowRunError
from wftui.engine.fork import ForkError, set_at
from wftui.tui.text import counted, one_line, short_id

Path = tuple[Segment, ...]
SaveFork = Callable[[dict[str, Any]], Awaitable[str]]

_DEPTH = 4  # how deep the tree shows fields; deeper values are edited through their parent
_ITEMS = 50  # how many items of a list the tree shows


def editable_values(checkpoint: WorkflowCheckpoint) -> dict[Path, Any]:
    """The values a fork can replace, each by its path (as ``wftui fork --set`` names it)."""
    values: dict[Path, Any] = {}
    for key, value in checkpoint.shared_state.items():
        values["shared_state", key] = value
    for executor_id, state in checkpoint.executor_states.items():
        values["executor_states", executor_id] = state
    for source, batch in checkpoint.messages.items():
        for index, entry in enumerate(batch):
            values["messages", source, index, "data"] = entry.get("data")
    for request_id, record in checkpoint.pending_requests.items():
        values["pending_requests", request_id, "data"] = record.get("data")
    return values


def _inside(value: Any) -> Iterator[tuple[Segment, Any]]:
    """The parts of a value the tree shows as children."""
    if isinstance(value, BaseModel):
        yield from ((name, getattr(value, name)) for name in type(value).model_fields)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from ((item.name, getattr(value, item.name)) for item in dataclasses.fields(value))
    elif isinstance(value, dict):
        yield from ((key, item) for key, item in value.items() if isinstance(key, str))
    elif isinstance(value, list | tuple):
        yield from list(enumerate(value))[:_ITEMS]


def _get(value: Any, segments: Path) -> Any:
    for segment in segments:
        value = dict(_inside(value))[segment]
    return value


def as_json(value: Any) -> str:
    return json.dumps(to_jsonable_python(value, fallback=repr), indent=2, ensure_ascii=False)


class EditorScreen(Screen[str | None]):
    """Edits a checkpoint's values; dismisses with the fork's id, or None when left unsaved."""

    DEFAULT_CSS = """
    EditorScreen #editor-panes { height: 1fr; }
    EditorScreen #editor-tree { width: 1fr; border: round $panel-lighten-2; }
    EditorScreen #editor-side { width: 1fr; }
    EditorScreen #editor-value { height: 1fr; border: round $panel-lighten-2; }
    EditorScreen #editor-tree:focus, EditorScreen #editor-value:focus { border: heavy $accent; }
    EditorScreen #editor-problem { height: auto; max-height: 5; color: $error; padding: 0 1; }
    EditorScreen #editor-title { height: 1; padding: 0 1; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save fork", id="wftui.editor.save", priority=True),
        # Over the text area's own ctrl+a (line start; home does that too): replacing a whole
        # value is what an edit here usually is.
        Binding(
            "ctrl+a", "select_value", "Select all", id="wftui.editor.select_all", priority=True
        ),
        Binding("escape", "leave", "Leave unsaved", id="wftui.editor.leave"),
    ]

    def __init__(self, checkpoint: WorkflowCheckpoint, save: SaveFork) -> None:
        super().__init__(id="editor")
        self.checkpoint = checkpoint
        self._save = save
        self.roots = editable_values(checkpoint)
        self.edits: dict[str, Any] = {}  # path text -> new JSON value, in the order made
        self.problems: dict[Path, str] = {}  # what is wrong with the text typed for a path
        self._tree_nodes: dict[Path, TreeNode[Path]] = {}
        self._shown: Path | None = None

    # ----- layout -----

    def compose(self) -> ComposeResult:
        title = f"Fork checkpoint {short_id(self.checkpoint.checkpoint_id)}"
        yield Static(
            Text(f"{title} (superstep {self.checkpoint.iteration_count})"), id="editor-title"
        )
        with Horizontal(id="editor-panes"):
            tree: Tree[Path] = Tree("values", id="editor-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="editor-side"):
                yield TextArea.code_editor("", language="json", id="editor-value")
                yield Static("", id="editor-problem")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.border_title = "Values"
        self.query_one(TextArea).border_title = "JSON"
        sections: dict[Segment, TreeNode[Path]] = {}
        for path, value in self.roots.items():
            section = sections.get(path[0])
            if section is None:
                section = sections[path[0]] = tree.root.add(str(path[0]), expand=True)
            self._add(section, path, value, depth=0, label=format_path(path[1:]))
        if not self.roots:
            tree.root.add_leaf("this checkpoint holds no values to edit")
        tree.focus()
        first = next(iter(self._tree_nodes.values()), None)
        if first is not None:
            self.call_after_refresh(tree.move_cursor, first)

    def _add(
        self, parent: TreeNode[Path], path: Path, value: Any, *, depth: int, label: str
    ) -> None:
        children = list(_inside(value)) if depth < _DEPTH else []
        node = parent.add(label, data=path, allow_expand=bool(children))
        self._tree_nodes[path] = node
        for segment, item in children:
            self._add(node, (*path, segment), item, depth=depth + 1, label=str(segment))

    # ----- values -----

    def _root_of(self, path: Path) -> Path:
        return next(root for root in self.roots if path[: len(root)] == root)

    def value_at(self, path: Path) -> Any:
        root = self._root_of(path)
        return _get(self.roots[root], path[len(root) :])

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Path]) -> None:
        path = event.node.data
        if path is None:
            return
        self._shown = path
        area = self.query_one(TextArea)
        area.border_title = f"JSON: {format_path(path)}"
        area.load_text(as_json(self.value_at(path)))
        self._show_problem(self.problems.get(path, ""))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        path = self._shown
        if path is None:
            return
        problem = self._apply(path, event.text_area.text)
        if problem:
            self.problems[path] = problem
        else:
            self.problems.pop(path, None)
        self._show_problem(problem)
        self._mark(path)

    def _apply(self, path: Path, text: str) -> str:
        """Check ``text`` as the new value at ``path`` and keep it if it fits; the problem, or ''."""
        try:
            new = json.loads(text)
        except json.JSONDecodeError as error:
            return f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        if new == to_jsonable_python(self.value_at(path), fallback=repr):
            return ""
        root = self._root_of(path)
        try:
            self.roots[root] = set_at(self.roots[root], path[len(root) :], new, list(root))
        except ForkError as error:
            return str(error)
        text_path = format_path(path)
        self.edits.pop(text_path, None)  # re-added last, so it applies after earlier edits
        self.edits[text_path] = new
        return ""

    def _mark(self, path: Path) -> None:
        node = self._tree_nodes[path]
        base = str(node.label).removeprefix("~ ").removeprefix("✗ ")
        if path in self.problems:
            node.set_label(Text(f"✗ {base}", style="bold red"))
        elif format_path(path) in self.edits:
            node.set_label(Text(f"~ {base}", style="bold yellow"))
        else:
            node.set_label(base)

    def _show_problem(self, problem: str) -> None:
        self.query_one("#editor-problem", Static).update(Text(f"✗ {problem}" if problem else ""))

    # ----- saving -----

    async def action_save(self) -> None:
        if self.problems:
            problem = next(iter(self.problems.values()))
            self._show_problem(f"{problem} (fix it first; nothing was written)")
            return
        if not self.edits:
            self.notify("Nothing changed: edit a value first.", severity="warning")
            return
        try:
            fork_id = await self._save(dict(self.edits))
        except (ForkError, CheckpointError, WorkflowRunError) as error:
            message = one_line(str(error), 400)
            place = next(
                (p for p in self._tree_nodes if message.startswith(format_path(p) + ":")), None
            )
            if place is not None:
                self._select(place)
            self._show_problem(f"{message} (nothing was written)")
            return
        self.dismiss(fork_id)

    def _select(self, path: Path) -> None:
        self.query_one(Tree).move_cursor(self._tree_nodes[path])

    def action_select_value(self) -> None:
        """Select the whole value, so what is typed next replaces it."""
        area = self.query_one("#editor-value", TextArea)
        area.focus()
        area.select_all()

    def action_leave(self) -> None:
        self.dismiss(None)


class ForkSavedScreen(ModalScreen[bool]):
    """Says the fork was saved; enter resumes it, esc leaves it for later."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", "Resume it", id="wftui.fork.resume"),
        Binding("escape", "answer(False)", "Leave it", id="wftui.fork.leave"),
    ]

    def __init__(self, fork_id: str, edited: int) -> None:
        super().__init__(classes="dialog-screen")
        self._fork_id = fork_id
        self._edited = edited

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Fork saved"
            changes = counted(self._edited, "change")
            yield Static(
                Text(f"Saved fork {short_id(self._fork_id)} ({changes})."), classes="dialog-line"
            )
            yield Static(Text("enter: resume it now   esc: leave it"), classes="dialog-hint")

    def action_answer(self, resume: bool) -> None:
        self.dismiss(resume)
