"""The time-travel keys, on the main screen so a screen or dialog on top turns them off; the
actions they call are ``travel.TravelActions`` on the App. Kept out of the footer, which has no
room left at 80 columns; help (?) and the command palette list them."""

from __future__ import annotations

from textual.binding import Binding, BindingType

TRAVEL_BINDINGS: list[BindingType] = [
    Binding(
        "c",
        "app.compare",
        "Compare",
        show=False,
        id="wftui.compare",
        tooltip="Compare the highlighted checkpoint with the marked one (m), else with its parent",
    ),
    Binding(
        "m",
        "app.mark",
        "Mark",
        show=False,
        id="wftui.mark",
        tooltip="Mark the highlighted checkpoint for c to compare with (m again clears it)",
    ),
    Binding(
        "e",
        "app.edit",
        "Edit",
        show=False,
        id="wftui.edit",
        tooltip="Edit the highlighted checkpoint's values and save them as a fork (ctrl+s)",
    ),
    Binding(
        "s",
        "app.step",
        "Step",
        show=False,
        id="wftui.step",
        tooltip="Run one superstep from the highlighted checkpoint; the cursor follows",
    ),
    Binding(
        "R",
        "app.rerun",
        "Rerun one",
        show=False,
        id="wftui.rerun",
        tooltip="Run one executor again on its pending messages, saving a child checkpoint",
    ),
]
