"""Four processes each journal 50 runs into one store while the app watches it: afterwards
every checkpoint is in the store and in the app's browser exactly once, and every run's journal
is complete. Once per store kind: a folder, a SQLite file, a PostgreSQL schema."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.cli.support import REPO, environment
from tests.postgres_support import scratch_schema, store_url
from tests.store_writers import TINY_PIPELINE, TINY_STEPS, run_input
from tests.tui.support import FIXED_CLOCK, opened, shown_rows
from wftui.checkpoint import open_store
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal import journal_for
from wftui.loader import load_pipeline
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.browser.model import RowKind

WORKERS = 4
RUNS_EACH = 50
PATIENCE = 300.0  # seconds: a hang fails the test instead of blocking the suite


@asynccontextmanager
async def _store(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "postgresql":
        async with scratch_schema() as (url, schema):
            yield store_url(url, schema)
    else:
        yield f"file:{tmp_path / 'store'}" if kind == "file" else f"sqlite:{tmp_path / 'store.db'}"


async def _until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until ``condition`` holds (a bound far above the time it takes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not condition():
        assert loop.time() < deadline, "the app never caught up with the store"
        await pilot.pause(0.05)


async def _writers(url: str) -> None:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "tests.store_writers", "--runs", url, str(worker), str(RUNS_EACH)),
            cwd=REPO,
            env=environment(),
            stderr=asyncio.subprocess.PIPE,
        )
        for worker in range(WORKERS)
    ]
    results = await asyncio.wait_for(
        asyncio.gather(*(process.communicate() for process in processes)), PATIENCE
    )
    errors = [stderr.decode() for _, stderr in results]
    assert [process.returncode for process in processes] == [0] * WORKERS, errors


def _browser_ids(app: WftuiApp) -> list[str]:
    return [row.key for row in shown_rows(app) if row.kind is RowKind.CHECKPOINT]


async def _journals_are_complete(storage: CheckpointStorage, ids: list[str]) -> None:
    journal = journal_for(storage)
    try:
        executions = await journal.executions()
        assert len(executions) == WORKERS * RUNS_EACH
        assert {e.input for e in executions} == {
            run_input(worker, index) for worker in range(WORKERS) for index in range(RUNS_EACH)
        }
        saved: list[str] = []
        for execution in executions:
            assert execution.status() == "completed", execution
            entries = await journal.entries(execution.id)
            assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
            assert entries[0].event["event"] == "WorkflowStartedEvent"
            assert entries[-1].event.get("state") == "IDLE"
            mine = [e.event["checkpoint_id"] for e in entries if "checkpoint_id" in e.event]
            assert mine and set(mine) == set(await storage.list_checkpoint_ids(execution.run))
            saved += mine
        assert sorted(saved) == sorted(ids)
    finally:
        await journal.close()


@pytest.mark.parametrize("kind", ["file", "sqlite", "postgresql"])
async def test_four_processes_fill_one_store_while_the_app_watches(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in TINY_STEPS.items():
        monkeypatch.setenv(name, value)  # the app's graph is the writers'
    async with _store(kind, tmp_path) as url:
        storage = open_store(url, create=True)
        app = make_app(load_pipeline(TINY_PIPELINE), storage, clock=FIXED_CLOCK)
        try:
            async with opened(app) as pilot:
                writing = asyncio.ensure_future(_writers(url))
                await _until(pilot, lambda: writing.done() or len(app.main.browser.summaries) > 0)
                assert not writing.done(), "no row appeared while the writers wrote"
                await writing
                ids = await storage.list_checkpoint_ids()
                assert len(ids) == len(set(ids)) >= WORKERS * RUNS_EACH
                # The app lists each checkpoint once, from the watch alone (nothing reloaded).
                await _until(pilot, lambda: len(app.main.browser.summaries) == len(ids))
                assert sorted(_browser_ids(app)) == sorted(ids)
                runs = {summary.workflow_id for summary in await storage.list_summaries()}
                assert set(app.main.browser.model.runs) == runs
                await _until(pilot, lambda: not app.main.elsewhere)  # every run has ended
                assert all(app.remote.executions_of(run) for run in runs)
            await _journals_are_complete(storage, ids)
        finally:
            close = getattr(storage, "close", None)
            if close is not None:
                await close()
