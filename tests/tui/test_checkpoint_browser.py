"""The checkpoint browser as a tree of runs and branches, on a real file store in a real app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.support import (
    AppFactory,
    fixed_runs,
    highlight,
    opened,
    row_text,
    settle,
    shown_rows,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import PipelineSpec
from wftui.tui.app import WftuiApp
from wftui.tui.browser.model import RowKind
from wftui.tui.text import counted, plural_noun

RESEARCHERS = ["web_researcher", "fact_checker", "summary_writer", "citation_finder"]


def checkpoint(
    checkpoint_id: str,
    run: str,
    parent: str | None,
    step: int,
    second: int,
    signature: str,
    *,
    next_ids: list[str] | None = None,
    failed: bool = False,
    waiting: bool = False,
) -> WorkflowCheckpoint:
    """One checkpoint; it is in progress when it has a next executor, else completed."""
    next_ids = ["submit_lower"] if next_ids is None else next_ids
    messages: dict[str, list[dict[str, Any]]] = {
        "previous": [{"data": "x", "source_id": "previous", "target_id": None}]
    }
    return WorkflowCheckpoint(
        checkpoint_id=checkpoint_id,
        workflow_id=run,
        workflow_name="text_processing",
        parent_checkpoint_id=parent,
        timestamp=f"2025-03-14T11:30:{second:02d}.000000Z",
        iteration_count=step,
        messages=messages if next_ids else {},
        next_executor_ids=next_ids,
        pending_requests={"req-1": {"request_id": "req-1", "data": "ok?"}} if waiting else {},
        error={"error_type": "TimeoutError", "message": "slow", "executor_id": "x"}
        if failed
        else None,
        graph_signature=signature,
    )


def save(storage: FileCheckpointStorage, checkpoints: list[WorkflowCheckpoint]) -> None:
    async def save_all() -> None:
        for item in checkpoints:
            await storage.save_checkpoint(item)

    asyncio.run(save_all())


@pytest.fixture
def branched_store(storage: FileCheckpointStorage, seed: PipelineSpec) -> FileCheckpointStorage:
    """A run m0 -> m1 -> m2 -> m3, then a resume from m1 that made b2 -> b3 later."""
    sig = seed.create_workflow(None).signature
    save(
        storage,
        [
            checkpoint("cpmain0000", "runtree001", None, 0, 0, sig),
            checkpoint("cpmain0001", "runtree001", "cpmain0000", 1, 1, sig),
            checkpoint("cpmain0002", "runtree001", "cpmain0001", 2, 2, sig),
            checkpoint("cpmain0003", "runtree001", "cpmain0002", 3, 3, sig, next_ids=[]),
            checkpoint("cpbrch0002", "runtree001", "cpmain0001", 2, 30, sig),
            checkpoint("cpbrch0003", "runtree001", "cpbrch0002", 3, 31, sig, next_ids=[]),
        ],
    )
    return storage


@pytest.fixture
def outcome_store(storage: FileCheckpointStorage, seed: PipelineSpec) -> FileCheckpointStorage:
    """Three finished runs: completed, failed and waiting for a human, oldest first."""
    sig = seed.create_workflow(None).signature
    runs = []
    for base, run, last in ((0, "runcomplete", {}), (10, "runfailedxx", {"failed": True})):
        runs += [
            checkpoint(f"{run}00", run, None, 0, base, sig),
            checkpoint(f"{run}01", run, f"{run}00", 1, base + 1, sig),
            checkpoint(f"{run}02", run, f"{run}01", 2, base + 2, sig, **last),
        ]
    runs[2] = checkpoint("runcomplete02", "runcomplete", "runcomplete01", 2, 2, sig, next_ids=[])
    runs += [
        checkpoint("runwaiting00", "runwaiting0", None, 0, 20, sig),
        checkpoint("runwaiting01", "runwaiting0", "runwaiting00", 1, 21, sig, waiting=True),
    ]
    save(storage, runs)
    return storage


def status_of(app: WftuiApp, checkpoint_id: str) -> str:
    """The status cell of a checkpoint's row, as drawn."""
    table = app.main.browser.table
    index = table.model.index_of(checkpoint_id)
    assert index is not None
    cells = table.renderer.cells(table.model[index], 79)
    return cells[5][0].strip()


async def test_a_resumed_branch_is_indented_under_the_checkpoint_it_came_from(
    new_app: AppFactory, branched_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app):
        rows = shown_rows(app)
        assert [(row.kind, row.key, row.depth, row.branch) for row in rows] == [
            (RowKind.RUN, "runtree001", 0, False),
            (RowKind.CHECKPOINT, "cpmain0000", 0, False),
            (RowKind.CHECKPOINT, "cpmain0001", 0, False),
            (RowKind.CHECKPOINT, "cpbrch0002", 1, True),
            (RowKind.CHECKPOINT, "cpbrch0003", 1, False),
            (RowKind.CHECKPOINT, "cpmain0002", 0, False),
            (RowKind.CHECKPOINT, "cpmain0003", 0, False),
        ]
        assert "↳ brch0002" in row_text(app, 3)
        assert "branch: submit_lower" in row_text(app, 3)
        header = row_text(app, 0)
        assert "run ntree001 text_processing" in header
        assert "6 checkpoints, 1 branch" in header
        # Working time: the main line's 3 s and the branch's 1 s, not the 27 s before the
        # branch began (wall time from the first checkpoint to the newest was 31 s).
        assert "4.0s" in header
        assert header.split()[1] == "✓"  # the main line completed the run


async def test_left_and_right_close_and_open_runs_and_branches(
    new_app: AppFactory, branched_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        table = app.main.browser.table
        assert app.main.browser.highlighted_id == "cpmain0000"
        await highlight(app, pilot, "cpbrch0003")
        await pilot.press("h")  # inside a branch: go to where it starts
        assert app.main.browser.highlighted_id == "cpbrch0002"
        await pilot.press("left")  # then close it
        assert [row.key for row in shown_rows(app)].count("cpbrch0003") == 0
        assert app.main.browser.highlighted_id == "cpbrch0002"
        assert "▸ brch0002" in row_text(app, 3)
        await pilot.press("l")
        assert table.row_count == 7
        await pilot.press("k", "h")  # on the main line: go to the run
        assert app.main.browser.highlighted_id is None
        await pilot.press("j", "j", "j", "h")  # on an open branch start: close it
        assert table.row_count == 6
        await pilot.press("h")  # on a closed one: go to where it came from
        assert app.main.browser.highlighted_id == "cpmain0001"
        await pilot.press("l")  # a checkpoint that starts no branch has nothing to open
        assert table.row_count == 6
        await pilot.press("h")
        await settle(pilot)
        assert table.cursor_row == 0
        assert app.main.browser.highlighted_id is None  # a run row is no checkpoint
        await pilot.press("enter")  # Enter on a run opens or closes it; it resumes nothing
        assert table.row_count == 1
        assert row_text(app, 0).startswith("▸ ")
        await pilot.press("right")
        assert table.row_count == 6  # the branch stays closed inside the run
        await settle(pilot)
        assert not app.run_active
        assert len(app.main.browser.summaries) == 6


async def test_slash_filters_by_executor_status_and_id(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        browser = app.main.browser
        await pilot.press("slash")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "browser-filter"
        )
        await pilot.press(*"finalize")
        keys = [row.key for row in shown_rows(app)]
        assert keys == ["runbbbbbb", "cpbbbbbb04", "runaaaaaa", "cpaaaaaa04"]
        assert "2 of 12 match “finalize”" in str(browser.query_one("#checkpoint-notes").render())
        await pilot.press("enter")  # keeps the filter and goes back to the rows
        assert app.focused is browser.table
        assert browser.highlighted_id in ("cpbbbbbb04", "cpaaaaaa04")
        await pilot.press("escape")  # in the rows, Esc drops a kept filter
        assert browser.table.row_count == 14
        assert "match" not in str(browser.query_one("#checkpoint-notes").render())
        await pilot.press("slash")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "browser-filter"
        )
        await pilot.press(*"completed")
        assert [row.key for row in shown_rows(app) if row.kind is RowKind.CHECKPOINT] == [
            "cpbbbbbb05",
            "cpaaaaaa05",
        ]
        await pilot.press(*(["backspace"] * 9), *"aaaa03")  # an id's tail
        assert [row.key for row in shown_rows(app)] == ["runaaaaaa", "cpaaaaaa03"]


async def test_unreadable_files_collapse_to_one_line_that_opens_the_list(
    new_app: AppFactory, fixed_store: FileCheckpointStorage, tmp_path: Path
) -> None:
    for name in ("a-broken", "b-broken", "c-broken"):
        (tmp_path / "checkpoints" / f"{name}.json").write_text("{not json")
    app = new_app()
    async with opened(app) as pilot:
        table = app.main.browser.table
        assert table.row_count == 1 + 14
        assert row_text(app, 0).startswith("▸ ⚠ 3 unreadable files")
        assert app.main.browser.highlighted_id == "cpbbbbbb00"  # the cursor starts on a checkpoint
        await pilot.press("g", "enter")
        assert table.row_count == 1 + 3 + 14
        assert [row_text(app, index).split(":")[0].strip() for index in (1, 2, 3)] == [
            "a-broken.json",
            "b-broken.json",
            "c-broken.json",
        ]
        await pilot.press("enter")
        assert table.row_count == 1 + 14


async def test_new_checkpoints_appear_without_moving_the_cursor_off_its_row(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        table = app.main.browser.table
        await highlight(app, pilot, "cpaaaaaa02")
        await settle(pilot)
        on_screen = table.cursor_row - table.scroll_y
        older_run_rows = table.model.runs["runaaaaaa"].flat
        await start_run(app, pilot)  # a new run: newest first, so its rows come above
        await wait_until(pilot, lambda: len(app.main.browser.summaries) == 12 + 6)
        await settle(pilot)
        assert app.main.browser.highlighted_id == "cpaaaaaa02"
        assert shown_rows(app)[table.cursor_row].key == "cpaaaaaa02"
        assert table.cursor_row == 7 + 7 + 3  # under the new run and the newer stored one
        assert table.cursor_row - table.scroll_y == on_screen  # the row did not move on screen
        # Only the run that grew was laid out again.
        assert table.model.runs["runaaaaaa"].flat is older_run_rows


async def test_rows_say_the_status_that_helps(
    new_app: AppFactory, outcome_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app):
        assert status_of(app, "runcomplete02") == "✓ completed"
        assert status_of(app, "runfailedxx02") == "✗ failed"
        assert status_of(app, "runwaiting01") == "? awaiting human"
        for middle in ("runcomplete00", "runcomplete01", "runfailedxx01", "runwaiting00"):
            assert status_of(app, middle) == ""  # not "in progress" on every row
        table = app.main.browser.table
        marks = {
            row.key: row_text(app, index).split()[1]
            for index, row in enumerate(shown_rows(app))
            if row.kind is RowKind.RUN
        }
        assert marks == {"runwaiting0": "?", "runfailedxx": "✗", "runcomplete": "✓"}
        assert [row.key for row in shown_rows(app) if row.kind is RowKind.RUN] == [
            "runwaiting0",
            "runfailedxx",
            "runcomplete",
        ]
        assert table.row_count == 3 + 8


async def test_long_next_lists_fold_so_status_and_time_stay_on_screen(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    sig = seed.create_workflow(None).signature
    for item in (
        checkpoint("cpfold0000", "runfold001", None, 0, 0, sig, next_ids=RESEARCHERS),
        checkpoint(
            "cpfold0001",
            "runfold001",
            "cpfold0000",
            1,
            1,
            sig,
            next_ids=RESEARCHERS,
            failed=True,
        ),
    ):
        await storage.save_checkpoint(item)
    app = new_app()
    async with opened(app, size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.main.browser.table
        drawn = [table.render_line(y).text for y in range(3)]
        width = table.scrollable_content_region.width
        for line in drawn[1:]:
            assert len(line) == width
            assert "web_researcher" in line
            assert "+" in line  # the rest folded into a count
            assert line.rstrip().endswith(("11:30:00", "11:30:01"))  # the time is shown
        assert "✗ failed" in drawn[2]


@pytest.fixture
def mixed_store(
    branched_store: FileCheckpointStorage, seed: PipelineSpec, tmp_path: Path
) -> FileCheckpointStorage:
    """The branched run, a failed run with a long next list, a waiting run and two bad files."""
    sig = seed.create_workflow(None).signature
    save(
        branched_store,
        [
            checkpoint("cpfail0000", "runfail001", None, 0, 40, sig),
            checkpoint("cpfail0001", "runfail001", "cpfail0000", 1, 41, sig, next_ids=RESEARCHERS),
            checkpoint(
                "cpfail0002",
                "runfail001",
                "cpfail0001",
                2,
                42,
                sig,
                next_ids=RESEARCHERS,
                failed=True,
            ),
            checkpoint("cpwait0000", "runwait001", None, 0, 50, sig),
            checkpoint("cpwait0001", "runwait001", "cpwait0000", 1, 51, sig, waiting=True),
        ],
    )
    for name in ("half-written", "foreign"):
        (tmp_path / "checkpoints" / f"{name}.json").write_text("{not json")
    return branched_store


async def to_the_branch(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await highlight(pilot.app, pilot, "cpbrch0002")  # type: ignore[arg-type]
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_of_runs_branches_and_problems(
    snap_compare: Callable[..., bool],
    new_app: AppFactory,
    mixed_store: FileCheckpointStorage,
    size: tuple[int, int],
) -> None:
    assert snap_compare(new_app(), terminal_size=size, run_before=to_the_branch)


async def test_enter_right_after_a_move_acts_on_the_new_row(
    new_app: AppFactory, fixed_store: FileCheckpointStorage, tmp_path: Path
) -> None:
    """Keys sent together (as a terminal or tmux does) must not resume the row left behind."""
    (tmp_path / "checkpoints" / "broken.json").write_text("{not json")
    app = new_app()
    async with opened(app) as pilot:
        assert app.main.browser.highlighted_id == "cpbbbbbb00"
        for key in ("g", "enter"):  # both queued before either is handled
            app.post_message(events.Key(key, None))
        await wait_until(pilot, lambda: app.main.browser.table.row_count == 1 + 1 + 14)
        await settle(pilot)
        assert not app.run_active
        assert len(app.main.browser.summaries) == 12


async def test_a_branch_says_which_execution_made_it(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    """A real run, then a fork and a step from its second checkpoint: each branch names its kind."""
    workflow = seed.create_workflow(storage)
    await workflow.run("hello world")
    first_run = await storage.list_checkpoint_ids()
    forked = await seed.create_workflow(storage).fork(
        first_run[1], edits={"shared_state.original_input": "forked"}, note="try"
    )
    await seed.create_workflow(storage).run_from_checkpoint(first_run[2], max_supersteps=1)
    stepped = next(
        cid for cid in await storage.list_checkpoint_ids() if cid not in {*first_run, forked}
    )
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: stepped in app.main.browser.summaries)
        texts = [row_text(app, index) for index in range(len(shown_rows(app)))]
        assert any("fork: " in text and forked[-8:] in text for text in texts), texts
        assert any("step: " in text and stepped[-8:] in text for text in texts), texts
        assert not any("branch: " in text for text in texts), texts


async def test_counts_in_the_notes_line_agree_with_their_number(
    new_app: AppFactory, fixed_store: FileCheckpointStorage
) -> None:
    stranger = fixed_runs("another-graph")[0].model_copy(update={"checkpoint_id": "cpzzzzzz00"})
    await fixed_store.save_checkpoint(stranger)
    app = new_app()
    async with opened(app) as pilot:
        notes = app.main.browser.query_one("#checkpoint-notes", Static)
        await wait_until(pilot, lambda: "other pipelines" in str(notes.render()))
        assert str(notes.render()) == "⚠ 1 checkpoint of other pipelines not shown"
        assert " 6 checkpoints " in row_text(app, 0)  # a run's header row


def test_counted_says_one_thing_and_many_things() -> None:
    assert [counted(n, "run") for n in (0, 1, 2, 1200)] == [
        "0 runs",
        "1 run",
        "2 runs",
        "1,200 runs",
    ]
    assert (
        counted(1, "match", "matches") == "1 match"
        and counted(3, "match", "matches") == "3 matches"
    )
    assert plural_noun("journals") == ("journal", "journals")
