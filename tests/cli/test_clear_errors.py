"""Conditions that used to end in "internal error": each is one line naming the thing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import FAILING_PIPELINE, environment, saved_ids, wftui

# Root ignores permission bits through these capabilities; without them a read-only folder is
# read-only for root too, as it is for everyone else.
_DROP_OVERRIDES = ["--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def wftui_without_overrides(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wftui", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "root needs setpriv (util-linux) to test a read-only folder"
        command = [setpriv, *_DROP_OVERRIDES, *command]
    return subprocess.run(
        command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wftui: error: ")
    return lines[0]


@pytest.mark.parametrize(
    "command", [["checkpoints", "list"], ["run"], ["checkpoints", "prune", "--keep-runs", "1"]]
)
def test_a_file_where_the_folder_should_be(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "cps").write_text("not a folder")

    line = one_line_error(wftui(*command, "--checkpoint-dir", "cps", cwd=tmp_path))

    assert "cps is a file, not a folder" in line


@pytest.fixture
def read_only_run(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    (tmp_path / "fragile.py").write_text(FAILING_PIPELINE)
    ran = wftui("run", "fragile.py", "--checkpoint-dir", "cps", cwd=tmp_path)
    ids = saved_ids(ran.stdout, tmp_path / "cps")
    assert ids, ran
    folder = tmp_path / "cps"
    folder.chmod(0o555)
    yield tmp_path, ids
    folder.chmod(0o755)


def test_delete_in_a_read_only_folder(read_only_run: tuple[Path, list[str]]) -> None:
    tmp_path, ids = read_only_run

    result = wftui_without_overrides(
        "checkpoints", "delete", ids[0], "--checkpoint-dir", "cps", cwd=tmp_path
    )

    line = one_line_error(result)
    assert f"cannot delete checkpoint {ids[0]}" in line and "permission denied" in line.lower()
    assert (tmp_path / "cps" / f"{ids[0]}.json").exists()


def test_prune_in_a_read_only_folder(read_only_run: tuple[Path, list[str]]) -> None:
    tmp_path, ids = read_only_run
    again = wftui("run", "fragile.py", "--checkpoint-dir", "elsewhere", cwd=tmp_path)
    for path in (tmp_path / "elsewhere").glob("*.json"):  # a second, newer run beside the first
        shutil.copy(path, tmp_path / "cps" / path.name)
    assert again.returncode == 1

    result = wftui_without_overrides(
        "checkpoints", "prune", "--keep-runs", "1", "--checkpoint-dir", "cps", cwd=tmp_path
    )

    line = one_line_error(result)
    assert "cannot delete checkpoint" in line and "permission denied" in line.lower()
    assert all((tmp_path / "cps" / f"{i}.json").exists() for i in ids)


PIPELINES = {
    "raises.py": (
        "import os\n\nraise RuntimeError('no config found')\n",
        "raises.py:3",
        "RuntimeError: no config found",
    ),
    "broken.py": ("x = 1\ndef (:\n", "broken.py:2", "syntax error"),
    "needs.py": (
        "import os\nimport not_installed_anywhere\n",
        "needs.py:2",
        "needs module 'not_installed_anywhere'",
    ),
}


@pytest.mark.parametrize("name", list(PIPELINES))
def test_a_pipeline_that_fails_at_import_names_the_file_and_line(tmp_path: Path, name: str) -> None:
    source, where, what = PIPELINES[name]
    (tmp_path / name).write_text(source)

    line = one_line_error(wftui("run", name, "--checkpoint-dir", "cps", cwd=tmp_path))

    assert where in line and what in line


def test_a_bad_setting_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "wftui.toml").write_text('confirm_resume = "maybe"\n')
    result = wftui("--checkpoint-dir", "cps", cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "wftui.toml" in lines[0] and "confirm_resume" in lines[0]
    assert "Traceback" not in result.stderr
