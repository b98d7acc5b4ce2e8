"""The layout follows the content: the graph pane as wide as its graph, spare rows to the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.support import AppFactory, graph_text, opened
from wftui.loader import load_pipeline

FAN_OUT = str(Path(__file__).parents[2] / "pipelines" / "fan_out.py")
ANALYSERS = ["word_count", "vowel_ratio", "longest_word", "split_words"]


async def test_at_120_columns_the_fan_out_labels_are_whole(new_app: AppFactory) -> None:
    app = new_app(load_pipeline(FAN_OUT))
    async with opened(app, size=(120, 40)) as pilot:
        drawn = graph_text(app)
        for label in ANALYSERS:
            assert f"○ {label}" in drawn
        assert "…" not in drawn
        assert pilot.app.query_one("#graph-pane").size.width < 120 * 0.6


async def test_a_small_graph_leaves_the_width_to_the_browser(new_app: AppFactory) -> None:
    app = new_app()  # the seed chain: 27 columns of boxes
    async with opened(app, size=(120, 40)):
        assert app.query_one("#graph-pane").outer_size.width <= 32
        assert app.query_one("#checkpoints-pane").outer_size.width >= 88


@pytest.mark.parametrize(("height", "log_rows"), [(40, 14), (60, 30)])
async def test_a_tall_terminal_gives_the_spare_rows_to_the_event_log(
    new_app: AppFactory, height: int, log_rows: int
) -> None:
    app = new_app()
    async with opened(app, size=(200, height)):
        assert app.query_one("#events-pane").outer_size.height == log_rows
