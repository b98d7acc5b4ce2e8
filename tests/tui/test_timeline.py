"""The timeline (t): bars per invocation, superstep ticks, failure/replay/wait marks, live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.support import FIXED_NOW, AppFactory, opened, sample_pipeline, start_run, wait_until
from tests.tui.test_snapshots import SMALL, WIDE, SnapCompare, pinned_run, with_events
from wftui.cli.output import event_json
from wftui.engine import (
    ExecutorCompletedEvent,
    RequestInfoEvent,
    WorkflowEvent,
)
from wftui.tui.screens.timeline import TimelineScreen
from wftui.tui.timeline import Timeline


def marked_run() -> list[WorkflowEvent]:
    """The pinned run, plus a replayed executor and a human request, so every mark shows."""
    events = pinned_run()
    failure_at = events[-3].timestamp
    events[-3:-3] = [
        ExecutorCompletedEvent(
            executor_id="reverse_text_executor", data="replayed from checkpoint",
            timestamp=failure_at - 0.05,
        ),
        RequestInfoEvent(
            request_id="r1", source_executor_id="submit_lower", request_type="str",
            timestamp=failure_at - 0.02,
        ),
    ]  # fmt: skip
    return events


def drawn(timeline: Timeline, width: int, now: float = FIXED_NOW) -> list[str]:
    return ["".join(text for text, _ in line) for line in timeline.render(width, now)]


def test_every_mark_is_a_symbol_within_80_columns() -> None:
    timeline = Timeline()
    timeline.see_all(marked_run())

    lines = drawn(timeline, 80)

    assert all(len(line) <= 80 for line in lines), lines
    rows = {line.split()[0]: line for line in lines[1:-2]}
    assert list(rows) == [
        "upper_case_executor", "reverse_text_executor", "submit_lower", "lower_agent", "finalize",
    ]  # fmt: skip
    assert "█" in rows["upper_case_executor"]
    assert rows["reverse_text_executor"].rstrip().endswith("↺")  # replayed, after its bar
    assert "?" in rows["submit_lower"]
    assert "✗" in rows["finalize"] and "▒" not in rows["finalize"]
    assert lines[0].split()[1:] == ["1", "2", "3", "4"]  # a tick per superstep
    assert "┆" in rows["finalize"]  # ticks run through the rows
    assert "✗ failed" in lines[-1] and "? human wait" in lines[-1]


def test_bars_are_placed_in_time_order() -> None:
    timeline = Timeline()
    timeline.see_all(pinned_run())
    rows = drawn(timeline, 120)[1:-2]
    starts = [row.index("█", 23) if "█" in row[23:] else row.index("✗", 23) for row in rows]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


@pytest.mark.parametrize(
    ("size", "no_color"),
    [(WIDE, False), (SMALL, False), (SMALL, True)],
    ids=["120x40", "80x24", "80x24-no-color"],
)
def test_timeline_snapshot(
    snap_compare: SnapCompare,
    new_app: AppFactory,
    size: tuple[int, int],
    no_color: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    events = marked_run()
    # A request through the app opens its answer dialog; the timeline gets it directly.
    request = next(event for event in events if isinstance(event, RequestInfoEvent))
    feed = with_events([event for event in events if event is not request])

    async def run_before(pilot: Pilot[Any]) -> None:
        await feed(pilot)
        pilot.app.main.timeline.see(request)

    assert snap_compare(new_app(), terminal_size=size, run_before=run_before, press=["t"])


async def test_the_timeline_follows_a_live_run(new_app: AppFactory) -> None:
    gated = sample_pipeline("gated")
    gate = gated.module.Gate()
    gated.module.GATE = gate
    app = new_app(gated)
    async with opened(app) as pilot:
        await start_run(app, pilot)
        await wait_until(pilot, gate.reached.is_set)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        timeline: Timeline = app.main.timeline

        def row(name: str) -> str:
            return next(
                line for line in drawn(timeline, 80, app.clock.now()) if line.startswith(name)
            )

        await wait_until(pilot, lambda: "▒" in row("hold"))  # running: an open bar
        assert timeline.live
        gate.opened.set()
        await wait_until(pilot, lambda: not timeline.live)
        assert "▒" not in row("hold") and "█" in row("hold")
        assert "█" in row("first")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, TimelineScreen))


def test_a_past_run_draws_alike_from_its_json_events() -> None:
    """The form ``run --json`` prints and a journal keeps is enough to draw the run again."""
    live, past = Timeline(), Timeline()
    live.see_all(marked_run())
    for event in marked_run():
        past.see_json(json.loads(event_json(event)))

    assert drawn(past, 80) == drawn(live, 80)


async def test_a_past_run_draws_its_timeline_from_the_journal(tmp_path: Path) -> None:
    """A run made by another process, read back from the store's journal with `J`, then `t`."""
    from tests.cli.support import saved_ids, wftui
    from tests.tui.support import highlight
    from wftui.checkpoint.file import FileCheckpointStorage
    from wftui.loader import load_pipeline
    from wftui.tui.app import make_app

    ran = wftui("run", "--checkpoint-dir", "cps", "--chat", "local", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    ids = saved_ids(ran.stdout, tmp_path / "cps")
    app = make_app(load_pipeline(), FileCheckpointStorage(tmp_path / "cps"), confirm_resume=False)
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: ids[-1] in app.main.browser.summaries)
        await highlight(app, pilot, ids[-1])
        await pilot.press("J")
        timeline = app.main.timeline
        await wait_until(pilot, lambda: sum(len(bars) for bars in timeline.rows.values()) == 5)
        assert [number for _, number in timeline.ticks] == [1, 2, 3, 4, 5]
        assert not timeline.live
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TimelineScreen))
