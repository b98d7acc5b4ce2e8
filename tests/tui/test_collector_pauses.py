"""The app keeps what startup made out of the cyclic collector's full collections while it runs
(they were the slowest keys in a flood of events), and gives it back when it ends."""

from __future__ import annotations

import gc

from tests.tui.support import AppFactory, opened, wait_until


async def test_startup_objects_are_frozen_while_the_app_runs_and_thawed_after(
    new_app: AppFactory,
) -> None:
    assert gc.get_freeze_count() == 0
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: gc.get_freeze_count() > 0)
    assert gc.get_freeze_count() == 0
