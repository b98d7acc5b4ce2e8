"""The graph pane inside a real Textual app: statuses, previews, sizes and scrolling."""

from __future__ import annotations

from itertools import pairwise

from textual.app import App, ComposeResult

from wftui.tui.graph import GraphEdge, GraphNode, GraphSpec, LayoutMode
from wftui.tui.widgets.pipeline_graph import NodeStatus, PipelineGraph

SEED_IDS = [
    "upper_case_executor",
    "reverse_text_executor",
    "submit_lower",
    "lower_agent",
    "finalize",
]
SEED = GraphSpec(
    nodes=tuple(GraphNode(node, "Executor") for node in SEED_IDS),
    edges=tuple(GraphEdge(source, target) for source, target in pairwise(SEED_IDS)),
    start=SEED_IDS[0],
)


class GraphApp(App[None]):
    """Just the pane, sized by CSS as the real screen would size it."""

    def __init__(self, graph: GraphSpec, css: str = "") -> None:
        super().__init__()
        self._graph = graph
        self._css = css

    def compose(self) -> ComposeResult:
        yield PipelineGraph(self._graph, id="graph")

    def on_mount(self) -> None:
        if self._css:
            self.stylesheet.add_source(self._css, read_from=("test", "css"))
            self.stylesheet.update(self)


def screen_lines(widget: PipelineGraph) -> list[str]:
    """What the pane shows right now, through the same Line API the compositor uses."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_statuses_show_as_symbols_in_the_pane() -> None:
    app = GraphApp(SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        await pilot.pause()
        layout = graph.graph_layout
        for node, status in zip(SEED_IDS, NodeStatus, strict=True):
            graph.set_status(node, status)
        await pilot.pause()
        text = "\n".join(screen_lines(graph))
        for node, symbol in zip(SEED_IDS, "○●✓✗?", strict=True):
            assert f"{symbol} {node}" in text
        assert graph.graph_layout is layout  # a status change repaints, it does not lay out again

        graph.reset_statuses()
        await pilot.pause()
        assert all(f"○ {node}" in "\n".join(screen_lines(graph)) for node in SEED_IDS)


async def test_status_symbols_are_coloured_by_role() -> None:
    app = GraphApp(SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        graph.set_status(SEED_IDS[0], NodeStatus.FAILED)
        await pilot.pause()
        (row,) = [y for y, line in enumerate(screen_lines(graph)) if "✗" in line]
        (cross,) = [seg for seg in graph.render_line(row) if "✗" in seg.text]
        (label,) = [seg for seg in graph.render_line(row) if SEED_IDS[0] in seg.text]
        assert cross.style is not None and cross.style.color is not None
        assert label.style is not None and cross.style.color != label.style.color


async def test_preview_shows_ran_and_next_then_returns_to_live_statuses() -> None:
    app = GraphApp(SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        graph.set_status(SEED_IDS[0], NodeStatus.RUNNING)
        graph.show_preview(set(SEED_IDS[:2]), {SEED_IDS[2]})
        await pilot.pause()
        text = "\n".join(screen_lines(graph))
        assert "✓ upper_case_executor" in text
        assert "✓ reverse_text_executor" in text
        assert "▶ submit_lower" in text
        assert "○ finalize" in text

        graph.clear_preview()
        await pilot.pause()
        text = "\n".join(screen_lines(graph))
        assert "● upper_case_executor" in text
        assert "▶" not in text


async def test_narrow_pane_draws_the_seed_chain_in_boxes_inside_its_width() -> None:
    app = GraphApp(SEED, "#graph { width: 36; height: 20; }")
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        await pilot.pause()
        assert graph.graph_layout is not None and graph.graph_layout.mode is LayoutMode.BOXES
        lines = screen_lines(graph)
        assert all(len(line) == 36 for line in lines)
        assert "┌────────────▼────────────┐" in [line.strip() for line in lines]
        assert [node for node in SEED_IDS if any(node in line for line in lines)] == SEED_IDS


async def test_short_pane_switches_to_one_line_per_node() -> None:
    app = GraphApp(SEED, "#graph { width: 36; height: 8; }")
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        await pilot.pause()
        assert graph.graph_layout is not None and graph.graph_layout.mode is LayoutMode.COMPACT
        assert [line.strip() for line in screen_lines(graph)[:5]] == [f"○ {n}" for n in SEED_IDS]


async def test_a_graph_taller_than_the_pane_scrolls() -> None:
    ids = [f"step_{i:02}" for i in range(30)]
    long_chain = GraphSpec(
        tuple(GraphNode(node) for node in ids),
        tuple(GraphEdge(source, target) for source, target in pairwise(ids)),
        ids[0],
    )
    app = GraphApp(long_chain, "#graph { width: 36; height: 12; }")
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(PipelineGraph)
        await pilot.pause()
        assert graph.virtual_size.height > graph.size.height
        assert "step_29" not in "\n".join(screen_lines(graph))
        graph.focus()
        await pilot.press("end")
        await pilot.pause()
        assert "step_29" in "\n".join(screen_lines(graph))
