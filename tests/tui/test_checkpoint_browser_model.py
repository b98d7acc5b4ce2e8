"""The browser's tree and row text without Textual: shapes, folding, big and odd stores."""

from __future__ import annotations

from datetime import UTC

import pytest

from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary
from wftui.tui.browser.model import CheckpointTree, Row, RowKind
from wftui.tui.browser.render import RowRenderer, fold
from wftui.tui.text import Clock


def summary(
    checkpoint_id: str,
    parent: str | None,
    step: int,
    *,
    run: str = "run1",
    second: int | None = None,
    next_ids: tuple[str, ...] = ("a",),
) -> CheckpointSummary:
    moment = step if second is None else second
    return CheckpointSummary(
        checkpoint_id=checkpoint_id,
        workflow_id=run,
        parent_checkpoint_id=parent,
        timestamp=f"2025-03-14T11:{moment // 60:02d}:{moment % 60:02d}.000000Z",
        iteration_count=step,
        status=CheckpointStatus.IN_PROGRESS,
        next_executor_ids=list(next_ids),
    )


def shape(tree: CheckpointTree) -> list[tuple[str, int, bool]]:
    rows = [tree[index] for index in range(tree.row_count)]
    return [(row.key, row.depth, row.branch) for row in rows]


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (80, "web_researcher, fact_checker, summary_writer"),
        (34, "web_researcher, fact_checker +1"),
        (20, "web_researcher +2"),
        (12, "web_rese… +2"),
    ],
)
def test_fold_keeps_what_fits_and_counts_the_rest(width: int, expected: str) -> None:
    names = ("web_researcher", "fact_checker", "summary_writer")
    folded = fold(names, width)
    assert folded == expected
    assert len(folded) <= width


def test_two_branches_from_one_checkpoint_nest_in_the_order_they_were_made() -> None:
    tree = CheckpointTree()
    tree.add_all(
        [
            summary("m0", None, 0),
            summary("m1", "m0", 1),
            summary("m2", "m1", 2),
            summary("x2", "m1", 2, second=30),
            summary("y2", "m1", 2, second=40),
            summary("y3", "y2", 3, second=41),
            summary("z3", "y2", 3, second=50),  # a branch of a branch
        ]
    )
    assert shape(tree) == [
        ("run1", 0, False),
        ("m0", 0, False),
        ("m1", 0, False),
        ("x2", 1, True),
        ("y2", 1, True),
        ("z3", 2, True),
        ("y3", 1, False),
        ("m2", 0, False),
    ]


def test_a_deleted_parent_leaves_its_children_as_their_own_line() -> None:
    tree = CheckpointTree()
    tree.add_all([summary("m0", None, 0), summary("m1", "m0", 1), summary("m2", "m1", 2)])
    assert tree.remove("m1")
    assert shape(tree) == [("run1", 0, False), ("m0", 0, False), ("m2", 0, False)]
    assert not tree.remove("m1")


def test_a_run_of_twenty_thousand_supersteps_lays_out_without_recursion() -> None:
    tree = CheckpointTree()
    tree.add_all(
        summary(f"c{step}", f"c{step - 1}" if step else None, step) for step in range(20_000)
    )
    assert tree.row_count == 20_001
    assert tree[20_000] == Row(RowKind.CHECKPOINT, "c19999", 0, False, True)
    assert tree.index_of("c12345") == 12_346


def test_runs_come_newest_first_and_a_closed_run_shows_one_row() -> None:
    tree = CheckpointTree()
    tree.add_all(
        [
            summary("old0", None, 0, run="old"),
            summary("new0", None, 0, run="new", second=100),
            summary("new1", "new0", 1, run="new", second=101),
        ]
    )
    assert [tree[index].key for index in range(tree.row_count)] == [
        "new",
        "new0",
        "new1",
        "old",
        "old0",
    ]
    assert tree.toggle(Row(RowKind.RUN, "new"), False)
    assert [tree[index].key for index in range(tree.row_count)] == ["new", "old", "old0"]
    assert tree.index_of("new1") is None


def test_every_row_fills_the_width_exactly() -> None:
    tree = CheckpointTree()
    names = tuple(f"executor_{index}" for index in range(30))
    tree.add_all([summary("m0", None, 0, next_ids=names), summary("b1", "m0", 1)])
    tree.add(summary("x1", "m0", 1, second=9))
    renderer = RowRenderer(tree, Clock(tz=UTC, now=lambda: 0.0))
    for width in (40, 63, 64, 79, 120):
        for index in range(tree.row_count):
            cells = renderer.cells(tree[index], width)
            assert sum(len(text) for text, _ in cells) == width, (width, index)


def test_parent_links_that_loop_still_give_every_checkpoint_a_row() -> None:
    tree = CheckpointTree()
    tree.add_all([summary("m0", None, 0), summary("a", "b", 1), summary("b", "a", 2)])
    keys = [tree[index].key for index in range(tree.row_count)]
    assert sorted(keys) == ["a", "b", "m0", "run1"]


def test_the_filter_looks_inside_closed_branches_and_takes_new_checkpoints() -> None:
    tree = CheckpointTree()
    tree.add_all(
        [
            summary("m0", None, 0),
            summary("m1", "m0", 1),
            summary("b1", "m0", 1, second=30),
            summary("b2", "b1", 2, second=31, next_ids=("finalize",)),
        ]
    )
    assert tree.toggle(Row(RowKind.CHECKPOINT, "b1", 1, True, False), False)
    assert tree.index_of("b2") is None  # hidden in its closed branch
    tree.set_filter("FINAL")
    assert [tree[index].key for index in range(tree.row_count)] == ["run1", "b2"]
    tree.add(summary("m2", "m1", 2, second=40, next_ids=("finalize",)))
    tree.add(summary("m3", "m2", 3, second=41, next_ids=("other",)))
    assert [tree[index].key for index in range(tree.row_count)] == ["run1", "b2", "m2"]
    assert tree.matched_count() == 2
    tree.set_filter("")
    assert tree.index_of("b2") is None  # closed again once the filter is gone
