"""The app follows runs that another process drives, through the store's journal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.support import APPROVAL_PIPELINE, GATED_PIPELINE, environment
from tests.tui.support import FIXED_CLOCK, dialog_text, graph_text, opened, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.journal import journal_for
from wftui.loader import load_pipeline
from wftui.tui.app import make_app
from wftui.tui.screens.dialogs import PromptScreen
from wftui.tui.status import RunStatus


def _wftui(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wftui", *args, "--checkpoint-dir", "store"],
        cwd=cwd,
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _log(app: object) -> str:
    return "\n".join(app.main.event_log.visible_text())  # type: ignore[attr-defined]


async def test_a_run_started_by_another_process_appears_live_with_its_log(tmp_path: Path) -> None:
    (tmp_path / "gated_flow.py").write_text(GATED_PIPELINE)
    gate = tmp_path / "gate"
    storage = FileCheckpointStorage(tmp_path / "store")
    app = make_app(load_pipeline(str(tmp_path / "gated_flow.py")), storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        run = _wftui("run", "gated_flow.py", cwd=tmp_path, env={"GATE": str(gate)})
        try:
            await wait_until(pilot, lambda: "running elsewhere" in _log(app))
            await wait_until(pilot, lambda: "● slow" in graph_text(app))  # live while it runs
            assert app.status is RunStatus.RUNNING
            assert app.main.browser.summaries  # its checkpoints are listed as they are saved
            gate.write_text("open")
            await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
            assert "x>a>slow>c" in _log(app)
            assert not app.run_active  # nothing ran in the app itself
        finally:
            gate.write_text("open")
            assert run.wait(timeout=60) == 0


async def test_a_request_of_another_process_is_answered_here_and_its_resume_takes_it(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path / "store")
    app = make_app(load_pipeline(APPROVAL_PIPELINE), storage, clock=FIXED_CLOCK)
    async with opened(app) as pilot:
        run = _wftui("run", APPROVAL_PIPELINE, cwd=tmp_path)
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
        await wait_until(pilot, lambda: "HELLO:from afar" in _log(app))
