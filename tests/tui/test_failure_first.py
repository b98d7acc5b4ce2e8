"""Failure first: a failed run puts its failure in front, once, with the way to retry it."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets.tree import TreeNode

from tests.tui.support import (
    AppFactory,
    graph_text,
    highlight,
    opened,
    sample_pipeline,
    settle,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointStatus, WorkflowCheckpoint
from wftui.loader import PipelineSpec
from wftui.tui.app import WftuiApp
from wftui.tui.widgets.checkpoint_browser import CheckpointTable

TRACE = "\n".join(
    ["Traceback (most recent call last):"]
    + [f'  File "step.py", line {n}, in step{n}' for n in range(20)]
    + ["RuntimeError: quota"]
)


def labels_under(node: TreeNode[None]) -> list[str]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(str(current.label))
        stack.extend(reversed(current.children))
    return found


def failed_checkpoint(signature: str, error: dict[str, str]) -> WorkflowCheckpoint:
    return WorkflowCheckpoint(
        checkpoint_id="cpfailed00",
        workflow_id="runfailed",
        workflow_name="text_processing",
        timestamp="2025-03-14T11:30:00.000000Z",
        iteration_count=2,
        messages={"previous": [{"data": "x", "source_id": "previous", "target_id": None}]},
        next_executor_ids=["submit_lower"],
        error=error,
        graph_signature=signature,
    )


async def open_on_failed(app: WftuiApp, pilot: Pilot[None]) -> list[str]:
    await highlight(app, pilot, "cpfailed00")
    inspector = app.main.inspector
    await wait_until(
        pilot,
        lambda: (
            bool(inspector.root.children) and "failure" in str(inspector.root.children[0].label)
        ),
    )
    return labels_under(inspector.root.children[0])


async def test_a_failed_checkpoint_opens_on_its_error_executor_and_traceback_tail(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    signature = seed.create_workflow(None).signature
    error = {
        "error_type": "RuntimeError",
        "message": "quota",
        "executor_id": "submit_lower",
        "traceback": TRACE,
    }
    await storage.save_checkpoint(failed_checkpoint(signature, error))
    app = new_app()
    async with opened(app) as pilot:
        failure = await open_on_failed(app, pilot)
        assert failure[:3] == ["✗ failure", "error: RuntimeError: quota", "executor: submit_lower"]
        assert "traceback last 12 lines" in failure
        assert "RuntimeError: quota" in failure
        assert '  File "step.py", line 0, in step0' not in failure  # only the tail
        assert "rerun on resume: submit_lower" in failure
        inspector = app.main.inspector
        await wait_until(pilot, lambda: inspector.cursor_node is inspector.root.children[0])
        # The graph draws the failed executor as failed, not as plain "next".
        app.main.browser.table.focus()
        await wait_until(pilot, lambda: "✗ submit_lower" in graph_text(app))
        assert "▶ submit_lower" not in graph_text(app)


async def test_a_failure_without_a_traceback_shows_no_traceback_node(
    new_app: AppFactory, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    signature = seed.create_workflow(None).signature
    error = {"error_type": "RuntimeError", "message": "quota", "executor_id": "submit_lower"}
    await storage.save_checkpoint(failed_checkpoint(signature, error))
    app = new_app()
    async with opened(app) as pilot:
        failure = await open_on_failed(app, pilot)
        assert not any(label.startswith("traceback") for label in failure)


async def test_a_failed_run_moves_the_cursor_to_its_failure_says_enter_retries_logs_once(
    new_app: AppFactory,
) -> None:
    flaky = sample_pipeline("flaky")
    flaky.module.BROKEN = True
    app = new_app(flaky)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        browser = app.main.browser

        def failed_ids() -> list[str]:
            return [
                s.checkpoint_id
                for s in browser.summaries.values()
                if s.status is CheckpointStatus.FAILED
            ]

        await wait_until(pilot, lambda: len(failed_ids()) == 1)
        await wait_until(pilot, lambda: browser.highlighted_id == failed_ids()[0])
        await wait_until(pilot, lambda: isinstance(app.focused, CheckpointTable))
        await settle(pilot)
        toasts = [n.message for n in app._notifications if n.title == "Run failed"]
        assert len(toasts) == 1
        assert toasts[0].startswith("flaky failed: ConnectionError: model endpoint refused")
        assert f"Enter retries from {failed_ids()[0][-8:]}" in toasts[0]
        failures = [line for line in app.main.event_log.visible_text() if " FAILED " in line]
        assert len(failures) == 1
