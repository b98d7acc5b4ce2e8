"""Chat backends are found by name from one table, plus the ``wftui.chat_backends`` entry points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.cli.support import wftui
from wftui.agents import ConfigurationError, chat_backend_names, resolve_backend
from wftui.cli import build_parser

PLUGIN = textwrap.dedent(
    '''
    """A third-party chat backend: replies with the prompt reversed."""

    from wftui.agents import ChatBackend, FunctionChatClient

    BACKEND = ChatBackend(
        name="mirror",
        description="replies with the prompt reversed",
        create=lambda settings: FunctionChatClient(lambda messages: messages[-1].text[::-1]),
    )
    '''
)


def _install_plugin(site: Path) -> None:
    """A real installed distribution: a module plus a dist-info with an entry point."""
    (site / "wftui_mirror.py").write_text(PLUGIN)
    info = site / "wftui_mirror-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wftui-mirror\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[wftui.chat_backends]\nmirror = wftui_mirror:BACKEND\n")


def test_the_built_in_backends_come_from_one_table() -> None:
    assert chat_backend_names()[:3] == ("local", "openai", "azure")


def test_chat_choices_in_the_cli_are_the_tables_names() -> None:
    chat = next(
        action
        for action in build_parser()._subparsers._group_actions[0].choices["run"]._actions  # type: ignore[union-attr]
        if action.dest == "chat"
    )
    assert tuple(chat.choices or ()) == ("auto", *chat_backend_names())


def test_an_unknown_backend_lists_the_table() -> None:
    with pytest.raises(ConfigurationError, match="auto, local, openai, azure"):
        resolve_backend("bedrock", {})


def test_an_installed_plugin_is_a_chat_choice_and_drives_the_agents(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site)
    repo = Path(__file__).resolve().parents[2]
    pipeline = repo / "pipelines" / "text_processing.py"
    result = wftui(
        "run",
        str(pipeline),
        "--chat",
        "mirror",
        "--input",
        "Abc",
        "--checkpoint-dir",
        "cps",
        cwd=tmp_path,
        env={"PYTHONPATH": f"{repo}:{site}"},
    )
    assert result.returncode == 0, result.stderr
    # The agent's prompt ends "Text: CBA" (upper-cased, reversed); the plugin mirrors it.
    assert "output: ABC :txeT" in result.stdout
    help_text = wftui("run", "--help", cwd=tmp_path, env={"PYTHONPATH": f"{repo}:{site}"}).stdout
    assert "mirror" in help_text
