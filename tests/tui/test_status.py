"""One table of status marks: the header and log, the graph and the browser agree on each symbol."""

from __future__ import annotations

from wftui.checkpoint.model import CheckpointStatus
from wftui.tui.status import CHECKPOINT_LOOK, Mark, NodeStatus, RunStatus


def browser_mark(status: CheckpointStatus) -> str:
    return CHECKPOINT_LOOK[status][0].split(" ", 1)[0]


def test_the_same_outcome_has_the_same_mark_in_every_pane() -> None:
    assert (
        RunStatus.FAILED.symbol == NodeStatus.FAILED.symbol == browser_mark(CheckpointStatus.FAILED)
    )
    assert (
        RunStatus.COMPLETED.symbol
        == NodeStatus.DONE.symbol
        == browser_mark(CheckpointStatus.COMPLETED)
    )
    assert (
        RunStatus.WAITING.symbol
        == NodeStatus.WAITING.symbol
        == browser_mark(CheckpointStatus.AWAITING_HUMAN_INPUT)
    )
    assert RunStatus.RUNNING.symbol == NodeStatus.RUNNING.symbol


def test_marks_are_distinct_and_painted_as_plain_strings() -> None:
    assert len({mark.value for mark in Mark}) == len(Mark)
    for status in NodeStatus:
        assert type(status.symbol) is str  # an enum in a Segment would change screenshot ids
    for run_status in RunStatus:
        assert type(run_status.symbol) is str
