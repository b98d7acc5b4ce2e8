"""Smaller CLI defects from the hostile-user run: help for a bare ``checkpoints``, read-only
commands that leave a missing folder missing, resume hints with the real ids, and a resume
without the pipeline that says which pipeline the checkpoint needs."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest

from tests.cli.support import APPROVAL_PIPELINE, invoked, saved_ids, wftui


def test_checkpoints_without_an_action_prints_its_help(tmp_path: Path) -> None:
    result = wftui("checkpoints", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "usage: wftui checkpoints" in result.stdout
    for action in ("list", "show", "delete", "prune"):
        assert action in result.stdout
    assert not (tmp_path / ".wftui").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["checkpoints", "list"],
        ["checkpoints", "list", "--json"],
        ["checkpoints", "show", "abc"],
        ["checkpoints", "delete", "abc"],
        ["checkpoints", "prune", "--keep-runs", "1"],
        ["resume", "abc"],
    ],
)
def test_commands_on_a_missing_folder_say_so_and_create_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    result = wftui(*command, "--checkpoint-dir", "nowhere/cps", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip() == "wftui: error: checkpoint folder nowhere/cps does not exist"
    assert not (tmp_path / "nowhere").exists()


def _request_ids(stdout: str) -> list[str]:
    return re.findall(r"^\S+ request\s+\w+\s+.* id=(\w+)$", stdout, re.M)


def test_the_waiting_hint_is_the_real_command(tmp_path: Path) -> None:
    done = wftui("run", APPROVAL_PIPELINE, "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    (request_id,) = _request_ids(done.stdout)
    paused = saved_ids(done.stdout)[-1]

    hint = done.stderr.strip().removeprefix("waiting for human input: answer with ")
    assert hint == shlex.join(
        ["wftui", "resume", paused, APPROVAL_PIPELINE, "--checkpoint-dir", "c", "--chat",
         "local", "--respond", f"{request_id}=VALUE"]
    )  # fmt: skip

    # Resumed without an answer, it waits again: the hint names the resumed checkpoint.
    waiting = wftui("resume", paused, APPROVAL_PIPELINE, "--checkpoint-dir", "c", cwd=tmp_path)
    hint = waiting.stderr.strip().removeprefix("waiting for human input: answer with ")
    words = shlex.split(hint)
    assert words[:3] == ["wftui", "resume", (saved_ids(waiting.stdout) or [paused])[-1]]
    assert words[-1] == f"{request_id}=VALUE"
    answered = wftui(*[w.replace("=VALUE", "=ship it") for w in words][1:], cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert invoked(answered.stdout) == ["drafter"]


def test_resume_without_the_pipeline_loads_the_one_the_checkpoint_records(tmp_path: Path) -> None:
    done = wftui("run", APPROVAL_PIPELINE, "--checkpoint-dir", "c", cwd=tmp_path)
    paused = saved_ids(done.stdout)[-1]

    resumed = wftui("resume", paused, "--checkpoint-dir", "c", cwd=tmp_path)

    assert resumed.returncode == 0, resumed.stderr
    assert "pipeline: approval" in resumed.stdout
    assert "waiting for human input" in resumed.stderr


def test_resume_without_the_pipeline_names_the_checkpoints_workflow(tmp_path: Path) -> None:
    # Built in code, the workflow records no pipeline, as checkpoints from before it did.
    from pipelines.approval import create_workflow
    from wftui.checkpoint.file import FileCheckpointStorage

    storage = FileCheckpointStorage(tmp_path / "c")
    asyncio.run(create_workflow(storage).run("draft a release note"))
    paused = asyncio.run(storage.list_summaries())[0].checkpoint_id  # newest first

    wrong = wftui("resume", paused, "--checkpoint-dir", "c", cwd=tmp_path)

    assert wrong.returncode == 2
    # The command names the checkpoint as every listing does, and pasting it finds it.
    assert f"wftui resume {paused[-8:]} PIPELINE --checkpoint-dir c" in wrong.stderr
    assert "workflow 'approval'" in wrong.stderr
