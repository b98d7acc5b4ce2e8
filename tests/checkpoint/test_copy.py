"""Copying between stores: verbatim, idempotent, one run at a time, and open to extra steps."""

from __future__ import annotations

from pathlib import Path

from tests.checkpoint.support import Point, make_checkpoint
from wftui.checkpoint import CheckpointStorage, open_store
from wftui.checkpoint.copy import Copied, copy_checkpoints


async def test_a_copy_is_verbatim_idempotent_and_reports_progress(tmp_path: Path) -> None:
    source = open_store(tmp_path / "from", create=True)
    destination = open_store(f"sqlite:{tmp_path / 'to.db'}", create=True)
    saved = [make_checkpoint("run-a", shared_state={"p": Point(i, i)}) for i in range(3)]
    saved.append(make_checkpoint("run-b"))
    for cp in saved:
        await source.save_checkpoint(cp)
    seen: list[tuple[int, int]] = []
    report = await copy_checkpoints(
        source, destination, run="run-a", progress=lambda done, total: seen.append((done, total))
    )
    assert (report.copied, report.unchanged, report.skipped) == (3, 0, [])
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for cp in saved[:3]:
        assert await destination.load_document(cp.checkpoint_id) == await source.load_document(
            cp.checkpoint_id
        )
    assert await destination.list_checkpoint_ids("run-b") == []
    again = await copy_checkpoints(source, destination)
    assert (again.copied, again.unchanged) == (1, 3)
    await destination.close()  # type: ignore[attr-defined]


async def test_steps_run_after_the_checkpoints_and_report_what_they_copied() -> None:
    """Where journals and cassettes join the copy."""
    calls: list[tuple[list[str], str | None]] = []

    async def step(
        source: CheckpointStorage, destination: CheckpointStorage, run: str | None
    ) -> Copied:
        calls.append((await destination.list_checkpoint_ids(), run))
        return Copied("notes", copied=2, unchanged=1)

    source, destination = open_store("memory:", create=True), open_store("memory:", create=True)
    cp = make_checkpoint("run-a")
    await source.save_checkpoint(cp)
    report = await copy_checkpoints(source, destination, run="run-a", steps=[step])
    assert calls == [([cp.checkpoint_id], "run-a")]
    assert report.beside == [Copied("notes", copied=2, unchanged=1)]
