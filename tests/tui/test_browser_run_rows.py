"""A run's header row tells its main line and its working time; branch rows keep the columns."""

from __future__ import annotations

import random
import re
import time
from datetime import datetime

import pytest

from tests.tui.support import AppFactory, opened, row_text, settle, shown_rows, wait_until
from tests.tui.test_checkpoint_browser import checkpoint, save, status_of
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointStatus, CheckpointSummary, WorkflowCheckpoint
from wftui.journal import Execution, journal_for
from wftui.loader import PipelineSpec
from wftui.tui.browser.model import CheckpointTree, RowKind


def made_by(item: WorkflowCheckpoint, kind: str) -> WorkflowCheckpoint:
    """``item`` as an execution of ``kind`` writes it (its metadata names the kind)."""
    return item.model_copy(update={"metadata": {"execution": {"id": kind, "kind": kind}}})


@pytest.fixture
def forked_store(storage: FileCheckpointStorage, seed: PipelineSpec) -> FileCheckpointStorage:
    """A run that took 3 s and completed; 27 s later a step from its second checkpoint, and
    10 s after that a fork of the same checkpoint, neither resumed."""
    sig = seed.create_workflow(None).signature
    main = [
        checkpoint("cprun00000", "runforked1", None, 0, 0, sig),
        checkpoint("cprun00001", "runforked1", "cprun00000", 1, 1, sig),
        checkpoint("cprun00002", "runforked1", "cprun00001", 2, 2, sig),
        checkpoint("cprun00003", "runforked1", "cprun00002", 3, 3, sig, next_ids=[]),
    ]
    save(
        storage,
        [
            *(made_by(item, "run") for item in main),
            made_by(checkpoint("cpstep0002", "runforked1", "cprun00001", 2, 30, sig), "step"),
            made_by(checkpoint("cpfork0001", "runforked1", "cprun00001", 1, 40, sig), "fork"),
        ],
    )
    return storage


async def test_a_run_row_tells_its_main_line_and_working_time_not_the_idle_gap(
    new_app: AppFactory, forked_store: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app):
        header = row_text(app, 0)
        assert header.split()[1] == "✓", header  # the main line completed; the fork decides not
        assert "6 checkpoints, 1 fork, 1 step" in header, header
        assert "  3.0s " in header, header  # not 40.0s: the pauses before the branches
        assert status_of(app, "cprun00003") == "✓ completed"
        assert status_of(app, "cpstep0002") == "‖ paused"  # nobody runs it: a step stopped
        assert status_of(app, "cpfork0001") == "✎ forked"  # written, not resumed yet
        app.main.mark_elsewhere("runforked1", "otherhost:4242")  # its step runs there now
        assert status_of(app, "cpstep0002") == "▸ in progress"
        assert row_text(app, 0).split()[1] == "●"


async def test_a_run_row_takes_its_working_time_from_the_journal(
    new_app: AppFactory, forked_store: FileCheckpointStorage
) -> None:
    """The journal knows when each execution began and ended; its sum is the run's time."""
    journal = journal_for(forked_store)
    started = datetime.fromisoformat("2025-03-14T11:30:00+00:00").timestamp()
    for kind, begin, took in (("run", started, 3.25), ("step", started + 29.5, 0.5)):
        execution = Execution.here(kind, "text_processing", run="runforked1")
        execution.started = begin
        await journal.begin(execution)
        await journal.end(execution.id, "completed", begin + took)
    await journal.close()
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: "  3.8s " in row_text(app, 0))
        assert "6 checkpoints, 1 fork, 1 step" in row_text(app, 0)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_branch_rows_keep_the_superstep_and_next_columns_of_the_main_rows(
    new_app: AppFactory, forked_store: FileCheckpointStorage, size: tuple[int, int]
) -> None:
    app = new_app()
    async with opened(app, size=size) as pilot:
        await settle(pilot)
        table = app.main.browser.table
        rows = shown_rows(app)
        drawn = [
            table.render_line(y).text
            for y, row in enumerate(rows)
            if row.kind is RowKind.CHECKPOINT
        ]
        assert len(drawn) == 6
        assert any("↳" in line for line in drawn)
        # Where each row's superstep ends and its next column begins.
        columns = set()
        for line in drawn:
            found = re.search(r"\w{8,} +\d+  (?=\S)", line)
            assert found is not None, line
            columns.add(found.end())
        assert len(columns) == 1, drawn


def test_the_story_told_as_checkpoints_arrive_is_the_story_told_afresh() -> None:
    """A live run updates its header without walking the run again; whatever order the
    checkpoints arrive in, the result equals a retelling from scratch."""
    kinds = ("run", "run", "step", "fork", "resume", "")
    rng = random.Random(7)
    summaries, ids = [], []
    for index in range(300):
        parent = None if index == 0 else ids[rng.randrange(len(ids))]
        if index and rng.random() < 0.7:
            parent = ids[-1]  # mostly a line that goes on
        ids.append(f"cp{index:05d}")
        summaries.append(
            CheckpointSummary(
                checkpoint_id=ids[-1],
                workflow_id="runstory1",
                parent_checkpoint_id=parent,
                timestamp=f"2025-03-14T11:{index // 60:02d}:{index % 60:02d}.000000Z",
                iteration_count=index,
                status=CheckpointStatus.IN_PROGRESS,
                execution_kind=rng.choice(kinds),
            )
        )
    for order in (summaries, rng.sample(summaries, len(summaries))):
        tree = CheckpointTree()
        for number, item in enumerate(order, start=1):
            tree.add(item)
            run = tree.runs["runstory1"]
            if number % 7 == 0 or number == len(order):
                told = run.story()  # asked now and then, as drawing does
                run.told = None
                assert told == run.story(), number


async def test_a_line_whose_execution_was_cancelled_or_lost_says_so_not_in_progress(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    """Three runs stopped in progress: one cancelled (Ctrl-C), one killed (its heartbeats
    stopped: lost), one still running in another process; the journal tells them apart."""
    sig = seed.create_workflow(None).signature
    journal = journal_for(storage)
    started = datetime.fromisoformat("2025-03-14T11:30:00+00:00").timestamp()
    for run, second in (("runcancel1", 0), ("runlost001", 10), ("runlive001", 20)):
        execution = Execution.here("run", "text_processing", run=run, beat_every=3600.0)
        execution.started = started + second - 0.5
        execution.host = "otherhost"  # another process ran them, not this app
        # Killed at once (an ancient last heartbeat) but for the live one, beating now.
        execution.heartbeat = time.time() if run == "runlive001" else execution.started + 1
        await journal.begin(execution)
        if run == "runcancel1":
            await journal.end(execution.id, "cancelled", started + second + 2)
        for step in (0, 1):
            parent = f"cp{run}0" if step else None
            item = checkpoint(f"cp{run}{step}", run, parent, step, second + step, sig)
            meta = {"execution": execution.metadata()}
            await storage.save_checkpoint(item.model_copy(update={"metadata": meta}))
    await journal.close()
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: status_of(app, "cprunlost0011") == "✗ lost")
        assert status_of(app, "cpruncancel11") == "■ stopped"
        assert status_of(app, "cprunlive0011") == "▸ in progress"
        outcomes = {
            row.key: row_text(app, index).split()[1]
            for index, row in enumerate(shown_rows(app))
            if row.kind is RowKind.RUN
        }
        assert outcomes == {"runcancel1": "■", "runlost001": "✗", "runlive001": "●"}
