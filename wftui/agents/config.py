"""Choosing a chat backend from the environment: ``--chat auto|local|openai|azure``.

The CLI and the app call ``select_chat_client``; pipelines stay unaware of where replies come
from. ``.env`` files are read here with python-dotenv, and variables already set win, so a shell
export always beats a stale file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, cast, get_args

from dotenv import load_dotenv

from wftui.agents.client import ChatClient
from wftui.agents.errors import ConfigurationError

Backend = Literal["local", "openai", "azure"]
CHAT_CHOICES: tuple[str, ...] = ("auto", *get_args(Backend))


def load_env_file(env_file: str | Path | None = None) -> Path | None:
    """Load ``env_file``, or ``.env`` in the current folder if there is one; return what was read.

    A named file that does not exist is an error (a typo must not silently mean "no settings").
    """
    if env_file is not None:
        path = Path(env_file)
        if not path.is_file():
            raise ConfigurationError(f"env file not found: {path}")
    else:
        path = Path.cwd() / ".env"
        if not path.is_file():
            return None
    load_dotenv(path, override=False)
    return path


def resolve_backend(choice: str, environ: Mapping[str, str] | None = None) -> Backend:
    """``auto``: Azure when AZURE_OPENAI_ENDPOINT is set, else OpenAI when OPENAI_API_KEY or
    OPENAI_BASE_URL is set, else the local function client."""
    env = os.environ if environ is None else environ
    if choice == "auto":
        if env.get("AZURE_OPENAI_ENDPOINT"):
            return "azure"
        if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
            return "openai"
        return "local"
    if choice in ("local", "openai", "azure"):
        return cast(Backend, choice)
    raise ConfigurationError(
        f"unknown chat backend {choice!r}: use one of {', '.join(CHAT_CHOICES)}"
    )


def select_chat_client(
    choice: str = "auto",
    env_file: str | Path | None = None,
    *,
    local: ChatClient | None = None,
) -> ChatClient | None:
    """The chat client for ``--chat CHOICE``, after loading ``env_file`` (or ``./.env``).

    Returns ``local`` (default None) when the choice resolves to the local backend: None means
    "use the pipeline's own function client", since what a local reply should be is the
    pipeline's business. Raises ConfigurationError, one line naming the variable to set.
    """
    load_env_file(env_file)
    backend = resolve_backend(choice)
    if backend == "azure":
        from wftui.agents.azure_client import AzureOpenAIChatClient

        if os.environ.get("AZURE_OPENAI_API_KEY"):
            return AzureOpenAIChatClient()
        # No key: the identity from `az login`, as the seed does.
        from azure.identity import AzureCliCredential

        return AzureOpenAIChatClient(credential=AzureCliCredential())
    if backend == "openai":
        from wftui.agents.openai_client import OpenAIChatClient

        return OpenAIChatClient()
    return local
