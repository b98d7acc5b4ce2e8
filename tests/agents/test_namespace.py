"""The top-level ``wftui`` namespace: every name resolves, lazily, and agent events live with agents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import wftui
import wftui.agents.events
import wftui.engine

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("openai", "dotenv", "aiofiles", "textual")


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json; {code}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    ).stdout
    return set(json.loads(out))


def test_importing_wftui_alone_loads_no_sdk_ui_or_file_library() -> None:
    loaded = _modules_after("import wftui")
    assert "wftui" in loaded
    assert not [name for name in HEAVY if name in loaded]


def test_a_name_is_imported_when_first_used() -> None:
    loaded = _modules_after("import wftui; wftui.WorkflowBuilder")
    assert "wftui.engine.builder" in loaded
    assert "textual" not in loaded and "openai" not in loaded


def test_every_exported_name_resolves_and_dir_lists_them() -> None:
    for name in wftui.__all__:
        assert getattr(wftui, name) is not None, name
    assert set(wftui.__all__) <= set(dir(wftui))


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    try:
        wftui.NoSuchThing  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("an unknown name resolved")


def test_agent_events_live_with_the_agents_and_are_exported_at_the_top() -> None:
    assert wftui.AgentRunEvent is wftui.agents.events.AgentRunEvent
    assert wftui.AgentRunUpdateEvent is wftui.agents.events.AgentRunUpdateEvent
    assert wftui.AgentRunEvent.__module__ == "wftui.agents.events"
    # They are executor events, so the log and the graph treat them like any other.
    assert issubclass(wftui.AgentRunEvent, wftui.engine.ExecutorEvent)


def test_type_checkers_see_the_same_names_the_namespace_resolves() -> None:
    import ast

    tree = ast.parse(Path(wftui.__file__).read_text())
    guarded = next(
        node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node)
    )
    imported = {
        alias.name
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == set(wftui.__all__)
