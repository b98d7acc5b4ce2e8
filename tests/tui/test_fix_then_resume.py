"""Fix the pipeline in an editor, then resume: the app re-imports a changed file first."""

from __future__ import annotations

import os
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.support import (
    FIXED_CLOCK,
    highlight,
    opened,
    refused_resume,
    settle,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointStatus
from wftui.engine import GraphMismatchError
from wftui.loader import load_pipeline
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.graph_changes import mismatch_lines
from wftui.tui.status import RunStatus

SOURCE = """
from wftui import CheckpointStorage, Executor, Workflow, WorkflowBuilder, WorkflowContext, handler

DEFAULT_INPUT = "hello"
BROKEN = {broken}


class Prepare(Executor):
    @handler
    async def prepare(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text.upper())


class Flaky(Executor):
    @handler
    async def flaky(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        if BROKEN:
            raise ConnectionError("model endpoint refused the connection")
        await ctx.yield_output(text)


class Extra(Executor):
    @handler
    async def extra(self, text: str, ctx: WorkflowContext[str, str]) -> None:
        await ctx.yield_output(text + "!")


def create_workflow(checkpoint_storage: CheckpointStorage | None, chat_client: object = None) -> Workflow:
    prepare, flaky = Prepare(id="prepare"), Flaky(id="flaky")
    builder = WorkflowBuilder().set_start_executor(prepare).add_edge(prepare, flaky)
    if {extra}:
        builder = builder.add_edge(flaky, Extra(id="extra"))
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
"""


def write(path: Path, *, broken: bool, extra: bool = False) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(SOURCE.format(broken=broken, extra=extra))
    os.utime(path, ns=(before + 10**9, before + 10**9))  # an editor's save: a new mtime


def pipeline_file(tmp_path: Path) -> Path:
    folder = tmp_path / "edited"
    folder.mkdir()
    path = folder / f"fixable_{abs(hash(str(tmp_path)))}.py"
    write(path, broken=True)
    return path


def build(path: Path, storage: FileCheckpointStorage) -> WftuiApp:
    return make_app(load_pipeline(str(path)), storage, clock=FIXED_CLOCK, confirm_resume=False)


async def run_and_fail(app: WftuiApp, pilot: Pilot[None]) -> str:
    await start_run(app, pilot)
    await wait_until(pilot, lambda: app.status is RunStatus.FAILED)
    await settle(pilot)
    failed = [s for s in app.main.browser.summaries.values() if s.status is CheckpointStatus.FAILED]
    assert len(failed) == 1
    return failed[0].checkpoint_id


async def test_a_fixed_file_is_reloaded_before_the_resume(
    tmp_path: Path, storage: FileCheckpointStorage
) -> None:
    path = pipeline_file(tmp_path)
    app = build(path, storage)
    async with opened(app) as pilot:
        failed = await run_and_fail(app, pilot)
        write(path, broken=False)
        await highlight(app, pilot, failed)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        log = app.main.event_log.visible_text()
        assert any(f"reloaded {path.name}" in line for line in log)
        assert any("OUTPUT" in line and "HELLO" in line for line in log)


async def test_ctrl_r_reloads_even_an_unchanged_file(
    tmp_path: Path, storage: FileCheckpointStorage
) -> None:
    path = pipeline_file(tmp_path)
    app = build(path, storage)
    async with opened(app) as pilot:
        app.pipeline.module.BROKEN = "changed in memory"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.pipeline.module.BROKEN is True)


async def test_a_changed_graph_lists_its_differences_when_the_resume_is_refused(
    tmp_path: Path, storage: FileCheckpointStorage
) -> None:
    path = pipeline_file(tmp_path)
    app = build(path, storage)
    async with opened(app) as pilot:
        failed = await run_and_fail(app, pilot)
        write(path, broken=False, extra=True)
        assert await refused_resume(app, pilot, failed) == [
            "  • executors added: extra",
            "  • edges added (only in the pipeline now): flaky->extra",
        ]
        assert "extra" in {node.id for node in app._graph_spec.nodes}


def test_mismatch_lines_split_every_kind_of_difference() -> None:
    error = GraphMismatchError(
        "checkpoint c1 was written by a different graph (workflow 'a') than 'a'",
        [
            "executors missing here: old",
            "executors not in the checkpoint: new",
            "executor types changed: x",
            "edges differ; only in checkpoint: a->old; only here: a->new",
        ],
    )
    head, lines = mismatch_lines(error)
    assert head.endswith("than 'a'")
    assert lines == [
        "executors removed: old",
        "executors added: new",
        "executor types changed: x",
        "edges removed (only in the checkpoint): a->old",
        "edges added (only in the pipeline now): a->new",
    ]
