"""Colours come from theme variables that hold up: light themes, and 16-colour terminals."""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.color import Color

from tests.tui.support import AppFactory, opened, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.tui.widgets.checkpoint_browser import CheckpointTable

# The 16-colour palette's reds: what a focused border must not look like.
RED_NUMBERS = {1, 9}


def contrast(one: Color, other: Color) -> float:
    """WCAG contrast ratio of two opaque colours."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_graph_class_names_and_pane_borders_stand_out_from_the_background(
    new_app: AppFactory, theme: str
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        app.theme = theme
        await wait_until(pilot, lambda: app.current_theme.name == theme)
        await pilot.pause()
        graph = app.main.graph
        background = Color.from_rich_color(graph.rich_style.bgcolor)
        type_name = graph.get_component_rich_style("pipeline-graph--type-name", partial=True)
        assert type_name.color is not None
        assert contrast(Color.from_rich_color(type_name.color), background) > 4.5
        pane = app.query_one("#graph-pane")
        border = background + pane.styles.border_top[1]  # its alpha over the background
        assert contrast(border, background) > 3


async def test_in_16_colours_the_focused_border_is_not_red(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: isinstance(app.focused, CheckpointTable))
        border = app.query_one("#checkpoints-pane").styles.border_top[1]
        standard = RichColor.from_rgb(*border.rgb).downgrade(ColorSystem.STANDARD)
        assert standard.number not in RED_NUMBERS
