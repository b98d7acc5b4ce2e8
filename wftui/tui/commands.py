"""The command palette's wftui entries: every action, with its binding's tooltip as help."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.types import IgnoreReturnCallbackType

from wftui.tui.widgets.checkpoint_browser import CheckpointTable


@dataclass(frozen=True)
class ActionCommand:
    """One palette entry: what it is called, what it does, and how to run it."""

    title: str
    help: str
    run: IgnoreReturnCallbackType


# Actions on the highlighted checkpoint: their keys work only in the browser.
BROWSER_ACTIONS = frozenset({"resume", "delete_checkpoint", "copy_id", "copy_resume_command"})


def action_commands(*nodes: DOMNode) -> Iterator[ActionCommand]:
    """A command per wftui binding (one with an id) of ``nodes``; quit is a system command."""
    for node in nodes:
        for binding in node.BINDINGS:
            if isinstance(binding, Binding) and binding.id and binding.action != "quit":
                run: IgnoreReturnCallbackType = (
                    partial(_in_the_browser, node, binding.action)
                    if binding.action.rpartition(".")[2] in BROWSER_ACTIONS
                    else partial(node.app.run_action, binding.action, node)
                )
                yield ActionCommand(binding.description, binding.tooltip, run)


def _in_the_browser(node: DOMNode, action: str) -> None:
    """From any pane, the palette acts on the highlighted checkpoint: the browser takes focus."""
    app = node.app
    app.screen_stack[0].query_one(CheckpointTable).focus()
    app.call_after_refresh(app.run_action, action, node)


class WftuiCommands(Provider):
    """Lists the app's, the main screen's and the browser's actions, matched by title."""

    def _commands(self) -> Iterator[ActionCommand]:
        main = self.app.screen_stack[0]
        return action_commands(self.app, main, *main.query(CheckpointTable))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
