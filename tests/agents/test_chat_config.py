"""Backend selection (``--chat auto|local|openai|azure``) and ``.env`` loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agents.llm_doubles import SECRET_KEY
from wftui.agents import (
    ConfigurationError,
    FunctionChatClient,
    describe_chat_client,
    load_env_file,
    resolve_backend,
    select_chat_client,
)
from wftui.azure import AzureOpenAIChatClient
from wftui.openai import OpenAIChatClient


@pytest.mark.parametrize(
    ("environment", "backend"),
    [
        ({}, "local"),
        ({"OPENAI_API_KEY": "k"}, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai"),
        ({"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com", "OPENAI_API_KEY": "k"}, "azure"),
        ({"AZURE_OPENAI_ENDPOINT": ""}, "local"),
    ],
)
def test_auto_prefers_azure_then_openai_then_local(
    environment: dict[str, str], backend: str
) -> None:
    assert resolve_backend("auto", environment) == backend


def test_an_explicit_choice_is_taken_as_given() -> None:
    assert resolve_backend("local", {"AZURE_OPENAI_ENDPOINT": "https://x"}) == "local"


def test_unknown_choice_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError, match="auto, local, openai, azure"):
        resolve_backend("bedrock", {})


def test_local_choice_returns_the_given_client_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    local = FunctionChatClient(str.lower)

    assert select_chat_client("local") is None
    assert select_chat_client("local", local=local) is local
    assert describe_chat_client(local) == "local function (lower)"


def test_env_file_configures_openai_without_overriding_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "llm.env"
    env_file.write_text(
        "OPENAI_BASE_URL=http://127.0.0.1:11434/v1\nOPENAI_CHAT_MODEL_ID=from-file\n"
    )
    monkeypatch.setenv("OPENAI_CHAT_MODEL_ID", "from-shell")

    client = select_chat_client("auto", env_file)

    assert isinstance(client, OpenAIChatClient)
    assert client.model_name == "from-shell"
    assert client.backend_name == "OpenAI-compatible server at http://127.0.0.1:11434/v1"


def test_dot_env_in_the_current_folder_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "AZURE_OPENAI_ENDPOINT=https://res.openai.azure.com/\n"
        "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME=gpt-4o-mini\n"
        f"AZURE_OPENAI_API_KEY={SECRET_KEY}\n"
    )
    monkeypatch.chdir(tmp_path)

    client = select_chat_client("auto")

    assert isinstance(client, AzureOpenAIChatClient)
    assert (
        describe_chat_client(client) == "Azure OpenAI at https://res.openai.azure.com (gpt-4o-mini)"
    )
    assert SECRET_KEY not in describe_chat_client(client)


def test_azure_without_a_key_uses_the_az_login_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_CHAT_DEPLOYMENT_NAME", "gpt-4o-mini")

    client = select_chat_client("azure")

    assert isinstance(client, AzureOpenAIChatClient)
    assert client.credential_name == "AzureCliCredential"


def test_a_chosen_backend_without_settings_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        select_chat_client("azure")
    with pytest.raises(ConfigurationError, match="OPENAI_CHAT_MODEL_ID"):
        select_chat_client("openai")


def test_a_named_env_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="env file not found"):
        load_env_file(tmp_path / "nope.env")


def test_no_dot_env_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert load_env_file() is None
