"""The app, asked to resume a checkpoint whose pipeline was edited so its graph changed, lists
what changed: a renamed executor and changed handler types too, one per line."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.support import RENAMING_PIPELINE
from tests.tui.support import FIXED_CLOCK, highlight, opened, settle, start_run, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointStatus
from wftui.loader import load_pipeline
from wftui.tui.app import make_app
from wftui.tui.status import RunStatus


async def test_a_rename_and_changed_handler_types_are_listed_when_the_resume_is_refused(
    tmp_path: Path, storage: FileCheckpointStorage
) -> None:
    path = tmp_path / f"renaming_{abs(hash(str(tmp_path)))}.py"  # a module name of its own
    path.write_text(RENAMING_PIPELINE.format(version=1))
    app = make_app(load_pipeline(str(path)), storage, clock=FIXED_CLOCK, confirm_resume=False)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, lambda: app.status is RunStatus.FAILED)
        await settle(pilot)
        summaries = app.main.browser.summaries.values()
        (failed,) = [s.checkpoint_id for s in summaries if s.status is CheckpointStatus.FAILED]
        mtime = path.stat().st_mtime_ns + 10**9  # an editor's save: a new time
        path.write_text(RENAMING_PIPELINE.format(version=2))
        os.utime(path, ns=(mtime, mtime))

        await highlight(app, pilot, failed)
        await pilot.press("enter")

        await wait_until(pilot, lambda: any(n.title == "Cannot resume" for n in app._notifications))
        toast = next(n.message for n in app._notifications if n.title == "Cannot resume")
        assert toast.splitlines()[1:] == [
            "  • renamed flaky -> shaky",
            "  • handler input types changed: prepare (str -> str | bytes)",
        ]
        log = app.main.event_log.visible_text()
        assert [line.split(None, 2)[2] for line in log if " mismatch " in line][1:] == [
            "renamed flaky -> shaky",
            "handler input types changed: prepare (str -> str | bytes)",
        ]
