"""``/`` in the checkpoint browser finds text inside checkpoint values: matches are added as a
search in the background finds them, the next key cancels a search that has not finished, and
checkpoints saved while a filter is set are searched too. And the browser names each checkpoint
uniquely, as the CLI does, when two ids share their last eight characters."""

from __future__ import annotations

import pytest
from textual.worker import WorkerState

from tests.tui.support import AppFactory, opened, row_text, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.ids import resolve_id
from wftui.tui.widgets import checkpoint_browser
from wftui.tui.widgets.checkpoint_browser import SEARCH_GROUP, CheckpointBrowser


def stored(step: int, draft: str) -> WorkflowCheckpoint:
    return WorkflowCheckpoint(
        checkpoint_id=f"cpvalue{step:02d}",
        workflow_id="runvalues",
        workflow_name="text_processing",
        parent_checkpoint_id=f"cpvalue{step - 1:02d}" if step else None,
        timestamp=f"2025-03-14T11:30:{step:02d}.000000Z",
        iteration_count=step,
        shared_state={"draft": draft},
    )


def notes(browser: CheckpointBrowser) -> str:
    return str(browser.query_one("#checkpoint-notes").render())


async def test_text_only_in_a_value_is_found_and_a_longer_text_narrows_it(
    new_app: AppFactory, storage: FileCheckpointStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint_browser, "SEARCH_DELAY", 0)
    for step, draft in enumerate(["plain", "a Zebra crossing", "zebras"]):
        await storage.save_checkpoint(stored(step, draft))
    app = new_app()
    async with opened(app) as pilot:
        browser = app.main.browser
        browser.table.focus()
        await pilot.press("slash", *"zebra")
        await wait_until(pilot, lambda: not browser.searching_values)
        assert browser.model.matched_count() == 2
        assert notes(browser) == "2 of 3 match “zebra”"
        await pilot.press(*" cr")
        await wait_until(pilot, lambda: not browser.searching_values)
        assert browser.model.matched_count() == 1
        assert browser.model.index_of("cpvalue01") is not None

        # Saved while the filter is set: its values are searched as it arrives.
        newer = stored(3, "ZEBRA CROSSING at night")
        await storage.save_checkpoint(newer)
        browser.add(newer.summary())
        await wait_until(pilot, lambda: not browser.searching_values)
        assert browser.model.matched_count() == 2

        await pilot.press("escape")
        assert not browser.model.filter_text
        assert all(browser.model.index_of(f"cpvalue{n:02d}") is not None for n in range(4))


async def test_the_next_key_cancels_a_search_that_waits_for_typing_to_pause(
    new_app: AppFactory, storage: FileCheckpointStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint_browser, "SEARCH_DELAY", 3600)  # still waiting at the next key
    await storage.save_checkpoint(stored(0, "a zebra"))
    app = new_app()
    async with opened(app) as pilot:
        browser = app.main.browser
        browser.table.focus()
        await pilot.press("slash", *"ze")

        def searches() -> list[object]:
            return [w for w in app.workers if w.node is browser and w.group == SEARCH_GROUP]

        await wait_until(pilot, lambda: len(searches()) == 1)
        (first,) = searches()
        assert "searching values…" in notes(browser)
        await pilot.press("b")
        await wait_until(pilot, lambda: first.state is WorkerState.CANCELLED)  # type: ignore[attr-defined]
        assert browser.searching_values  # the search for "zeb" waits in its place
        await pilot.press("escape")
        await wait_until(pilot, lambda: not browser.searching_values)
        assert "searching" not in notes(browser)


async def test_ids_sharing_their_last_eight_characters_show_longer_unique_names(
    new_app: AppFactory, storage: FileCheckpointStorage
) -> None:
    # The same 8-character tail; the 9th character from the end tells them apart.
    twins = ["0617aaaaaaaaaaf12345678", "0617bbbbbbbbbbe12345678", "0617ccccccccccd99999999"]
    for step, checkpoint_id in enumerate(twins):
        await storage.save_checkpoint(
            stored(step, "x").model_copy(
                update={"checkpoint_id": checkpoint_id, "parent_checkpoint_id": None}
            )
        )
    app = new_app()
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: len(app.main.browser.summaries) == 3)
        rows = [row_text(app, index) for index in range(app.main.browser.model.row_count)]
        names = [row.split()[0] for row in rows if row.lstrip().startswith(("f1", "e1", "9"))]
        assert sorted(names) == ["99999999", "e12345678", "f12345678"]
        assert all(resolve_id(name, twins) in twins for name in names)
