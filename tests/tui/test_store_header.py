"""The app over a store that is not a folder: it lists the store's checkpoints, and the header
names the store by its URL with the password left out."""

from __future__ import annotations

from pathlib import Path

from tests.tui.support import FIXED_CLOCK, fixed_runs, opened, wait_until
from wftui.checkpoint.stores import display_url, open_store
from wftui.loader import load_pipeline
from wftui.tui.app import make_app


async def test_the_app_over_a_sqlite_store(tmp_path: Path) -> None:
    seed = load_pipeline()
    url = f"sqlite:{tmp_path / 'runs.db'}"
    storage = open_store(url, create=True)
    runs = fixed_runs(seed.create_workflow(None).signature)
    for checkpoint in runs:
        await storage.save_checkpoint(checkpoint)
    app = make_app(seed, storage, checkpoint_label=display_url(url), clock=FIXED_CLOCK)
    async with opened(app, size=(200, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.main.browser.summaries) == len(runs))
        assert app.main.header.folder == url
        assert url in str(app.main.header.render())
    await storage.close()  # type: ignore[attr-defined]


def test_the_header_label_hides_a_password() -> None:
    assert (
        display_url("postgresql://me:s3cret@db/runs?schema=t") == "postgresql://me@db/runs?schema=t"
    )
