"""Choosing a chat backend from the environment: ``--chat auto`` or a backend's name.

The CLI and the app call ``select_chat_client``; pipelines stay unaware of where replies come
from. ``.env`` files are read here with python-dotenv, and variables already set win, so a shell
export always beats a stale file.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv

from wftui.agents.backends import ChatSettings, find_chat_backend, resolve_backend
from wftui.agents.client import ChatClient
from wftui.agents.errors import ConfigurationError


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


def select_chat_client(
    choice: str = "auto",
    env_file: str | Path | None = None,
    *,
    local: ChatClient | None = None,
    settings: ChatSettings | None = None,
) -> ChatClient | None:
    """The chat client for ``--chat CHOICE``, after loading ``env_file`` (or ``./.env``).

    Returns ``local`` (default None) when the backend gives no client of its own: None means
    "use the pipeline's own function client", since what a local reply should be is the
    pipeline's business. Raises ConfigurationError, one line naming the variable to set.
    """
    load_env_file(env_file)
    backend = find_chat_backend(resolve_backend(choice))
    client = backend.create(settings or ChatSettings())
    return local if client is None else client
