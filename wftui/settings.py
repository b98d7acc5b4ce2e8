"""Settings: ``[tool.wftui]`` in the nearest pyproject.toml, or a ``wftui.toml``.

Environment variables override the file; flags (``overrides``) override both. Textual-free,
so the CLI and the app read the same settings. A bad value is one clear error naming it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

SETTINGS_FILE = "wftui.toml"
PYPROJECT = "pyproject.toml"


class SettingsError(ValueError):
    """A settings file or variable holds something unusable; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default; ``ENVIRONMENT`` maps each to its variable."""

    confirm_resume: bool = True  # ask before a resume that will call a model
    keymap: str = ""  # ``binding.id=keys; ...``, as in WFTUI_KEYMAP
    source: str = "defaults"  # where the file settings came from, for error messages


ENVIRONMENT: Mapping[str, str] = {
    "confirm_resume": "WFTUI_CONFIRM_RESUME",
    "keymap": "WFTUI_KEYMAP",
}
# Keys of the same table that other modules read and check (prices and budgets: agents.costs).
READ_ELSEWHERE = frozenset({"prices", "max_tokens", "max_cost"})
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def find_settings_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``wftui.toml``, or pyproject.toml with a ``[tool.wftui]`` table, upwards."""
    for folder in [start, *start.parents]:
        own = folder / SETTINGS_FILE
        if own.is_file():
            return own, _read(own)
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            table = _read(pyproject).get("tool", {}).get("wftui")
            if table is not None:
                return pyproject, dict(table)
    return None


def load_settings(
    start: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """File settings, then environment variables, then ``overrides`` (flags), each winning."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    found = find_settings_file((start or Path.cwd()).resolve())
    if found is not None:
        path, table = found
        settings = _apply(settings, table, str(path))
        settings = replace(settings, source=str(path))
    from_env = {name: environ[var] for name, var in ENVIRONMENT.items() if var in environ}
    settings = _apply(settings, from_env, "the environment", variables=True)
    return _apply(settings, dict(overrides or {}), "the command line")


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: {error}") from error


def _apply(
    settings: Settings, values: Mapping[str, Any], where: str, *, variables: bool = False
) -> Settings:
    known = {field.name: field.type for field in fields(Settings) if field.name != "source"}
    changes: dict[str, Any] = {}
    for name, value in values.items():
        label = ENVIRONMENT.get(name, name) if variables else name
        if name in READ_ELSEWHERE:
            continue
        if name not in known:
            raise SettingsError(
                f"{where}: unknown setting {name!r} (known: {', '.join([*known, *sorted(READ_ELSEWHERE)])})"
            )
        if known[name] == "bool":
            changes[name] = _boolean(value, f"{where}: {label}")
        elif not isinstance(value, str):
            raise SettingsError(f"{where}: {label} must be a string, got {value!r}")
        else:
            changes[name] = value
    return replace(settings, **changes)


def _boolean(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{label} must be true or false (1/0), got {value!r}")
