"""The app, asked to resume a checkpoint whose pipeline was edited so its graph changed, lists
what changed: a renamed executor and changed handler types too, one per line."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.support import RENAMING_PIPELINE
from tests.tui.support import FIXED_CLOCK, opened, refused_resume
from tests.tui.test_fix_then_resume import run_and_fail
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.loader import load_pipeline
from wftui.tui.app import make_app


async def test_a_rename_and_changed_handler_types_are_listed_when_the_resume_is_refused(
    tmp_path: Path, storage: FileCheckpointStorage
) -> None:
    path = tmp_path / f"renaming_{abs(hash(str(tmp_path)))}.py"  # a module name of its own
    path.write_text(RENAMING_PIPELINE.format(version=1))
    app = make_app(load_pipeline(str(path)), storage, clock=FIXED_CLOCK, confirm_resume=False)
    async with opened(app) as pilot:
        failed = await run_and_fail(app, pilot)
        mtime = path.stat().st_mtime_ns + 10**9  # an editor's save: a new time
        path.write_text(RENAMING_PIPELINE.format(version=2))
        os.utime(path, ns=(mtime, mtime))

        assert await refused_resume(app, pilot, failed) == [
            "  • renamed flaky -> shaky",
            "  • handler input types changed: prepare (str -> str | bytes)",
        ]
        log = app.main.event_log.visible_text()
        assert [line.split(None, 2)[2] for line in log if " mismatch " in line][1:] == [
            "renamed flaky -> shaky",
            "handler input types changed: prepare (str -> str | bytes)",
        ]
