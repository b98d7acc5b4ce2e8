"""The same checkpoints list the same in every store: a run with a resume, a fork, a step and a
rerun, copied into a folder, a SQLite file and a PostgreSQL schema, summarizes identically there,
the kind of each branch included (the browser marks branches with it)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from pipelines.text_processing import create_workflow
from tests.checkpoint.conformance import BACKENDS, Backend
from wftui.checkpoint import CheckpointStorage, open_store
from wftui.checkpoint.copy import copy_checkpoints


async def a_run_with_every_kind_of_branch(storage: CheckpointStorage) -> None:
    """run; then from its second checkpoint a resume, a fork, a step; then a rerun."""
    workflow = create_workflow(storage)
    await workflow.run("hello world")
    [second] = [s for s in await storage.list_summaries() if s.iteration_count == 2]
    await workflow.run_from_checkpoint(second.checkpoint_id)
    await workflow.fork(second.checkpoint_id, note="try again")
    await workflow.run_from_checkpoint(second.checkpoint_id, max_supersteps=1)
    await workflow.rerun(second.checkpoint_id, second.next_executor_ids[0])


async def test_summaries_are_equal_in_every_store_execution_kinds_included(
    tmp_path: Path,
) -> None:
    source = open_store("memory:", create=True)
    await a_run_with_every_kind_of_branch(source)
    expected = await source.list_summaries()
    assert {s.execution_kind for s in expected} == {"run", "resume", "fork", "step", "rerun"}

    with ExitStack() as stack:
        backends: list[Backend] = [
            stack.enter_context(kind.made(tmp_path / name))
            for name, kind in BACKENDS.items()
            if name != "memory"
        ]
        try:
            for backend in backends:
                storage = backend.open()
                report = await copy_checkpoints(source, storage)
                assert (report.copied, report.skipped) == (len(expected), [])
                assert await backend.open().list_summaries() == expected, backend.url
                newest = await storage.list_summaries(limit=3)
                assert [s.execution_kind for s in newest] == [
                    s.execution_kind for s in expected[:3]
                ]
        finally:
            for backend in backends:
                await backend.close()
