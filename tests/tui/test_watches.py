"""The app's watch loops: a watch that fails says so in one line and starts again after the
last change it took, so the browser goes on filling once the store is back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tui.support import FIXED_CLOCK, opened, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.loader import load_pipeline
from wftui.tui.app import make_app

# A coroutine never awaited (a worker cancelled before it started) fails the test.
pytestmark = [
    pytest.mark.filterwarnings("error::RuntimeWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]


async def test_a_failing_watch_is_reported_and_resumes_when_the_store_is_back(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "store"
    pipeline = load_pipeline()
    app = make_app(pipeline, FileCheckpointStorage(folder), clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        shutil.rmtree(folder)  # watching it fails until someone makes it again

        def log() -> str:
            return "\n".join(app.main.event_log.visible_text())

        await wait_until(pilot, lambda: "watching the store failed: CheckpointError" in log())
        [line] = [text for text in app.main.event_log.visible_text() if "failed" in text]
        assert "the folder is gone; trying again in 1 s" in line
        checkpoint = WorkflowCheckpoint(
            workflow_id="late-run", graph_signature=pipeline.create_workflow(None).signature
        )
        await FileCheckpointStorage(folder).save_checkpoint(checkpoint)  # another writer
        await wait_until(pilot, lambda: checkpoint.checkpoint_id in app.main.browser.summaries)
        assert list(app.main.browser.model.runs) == ["late-run"]
