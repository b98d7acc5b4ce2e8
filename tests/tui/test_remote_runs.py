"""The app and runs that other processes drive: their rows appear live, marked as running
elsewhere; selecting one tells its story from the journal (live, or replayed when it has
ended); its requests are answered here; and a run the app drives itself is never disturbed."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.cli.support import APPROVAL_PIPELINE, FAILING_PIPELINE, GATED_PIPELINE, environment
from tests.tui.support import (
    FIXED_CLOCK,
    dialog_text,
    graph_text,
    opened,
    row_text,
    settle,
    shown_rows,
    start_run,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.journal import Execution, journal_for, journaled
from wftui.journal.files import FileJournal
from wftui.journal.transfer import copy_journals
from wftui.loader import load_pipeline
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.screens.dialogs import PromptScreen
from wftui.tui.status import RunStatus

# A coroutine never awaited (a worker cancelled before it started) fails the test.
pytestmark = [
    pytest.mark.filterwarnings("error::RuntimeWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]


def _wftui(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wftui", *args, "--checkpoint-dir", "store"],
        cwd=cwd,
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(*args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    done = _wftui(*args, cwd=cwd, env=env)
    _, errors = done.communicate(timeout=60)
    assert done.returncode in (0, 1), errors


def _log(app: WftuiApp) -> str:
    return "\n".join(app.main.event_log.visible_text())


def _run_row(app: WftuiApp, run: str) -> str:
    """The browser's header row of ``run``, as drawn."""
    rows = shown_rows(app)
    return next(row_text(app, i) for i, row in enumerate(rows) if row.key == run)


async def _select(app: WftuiApp, pilot: Pilot[None], run: str) -> None:
    """Put the browser's cursor on a checkpoint of ``run``, with the keys a user presses."""
    browser = app.main.browser
    browser.table.focus()
    await pilot.press("g")
    for _ in range(len(shown_rows(app))):
        highlighted = browser.highlighted_id
        if highlighted is not None and browser.summaries[highlighted].workflow_id == run:
            return
        await pilot.press("j")
    raise AssertionError(f"no checkpoint of run {run} in the browser")


def _gated_app(tmp_path: Path) -> tuple[WftuiApp, str]:
    """The app on the gated chain, and the chain's file name (one module name per test)."""
    name = f"{tmp_path.name}.py"
    (tmp_path / name).write_text(GATED_PIPELINE)
    storage = FileCheckpointStorage(tmp_path / "store")
    return make_app(load_pipeline(str(tmp_path / name)), storage, clock=FIXED_CLOCK), name


async def _new_run(app: WftuiApp, pilot: Pilot[None], before: set[str]) -> str:
    """The run that started since, once the browser lists it."""
    await wait_until(pilot, lambda: bool(set(app.main.browser.model.runs) - before))
    [run] = set(app.main.browser.model.runs) - before
    return run


async def test_a_run_of_another_process_appears_marked_and_is_followed_once_selected(
    tmp_path: Path,
) -> None:
    app, gated = _gated_app(tmp_path)
    gate = tmp_path / "gate"
    _finished("run", gated, cwd=tmp_path)  # an older run: the cursor rests on it
    async with opened(app) as pilot:
        [older] = app.main.browser.model.runs
        await wait_until(pilot, lambda: app.main.showing == older)  # the highlighted run's story
        run = _wftui("run", gated, cwd=tmp_path, env={"GATE": str(gate)})
        try:
            foreign = await _new_run(app, pilot, {older})
            where = f"{socket.gethostname()}:{run.pid}"
            await wait_until(pilot, lambda: app.main.elsewhere.get(foreign) == where)
            await wait_until(pilot, lambda: f"running on {where}" in _run_row(app, foreign))
            assert "● " in _run_row(app, foreign)
            assert app.main.showing == older  # listed live, not followed: nobody selected it

            await _select(app, pilot, foreign)
            await wait_until(pilot, lambda: "● slow" in graph_text(app))  # live, while it runs
            assert app.main.showing == foreign and app.status is RunStatus.RUNNING
            assert f"run on {where}: running elsewhere" in _log(app)
            assert "x>a" not in _log(app).split("running elsewhere")[0]  # the older run's went
            gate.write_text("open")
            await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
            assert "x>a>slow>c" in _log(app)
            await wait_until(pilot, lambda: foreign not in app.main.elsewhere)
            assert "running on" not in _run_row(app, foreign)
            assert not app.run_active  # nothing ran in the app itself
        finally:
            gate.write_text("open")
            assert run.wait(timeout=60) == 0


async def test_a_killed_run_loses_its_mark_when_its_heartbeats_stop(tmp_path: Path) -> None:
    app, gated = _gated_app(tmp_path)
    env = {"GATE": str(tmp_path / "never"), "WFTUI_HEARTBEAT_SECONDS": "0.2"}
    async with opened(app) as pilot:
        run = _wftui("run", gated, cwd=tmp_path, env=env)
        try:
            foreign = await _new_run(app, pilot, set())
            await wait_until(pilot, lambda: foreign in app.main.elsewhere)
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait()
        await wait_until(pilot, lambda: foreign not in app.main.elsewhere)
        assert "running on" not in _run_row(app, foreign)
        await _select(app, pilot, foreign)  # the panes tell the story of the run one selects
        await wait_until(pilot, lambda: app.status is RunStatus.LOST)
        assert "lost: no heartbeat from" in _log(app) and "● slow" not in graph_text(app)


async def test_a_finished_run_replays_its_failure_when_selected(tmp_path: Path) -> None:
    (tmp_path / "fragile.py").write_text(FAILING_PIPELINE)
    _finished("run", "fragile.py", cwd=tmp_path)
    _finished("run", "fragile.py", cwd=tmp_path, env={"FAILING_PIPELINE_FIXED": "1"})
    storage = FileCheckpointStorage(tmp_path / "store")
    [failed, fixed] = [e.run for e in await journal_for(storage).executions()]
    assert failed is not None and fixed is not None
    app = make_app(load_pipeline(str(tmp_path / "fragile.py")), storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: app.main.showing == fixed)  # the newest run: highlighted
        assert app.status is RunStatus.COMPLETED
        await _select(app, pilot, failed)
        await wait_until(pilot, lambda: app.status is RunStatus.FAILED)
        log = _log(app)
        assert "the disk is full" in log and "x>first>fragile>out" not in log
        assert log.index("first") < log.index("the disk is full")  # as it happened
        await settle(pilot)
        assert not app.main.timeline.live and app.main.timeline.rows["fragile"]


async def test_notes_about_a_replayed_run_carry_the_time_of_what_they_tell(
    tmp_path: Path,
) -> None:
    """The app's own line about an execution sits at the execution's start, among the entries
    it introduces, not at the moment the app happened to read the journal."""
    (tmp_path / "fragile_notes.py").write_text(FAILING_PIPELINE)
    _finished("run", "fragile_notes.py", cwd=tmp_path)
    storage = FileCheckpointStorage(tmp_path / "store")
    [execution] = await journal_for(storage).executions()
    app = make_app(load_pipeline(str(tmp_path / "fragile_notes.py")), storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        await wait_until(pilot, lambda: "the disk is full" in _log(app))
        lines = app.main.event_log.visible_text()
        [note] = [line for line in lines if " journal " in line and "run on " in line]
        assert note.startswith(FIXED_CLOCK.time_of_day(execution.started)), note
        times = [line.split()[0] for line in lines]
        assert times == sorted(times), lines  # one day: the clock's text sorts as time does


async def test_runs_selected_faster_than_the_app_reads_them_leave_nothing_unawaited(
    tmp_path: Path,
) -> None:
    """Highlights queued in one tick select run after run: each selection cancels the one
    before, even before it started, and the last one tells its story."""
    app, gated = _gated_app(tmp_path)
    for _ in range(2):
        _finished("run", gated, cwd=tmp_path)
    async with opened(app) as pilot:
        first, second = app.main.browser.model.runs
        await wait_until(pilot, lambda: app.main.showing is not None)
        for run in (first, second, first, second):
            app.remote.select(run, again=True)  # no await between: one tick
        await settle(pilot)
        gc.collect()  # a coroutine never awaited would warn now, failing the test
        assert app.main.showing == second and app.status is RunStatus.COMPLETED


async def test_a_run_whose_changes_were_compacted_away_is_still_marked(tmp_path: Path) -> None:
    """Another process began a run, then its heartbeats filled the change log past its size
    before the app looked: the begin is gone from the log, and the app, told to read the
    journal again, still marks the run as running there."""
    storage = FileCheckpointStorage(tmp_path / "store")
    app = make_app(load_pipeline(), storage, clock=FIXED_CLOCK)
    folder = storage.storage_path / "journal"

    async def burst() -> Execution:
        journal = FileJournal(folder, change_log_bytes=2000)
        began = Execution.here("run", "elsewhere", run="run-a")
        began = dataclasses.replace(began, pid=began.pid + 1)  # another process's
        beating = Execution.here("run", "elsewhere", run="run-b")
        await journal.begin(began)
        await journal.begin(beating)
        for beat in range(100):
            await journal.beat(beating.id, beating.started + beat)
        return began

    async with opened(app) as pilot:
        done: list[Execution] = []
        writer = threading.Thread(target=lambda: done.append(asyncio.run(burst())))
        writer.start()
        writer.join()  # blocks the app's loop: its watch cannot look in between
        [began] = done
        await wait_until(pilot, lambda: app.main.elsewhere.get("run-a") == began.where)


async def test_a_request_of_another_process_is_answered_here_and_its_resume_takes_it(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path / "store")
    app = make_app(load_pipeline(APPROVAL_PIPELINE), storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        run = _wftui("run", APPROVAL_PIPELINE, cwd=tmp_path)
        # The store was empty: the cursor lands on the run's first row, which selects it.
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await wait_until(pilot, lambda: "draft='HELLO'" in dialog_text(app))
        await pilot.press(*"from afar", "enter")
        await wait_until(pilot, lambda: "sent to run" in _log(app))
        assert run.wait(timeout=60) == 0
        [execution] = await journal_for(storage).executions()
        assert execution.run is not None
        assert list((await journal_for(storage).answers(execution.run)).values()) == ["from afar"]
        waiting = await storage.get_latest(execution.run)
        assert waiting is not None
        resume = _wftui("resume", waiting.checkpoint_id, APPROVAL_PIPELINE, cwd=tmp_path)
        out, errors = resume.communicate(timeout=60)
        assert resume.returncode == 0, errors
        assert "output: HELLO:from afar" in out
        await wait_until(pilot, lambda: "HELLO:from afar" in _log(app))  # its resume, live


async def test_a_run_selected_before_its_journal_is_known_is_followed_once_it_is(
    tmp_path: Path,
) -> None:
    """The store's watch and the journal's are two: under load the row of another process's
    new run can arrive, and be selected, before the journal says which execution drives it."""
    storage = FileCheckpointStorage(tmp_path / "store")
    elsewhere = FileCheckpointStorage(tmp_path / "elsewhere")
    pipeline = load_pipeline(APPROVAL_PIPELINE)
    app = make_app(pipeline, storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        # A run in "another process" (another pid in its journal), written to another store
        # first, so this test decides which of the two the app hears of first.
        execution = dataclasses.replace(Execution.here("run", APPROVAL_PIPELINE), pid=1)
        workflow = pipeline.create_workflow(elsewhere, None)
        events = journaled(
            workflow.run_stream(pipeline.default_input, raise_on_failure=False),
            journal_for(elsewhere),
            execution,
            elsewhere,
        )
        async for _ in events:
            pass
        for checkpoint_id in await elsewhere.list_checkpoint_ids():
            data = await elsewhere.load_document(checkpoint_id)
            assert data is not None
            await storage.save_document(data)
        # Its rows arrive and the cursor's landing selects the run, whose journal is not here.
        run = (await elsewhere.list_summaries())[0].workflow_id
        await wait_until(pilot, lambda: app.main.browser.highlighted_id is not None)
        await settle(pilot)
        assert app.main.showing != run

        await copy_journals(elsewhere, storage, None)

        await wait_until(pilot, lambda: app.main.showing == run)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await wait_until(pilot, lambda: "draft='HELLO'" in dialog_text(app))


async def test_selecting_another_run_does_not_disturb_the_run_the_app_drives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, gated = _gated_app(tmp_path)
    _finished("run", gated, cwd=tmp_path)  # another process's run, ended
    gate = tmp_path / "gate"
    monkeypatch.setenv("GATE", str(gate))  # the app's own run waits at the gate
    async with opened(app) as pilot:
        [other] = app.main.browser.model.runs
        await start_run(app, pilot)
        await wait_until(pilot, lambda: "● slow" in graph_text(app))
        mine = await _new_run(app, pilot, {other})
        await wait_until(pilot, lambda: app.main.showing == mine)
        await _select(app, pilot, other)
        await pilot.pause()
        assert not any(worker.group == "follow" for worker in app.workers)
        assert app.main.showing == mine and "● slow" in graph_text(app)
        assert app.run_active
        gate.write_text("open")
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await pilot.press("k", "j")  # the run is over: moving selects again
        await wait_until(pilot, lambda: app.main.showing == other)
        assert "x>a>slow>c" in _log(app) and "running elsewhere" not in _log(app)
