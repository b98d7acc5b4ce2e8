"""A human request shows as a small form: labelled typed fields, a checked answer, "1 of N"."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui.support import AppFactory, opened, sample_pipeline, settle, start_run, wait_until
from wftui.tui.app import WftuiApp
from wftui.tui.screens.dialogs import RequestScreen, answer_problem


def shown(app: WftuiApp, selector: str) -> list[str]:
    return [str(widget.render()) for widget in app.screen.query(selector).results(Static)]


async def test_two_open_requests_show_their_fields_refuse_empty_and_count(
    new_app: AppFactory,
) -> None:
    app = new_app(sample_pipeline("two_approvals"))
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(
            pilot, lambda: sum(isinstance(s, RequestScreen) for s in app.screen_stack) == 2
        )
        top = app.screen
        assert isinstance(top, RequestScreen)
        await wait_until(pilot, lambda: "1 of 2" in str(top.query_one(".dialog").border_title))
        assert shown(app, ".request-field") == ["draft (str): 'HELLO'"]
        assert "answer (str):" in shown(app, ".dialog-line")
        await pilot.press("enter")  # an empty answer to a str question
        await wait_until(
            pilot, lambda: "cannot be empty" in " ".join(shown(app, "#request-problem"))
        )
        assert app.screen is top
        await pilot.press(*"ok", "enter")
        await wait_until(pilot, lambda: app.screen is not top)
        second = app.screen
        assert isinstance(second, RequestScreen)
        await wait_until(
            pilot, lambda: second.query_one(".dialog").border_title == "Human input needed"
        )
        await pilot.press(*"ok", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, RequestScreen)


def test_answers_are_checked_against_the_expected_type() -> None:
    assert answer_problem(int, "5") is None
    assert answer_problem(int, "five") is not None
    assert answer_problem(int | None, "") is None
    assert answer_problem(str, "") == "an answer is needed: str cannot be empty"
