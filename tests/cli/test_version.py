"""``wftui --version`` names the installed version."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from tests.cli.support import wftui


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    result = wftui("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wftui {version('wftui')}"
