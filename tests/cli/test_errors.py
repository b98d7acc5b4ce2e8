"""CLI failures: a non-zero exit, one clear line on stderr, a traceback only with --debug."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli.support import APPROVAL_PIPELINE, FAILING_PIPELINE, invoked, saved_ids, wftui


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("wftui: error: ")
    return lines[0]


def test_a_failed_run_exits_non_zero_and_can_be_resumed_after_the_fix(tmp_path: Path) -> None:
    (tmp_path / "fragile_flow.py").write_text(FAILING_PIPELINE)
    failed = wftui("run", "fragile_flow.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert failed.returncode == 1
    assert re.search(r"FAILED\s+fragile\s+RuntimeError in fragile: ", failed.stdout)
    assert re.search(r"status\s+\S+ failed$", failed.stdout, re.M)
    assert "wftui: run failed: RuntimeError in fragile: the disk is full" in failed.stderr
    assert "Traceback" not in failed.stderr
    last = saved_ids(failed.stdout)[-1]
    hint = failed.stderr.strip().splitlines()[-1]
    assert hint == (
        f"resume after fixing the cause: wftui resume {last} fragile_flow.py --checkpoint-dir c"
    )

    command = shlex.split(hint.partition(": ")[2])
    fixed = wftui(*command[1:], cwd=tmp_path, env={"FAILING_PIPELINE_FIXED": "1"})
    assert fixed.returncode == 0, fixed.stderr
    assert invoked(fixed.stdout) == ["fragile", "out"]
    assert fixed.stdout.splitlines()[-1] == "output: x>first>fragile"


@pytest.fixture
def seeded(tmp_path: Path) -> list[str]:
    done = wftui("run", "--checkpoint-dir", "ckpt", "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return saved_ids(done.stdout, tmp_path / "ckpt")


@pytest.mark.parametrize("command", ["show", "resume"])
def test_a_corrupt_checkpoint_file_is_one_line(
    tmp_path: Path, seeded: list[str], command: str
) -> None:
    target = tmp_path / "ckpt" / f"{seeded[2]}.json"
    target.write_bytes(target.read_bytes()[:40])  # truncated, as a full disk might leave it
    args = ["checkpoints", "show"] if command == "show" else ["resume", "--chat", "local"]
    done = wftui(*args, seeded[2], "--checkpoint-dir", "ckpt", cwd=tmp_path)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert seeded[2] in line
    assert "truncated or corrupt" in line  # says why, not just "not found"


def test_listing_skips_a_corrupt_file_with_a_warning(tmp_path: Path, seeded: list[str]) -> None:
    (tmp_path / "ckpt" / f"{seeded[4]}.json").write_text("{not json")
    done = wftui("checkpoints", "list", "--checkpoint-dir", "ckpt", cwd=tmp_path)
    assert done.returncode == 0
    rows = done.stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [i[-8:] for i in reversed(seeded) if i != seeded[4]]
    assert "warning: skipped" in done.stderr
    assert seeded[4] in done.stderr


@pytest.mark.parametrize("bad_id", ["../x", "../../x", "..", "ckpt/../../x"])
@pytest.mark.parametrize("command", ["show", "resume", "delete"])
def test_ids_that_would_leave_the_folder_are_refused(
    tmp_path: Path, seeded: list[str], command: str, bad_id: str
) -> None:
    outside = tmp_path / "x.json"
    outside.write_text("keep me")
    args = ["resume", "--chat", "local"] if command == "resume" else ["checkpoints", command]
    done = wftui(*args, bad_id, "--checkpoint-dir", "ckpt", cwd=tmp_path)
    assert done.returncode == 2
    assert f"invalid checkpoint id {bad_id!r}" in one_error_line(done.stderr)
    assert outside.read_text() == "keep me"


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ("no_such_pipeline_module", "no pipeline module 'no_such_pipeline_module'"),
        ("missing/flow.py", "pipeline file not found: missing/flow.py"),
    ],
)
def test_an_unknown_pipeline_is_one_line(tmp_path: Path, pipeline: str, message: str) -> None:
    done = wftui("run", pipeline, "--checkpoint-dir", "c", cwd=tmp_path)
    assert done.returncode == 2
    assert message in one_error_line(done.stderr)


def test_a_file_without_create_workflow_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "not_a_pipeline.py").write_text("X = 1\n")
    done = wftui("run", "not_a_pipeline.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert done.returncode == 2
    assert "has no create_workflow" in one_error_line(done.stderr)


def test_an_unknown_checkpoint_id_is_one_line(tmp_path: Path, seeded: list[str]) -> None:
    done = wftui("resume", "ffffffff", "--checkpoint-dir", "ckpt", cwd=tmp_path)
    assert done.returncode == 2
    assert "no checkpoint 'ffffffff'" in one_error_line(done.stderr)


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    done = wftui("run", "missing/flow.py", "--checkpoint-dir", "c", "--debug", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr
    assert "PipelineLoadError" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "wftui: error: pipeline file not found: missing/flow.py"
    )


def test_a_bad_respond_argument_is_one_line(tmp_path: Path, seeded: list[str]) -> None:
    done = wftui("resume", seeded[-1], "--respond", "no-equals-sign", "--checkpoint-dir", "ckpt",
                 cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "--respond takes REQUEST_ID=VALUE" in one_error_line(done.stderr)


def test_resuming_with_the_wrong_pipeline_says_the_graphs_differ(tmp_path: Path) -> None:
    """The checkpoint names types the default pipeline never declared: the graph is the news."""
    done = wftui("run", APPROVAL_PIPELINE, "--checkpoint-dir", "c", cwd=tmp_path)
    paused = saved_ids(done.stdout, tmp_path / "c")[-1]
    # Named on the command line: without it, resume loads the pipeline the checkpoint records.
    wrong = wftui(
        "resume", paused, "pipelines.text_processing", "--checkpoint-dir", "c", "--chat", "local",
        cwd=tmp_path,
    )  # fmt: skip
    assert wrong.returncode == 2
    # A head line, then what differs as a short list, one difference per line.
    head, *differences = wrong.stderr.strip().splitlines()
    assert head.startswith("wftui: error: ") and "Traceback" not in wrong.stderr
    assert f"checkpoint {paused[-8:]} was written by a different graph" in head
    assert differences[0] == "  • executors removed: drafter, request_info"
    assert differences[-1] == "  • start executor drafter vs upper_case_executor"
