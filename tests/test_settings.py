"""Settings: a file (wftui.toml or [tool.wftui]), then the environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from wftui.settings import SettingsError, load_settings


def test_defaults_when_there_is_no_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.confirm_resume is True
    assert settings.keymap == ""


def test_the_nearest_pyproject_tool_table_is_read_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.wftui]\nconfirm_resume = false\n")
    inner = tmp_path / "pipelines" / "deep"
    inner.mkdir(parents=True)
    settings = load_settings(inner, environ={})
    assert settings.confirm_resume is False
    assert settings.source == str(tmp_path / "pyproject.toml")


def test_a_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "wftui.toml").write_text('keymap = "wftui.quit=ctrl+q"\n')
    inner = tmp_path / "project"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_settings(inner, environ={}).keymap == "wftui.quit=ctrl+q"


def test_the_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    (tmp_path / "wftui.toml").write_text("confirm_resume = true\n")
    settings = load_settings(tmp_path, environ={"WFTUI_CONFIRM_RESUME": "0"})
    assert settings.confirm_resume is False
    flagged = load_settings(
        tmp_path, environ={"WFTUI_CONFIRM_RESUME": "0"}, overrides={"confirm_resume": True}
    )
    assert flagged.confirm_resume is True


def test_bad_values_are_one_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="WFTUI_CONFIRM_RESUME must be true or false"):
        load_settings(tmp_path, environ={"WFTUI_CONFIRM_RESUME": "maybe"})
    (tmp_path / "wftui.toml").write_text("confirm_resum = false\n")
    with pytest.raises(SettingsError, match="unknown setting 'confirm_resum'"):
        load_settings(tmp_path, environ={})
    (tmp_path / "wftui.toml").write_text("confirm_resume = \n")
    with pytest.raises(SettingsError, match=r"wftui\.toml"):
        load_settings(tmp_path, environ={})
