"""Fixtures for app tests: a real file storage in tmp_path and an app factory with a pinned clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.tui.support import FIXED_CLOCK, AppFactory, fixed_runs
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.app import WftuiApp, make_app


@pytest.fixture
def storage(tmp_path: Path) -> FileCheckpointStorage:
    return FileCheckpointStorage(tmp_path / "checkpoints")


@pytest.fixture
def seed() -> PipelineSpec:
    return load_pipeline()


@pytest.fixture
def new_app(storage: FileCheckpointStorage, seed: PipelineSpec) -> AppFactory:
    """``new_app()`` opens the seed pipeline; ``new_app(pipeline)`` another one."""

    def build(pipeline: PipelineSpec | None = None) -> WftuiApp:
        # Tests about the question before a model-calling resume build their own app with it on.
        return make_app(
            pipeline or seed,
            storage,
            checkpoint_label="checkpoints",
            clock=FIXED_CLOCK,
            confirm_resume=False,
        )

    return build


@pytest.fixture
def fixed_store(storage: FileCheckpointStorage, seed: PipelineSpec) -> FileCheckpointStorage:
    """The storage holding two pinned runs of the seed pipeline, written by the real storage."""

    async def save_all() -> None:
        for checkpoint in fixed_runs(seed.create_workflow(None).signature):
            await storage.save_checkpoint(checkpoint)

    asyncio.run(save_all())
    return storage
