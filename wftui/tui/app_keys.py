"""The app's own keys, and how every key in the app is grouped for checks and for help.

``APP_BINDINGS`` is the table of keys that work anywhere on the main screen;
``binding_scopes`` lists the bindings active together (so a keymap can be checked for
clashes before the app starts) and ``help_sections`` groups them by pane for the help screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.binding import Binding, BindingType

from wftui.tui.commands import BROWSER_ACTIONS
from wftui.tui.keymap import with_keymap
from wftui.tui.screens.dialogs import ConfirmScreen, LineConfirmScreen, PromptScreen
from wftui.tui.screens.main import LogFilter, MainScreen
from wftui.tui.screens.timeline import TimelineScreen
from wftui.tui.screens.viewer import ValueViewer
from wftui.tui.widgets.checkpoint_browser import CheckpointTable
from wftui.tui.widgets.event_log import EventLog
from wftui.tui.widgets.inspector import CheckpointInspector

APP_BINDINGS: list[BindingType] = [
    Binding(
        "n",
        "new_run",
        "New run",
        id="wftui.new_run",
        tooltip="Start a run; the prompt holds the pipeline's default input",
    ),
    # Second, so a footer cut at 80 columns still shows where every key is explained.
    Binding("question_mark", "help", "Help", id="wftui.help", tooltip="Every key, by pane"),
    Binding(
        "x",
        "cancel_run",
        "Cancel",
        id="wftui.cancel",
        tooltip="Cancel the running run; its last checkpoint stays resumable",
    ),
    Binding(
        "y",
        "copy_id",
        "Copy id",
        id="wftui.copy_id",
        tooltip="Copy the highlighted checkpoint's id (OSC 52: works over SSH)",
    ),
    Binding(
        "Y",
        "copy_resume_command",
        "Copy resume",
        id="wftui.copy_resume",
        tooltip="Copy the ready-to-paste `wftui resume ...` line for the highlighted checkpoint",
    ),
    Binding(
        "ctrl+r",
        "reload_pipeline",
        "Reload",
        show=False,
        id="wftui.reload",
        tooltip="Import the pipeline file again now (it also reloads by itself when changed)",
    ),
    Binding(
        "J",
        "replay_journal",
        "Journal",
        show=False,
        id="wftui.journal",
        tooltip="Replay the highlighted run's journal into the event log",
    ),
    Binding(
        "t",
        "timeline",
        "Timeline",
        show=False,  # in help and the palette; the footer keeps its room for the pane's keys
        id="wftui.timeline",
        tooltip="The run as time bars: one row per executor, superstep ticks, live",
    ),
    Binding("q", "quit", "Quit", id="wftui.quit", tooltip="Quit (asks when a run is active)"),
]


def binding_scopes(app_bindings: Sequence[BindingType]) -> list[tuple[str, list[BindingType]]]:
    """The bindings active together: the global ones with each pane's, and each dialog's."""
    everywhere = [*app_bindings, *MainScreen.BINDINGS]
    panes: list[tuple[str, list[BindingType]]] = [
        (name, [*everywhere, *widget.BINDINGS])
        for name, widget in (
            ("checkpoint browser", CheckpointTable),
            ("event log", EventLog),
            ("inspector", CheckpointInspector),
            ("log filter", LogFilter),
        )
    ]
    dialogs = [
        (f"{screen.__name__} dialog", list(screen.BINDINGS))
        for screen in (
            ConfirmScreen,
            LineConfirmScreen,
            PromptScreen,
            ValueViewer,
            TimelineScreen,
        )
    ]
    return [("main screen", everywhere), *panes, *dialogs]


def help_sections(
    app_bindings: Sequence[BindingType], keymap: Mapping[str, str]
) -> list[tuple[str, list[BindingType]]]:
    """The bindings by pane, with the keys a keymap gave them."""
    browser = [b for b in app_bindings if _action_of(b) in BROWSER_ACTIONS]
    everywhere = [b for b in app_bindings if _action_of(b) not in BROWSER_ACTIONS]
    return [
        ("Anywhere", with_keymap([*everywhere, *MainScreen.BINDINGS], keymap)),
        ("Checkpoint browser", with_keymap([*CheckpointTable.BINDINGS, *browser], keymap)),
        ("Event log", with_keymap(EventLog.BINDINGS, keymap)),
        ("Inspector", with_keymap(CheckpointInspector.BINDINGS, keymap)),
    ]


def _action_of(binding: BindingType) -> str:
    return binding.action if isinstance(binding, Binding) else str(binding[1])


# The app's actions that a dialog on top turns off.
OWN_ACTIONS = {"new_run", "cancel_run", "replay_journal", "help", "quit", *BROWSER_ACTIONS}
