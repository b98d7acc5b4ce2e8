"""The graph pane's drawing, checked as plain strings: what a user sees is what is asserted."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import pytest

from pipelines.text_processing import create_workflow
from wftui.engine import EdgeKind
from wftui.tui.graph import (
    GraphEdge,
    GraphLayout,
    GraphNode,
    GraphSpec,
    LayoutMode,
    NodeBox,
    NodeStatus,
    Preview,
    Role,
    graph_from_workflow,
    layout_boxes,
    layout_compact,
    layout_graph,
    node_order,
    plain_text,
    preview_text,
    render,
)

SEED_IDS = [
    "upper_case_executor",
    "reverse_text_executor",
    "submit_lower",
    "lower_agent",
    "finalize",
]
SEED_TYPES = [
    "UpperCaseExecutor",
    "ReverseTextExecutor",
    "SubmitToLowerAgent",
    "AgentExecutor",
    "FinalizeFromAgent",
]


def spec(
    edges: Sequence[tuple[str, ...]],
    nodes: list[str] | None = None,
    types: list[str] | None = None,
) -> GraphSpec:
    """Nodes in first-seen order unless given; the first node starts."""
    names = nodes or list(dict.fromkeys(end for edge in edges for end in edge[:2]))
    kinds = types or [""] * len(names)
    return GraphSpec(
        nodes=tuple(GraphNode(name, kind) for name, kind in zip(names, kinds, strict=True)),
        edges=tuple(
            GraphEdge(e[0], e[1], EdgeKind(e[2]) if len(e) > 2 else EdgeKind.DIRECT, *e[3:])
            for e in edges
        ),
        start=names[0],
    )


SEED = spec(list(pairwise(SEED_IDS)), SEED_IDS, SEED_TYPES)
DIAMOND = spec([("a", "b", "fan_out"), ("a", "c", "fan_out"), ("b", "d", "fan_in"), ("c", "d")])
SWITCH = spec(
    [
        ("router", "yes_handler", "switch", "yes"),
        ("router", "no_handler", "switch", "no"),
        ("router", "fallback", "switch", "default"),
        ("yes_handler", "end"),
        ("no_handler", "end"),
        ("fallback", "end"),
    ]
)
REVIEW_LOOP = spec(
    [
        ("writer", "reviewer"),
        ("reviewer", "writer", "switch", "rework"),
        ("reviewer", "publish", "switch", "ok"),
    ]
)
SKIP = spec([("a", "b"), ("b", "c"), ("a", "c")])


def draw(layout: GraphLayout, statuses: dict[str, NodeStatus] | None = None) -> list[str]:
    return plain_text(render(layout, statuses or {}))


def row_of(lines: list[str], text: str) -> int:
    (index,) = [i for i, line in enumerate(lines) if text in line]
    return index


def test_seed_chain_at_36_columns_reads_top_to_bottom() -> None:
    statuses = {"upper_case_executor": NodeStatus.DONE, "reverse_text_executor": NodeStatus.RUNNING}
    lines = draw(layout_boxes(SEED, 36), statuses)
    assert lines == [
        "┌─────────────────────────┐",
        "│ ✓ upper_case_executor   │",
        "└────────────┬────────────┘",
        "             ▼             ",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━┓",
        "┃ ● reverse_text_executor ┃",
        "┗━━━━━━━━━━━━┯━━━━━━━━━━━━┛",
        "             ▼             ",
        "┌─────────────────────────┐",
        "│ ○ submit_lower          │",
        "└────────────┬────────────┘",
        "             ▼             ",
        "┌─────────────────────────┐",
        "│ ○ lower_agent           │",
        "└────────────┬────────────┘",
        "             ▼             ",
        "┌─────────────────────────┐",
        "│ ○ finalize              │",
        "└─────────────────────────┘",
    ]


def test_tight_chain_puts_arrows_in_borders_and_saves_a_row_per_edge() -> None:
    airy = layout_boxes(SEED, 36)
    tight = layout_boxes(SEED, 36, tight=True)
    lines = draw(tight)
    assert tight.height == airy.height - (len(SEED_IDS) - 1)
    assert lines[2:4] == ["└────────────┬────────────┘", "┌────────────▼────────────┐"]


def test_type_names_show_under_ids() -> None:
    lines = draw(layout_boxes(SEED, 80, show_types=True))
    assert row_of(lines, "ReverseTextExecutor") == row_of(lines, "reverse_text_executor") + 1


def test_fan_out_and_fan_in_sit_side_by_side_on_one_bus() -> None:
    lines = draw(layout_boxes(DIAMOND, 36))
    assert lines == [
        "     ┌───────┐     ",
        "     │ ○ a   │     ",
        "     └───┬───┘     ",
        "    ┌────┴────┐    ",
        "    ▼         ▼    ",
        "┌───────┐ ┌───────┐",
        "│ ○ b   │ │ ○ c   │",
        "└───┬───┘ └───┬───┘",
        "    └────┬────┘    ",
        "         ▼         ",
        "     ┌───────┐     ",
        "     │ ○ d   │     ",
        "     └───────┘     ",
    ]


def test_switch_cases_are_labelled_at_their_arrows() -> None:
    lines = draw(layout_boxes(SWITCH, 80))
    arrows = lines[row_of(lines, "▼ yes")]
    assert "▼ no" in arrows
    assert "▼ default" in arrows
    assert row_of(lines, "yes_handler") == row_of(lines, "no_handler") == row_of(lines, "fallback")


def test_switch_labels_truncate_instead_of_running_into_the_next_arrow() -> None:
    lines = draw(layout_boxes(SWITCH, 36))
    arrows = lines[row_of(lines, "▼ yes")]
    assert arrows.count("▼") == 3
    assert "▼ def…" in arrows
    assert all(len(line) <= 36 for line in lines)


def test_cycle_returns_on_the_right_with_an_arrow_and_its_label() -> None:
    lines = draw(layout_boxes(REVIEW_LOOP, 36))
    assert lines[:6] == [
        "┌─────────────┐         ",
        "│ ○ writer    │◀┐       ",
        "└──────┬──────┘ │       ",
        "       ▼        │       ",
        "┌─────────────┐ │       ",
        "│ ○ reviewer  ├─┘ rework",
    ]
    assert "▼ ok" in lines[row_of(lines, "▼ ok")]


def test_self_loop_and_longer_loop_share_the_target_arrow() -> None:
    lines = draw(layout_boxes(spec([("a", "a"), ("a", "b"), ("b", "a")]), 36))
    assert lines == [
        "┌───────┐    ",
        "│ ○ a   │◀┬─┐",
        "└───┬───┴─┘ │",
        "    ▼       │",
        "┌───────┐   │",
        "│ ○ b   ├───┘",
        "└───────┘    ",
    ]


def test_loop_with_no_clear_path_is_marked_on_its_source() -> None:
    # b and c both loop back to a; only the rightmost of a layer can reach the lane.
    graph = spec([("a", "b"), ("a", "c"), ("b", "a"), ("c", "a"), ("c", "d")])
    lines = draw(layout_boxes(graph, 36))
    boxes_row = lines[row_of(lines, "○ b")]
    assert "├─┘" in boxes_row
    assert "┌↺ a" in lines[row_of(lines, "○ b") - 1]


def test_edge_skipping_a_layer_runs_beside_the_middle_box() -> None:
    lines = draw(layout_boxes(SKIP, 36))
    middle = row_of(lines, "○ b")
    assert lines[middle].rstrip().endswith("│")
    assert row_of(lines, "○ c") > middle


def test_long_ids_truncate_with_an_ellipsis_inside_the_width() -> None:
    name = "an_executor_with_a_really_long_descriptive_identifier"
    graph = spec([("start", name), (name, "end")])
    lines = draw(layout_boxes(graph, 30))
    assert "│ ○ an_executor_with_a_rea… │" in lines
    assert all(len(line) <= 30 for line in lines)


WIDE_FAN = spec([("hub", f"worker_{i}", "fan_out") for i in range(3)])
GRAPHS = [SEED, DIAMOND, SWITCH, REVIEW_LOOP, SKIP, WIDE_FAN]


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("width", [30, 36, 50, 80, 120])
@pytest.mark.parametrize(("show_types", "tight"), [(False, False), (True, False), (False, True)])
def test_no_line_is_wider_than_the_pane(
    graph: GraphSpec, width: int, show_types: bool, tight: bool
) -> None:
    layout = layout_boxes(graph, width, show_types=show_types, tight=tight)
    lines = draw(layout)
    assert layout.width <= width
    assert all(len(line) == layout.width for line in lines)
    assert len(lines) == layout.height


def test_graph_wider_than_the_pane_overflows_rather_than_crushing_boxes() -> None:
    graph = spec([("hub", f"w{i}", "fan_out") for i in range(8)])
    layout = layout_boxes(graph, 36)
    assert layout.width > 36  # the widget scrolls sideways
    lines = draw(layout)
    assert lines[row_of(lines, "○ w0")].count("○ w") == 8


def test_compact_mode_is_one_line_per_node_and_spells_out_non_obvious_edges() -> None:
    graph = spec([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "a", "switch", "again")])
    lines = draw(layout_compact(graph, 36))
    assert [line.rstrip() for line in lines] == [
        "○ a → b, c",
        "○ b → d",
        "○ c",
        "○ d ↺ a",
    ]


def test_compact_mode_truncates_to_the_width() -> None:
    lines = draw(layout_compact(SEED, 12))
    assert lines[0].rstrip() == "○ upper_cas…"
    assert all(len(line) <= 12 for line in lines)


def test_layout_graph_chooses_the_richest_drawing_that_fits() -> None:
    assert layout_graph(SEED, 80, 40).boxes[0].type_label == "UpperCaseExecutor"
    with_types = layout_graph(SEED, 36, 20)  # tight: arrows in the borders
    assert (with_types.height, with_types.boxes[0].type_label) == (20, "UpperCaseExecutor")
    airy = layout_graph(SEED, 36, 19)
    assert (airy.mode, airy.height, airy.boxes[0].type_label) == (LayoutMode.BOXES, 19, "")
    assert layout_graph(SEED, 36, 16).height == 15  # tight, no types
    assert layout_graph(SEED, 36, 10).mode is LayoutMode.COMPACT
    too_short = layout_graph(SEED, 36, 3)
    assert too_short.mode is LayoutMode.BOXES  # scrolls; nothing would fit


def test_every_status_has_its_own_symbol_and_role() -> None:
    statuses = dict(zip(SEED_IDS, NodeStatus, strict=True))
    lines = render(layout_boxes(SEED, 36), statuses)
    text = "\n".join(plain_text(lines))
    for node, symbol in zip(SEED_IDS, "○●✓✗?", strict=True):
        assert f"{symbol} {node}" in text
    roles = {run.role for line in lines for run in line}
    assert {Role.PENDING, Role.RUNNING, Role.DONE, Role.FAILED, Role.WAITING} <= roles


def test_preview_marks_what_ran_and_what_runs_next_over_live_statuses() -> None:
    layout = layout_boxes(SEED, 36)
    preview = Preview(frozenset(SEED_IDS[:2]), frozenset(SEED_IDS[2:3]))
    lines = render(layout, {SEED_IDS[4]: NodeStatus.FAILED}, preview)
    text = "\n".join(plain_text(lines))
    assert "✓ upper_case_executor" in text
    assert "▶ submit_lower" in text
    assert "○ finalize" in text  # the live failure is hidden while previewing
    assert "┏" in text  # the next node is emphasised without colour too
    roles = {run.role for line in lines for run in line}
    assert {Role.RAN, Role.NEXT} <= roles


def test_preview_text_lists_the_nodes_in_the_order_the_graph_draws_them() -> None:
    graph = spec([("a", "c"), ("c", "b")], nodes=["a", "b", "c"])
    assert node_order(graph) == [row.node_id for row in layout_compact(graph, 36).rows]
    preview = Preview(frozenset({"a"}), frozenset({"c"}))
    assert preview_text(node_order(graph), preview) == "✓ a ▶ c ○ b"


@dataclass(frozen=True)
class ExecutorInfo:
    id: str
    type_name: str
    input_types: list[str]


@dataclass(frozen=True)
class EdgeInfo:
    source_id: str
    target_id: str
    kind: str
    label: str


@dataclass(frozen=True)
class WorkflowGraph:
    executors: list[ExecutorInfo]
    edges: list[EdgeInfo]
    start_executor_id: str


@dataclass(frozen=True)
class WorkflowShape:
    graph: WorkflowGraph


def test_graph_from_workflow_reads_the_engine_graph_shape() -> None:
    workflow = WorkflowShape(
        WorkflowGraph(
            executors=[ExecutorInfo("a", "Upper", ["str"]), ExecutorInfo("b", "Lower", ["str"])],
            edges=[EdgeInfo("a", "b", "switch", "yes")],
            start_executor_id="a",
        )
    )
    assert graph_from_workflow(workflow) == GraphSpec(
        nodes=(GraphNode("a", "Upper"), GraphNode("b", "Lower")),
        edges=(GraphEdge("a", "b", EdgeKind.SWITCH, "yes"),),
        start="a",
    )


def test_the_seed_pipeline_reads_as_its_five_step_chain() -> None:
    assert graph_from_workflow(create_workflow(None)) == SEED


@pytest.mark.parametrize(
    ("nodes", "edges", "start", "message"),
    [
        (["a", "a"], [], "a", "unique"),
        (["a"], [], "b", "start"),
        (["a"], [("a", "x")], "a", "unknown node 'x'"),
    ],
)
def test_inconsistent_graphs_are_refused(
    nodes: list[str], edges: list[tuple[str, str]], start: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        GraphSpec(
            tuple(GraphNode(n) for n in nodes), tuple(GraphEdge(s, t) for s, t in edges), start
        )


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_draw_every_node_once_within_the_width(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(rng.randint(1, 12))]
    edges = [
        (rng.choice(names), rng.choice(names), rng.choice(list(EdgeKind)), rng.choice(["", "x"]))
        for _ in range(rng.randint(0, 18))
    ]
    graph = spec(edges, names)
    for layout in (layout_boxes(graph, 80), layout_boxes(graph, 80, tight=True)):
        lines = draw(layout)
        assert all(len(line) == layout.width for line in lines)
        for name in names:
            assert sum(line.count(f"○ {name} ") for line in lines) == 1


def test_a_box_shows_its_spending_on_its_top_border_dropping_what_does_not_fit() -> None:
    note = {"agent": "1,234 tok $0.0021 3.2s"}

    def top_border(width: int) -> str:
        box = NodeBox("agent", 0, 0, width, 3, "agent", "", False, None, "")
        layout = GraphLayout(LayoutMode.BOXES, width, 3, boxes=(box,))
        return plain_text(render(layout, {}, None, note))[0]

    assert top_border(28) == "┌── 1,234 tok $0.0021 3.2s ┐"
    assert top_border(24) == "┌─── 1,234 tok $0.0021 ┐"
    assert top_border(14) == "┌─ 1,234 tok ┐"
    assert top_border(13) == "┌─ 1,234 t… ┐"
