"""The table of chat backends, found by name: the built-in ones plus installed plugins.

A plugin distribution names a ``ChatBackend`` under the ``wftui.chat_backends`` entry-point
group; its name then appears among ``--chat`` choices beside the built-in ones. Nothing here
imports an SDK: a backend's ``create`` does, when it is chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from wftui.agents.client import ChatClient
from wftui.agents.errors import ConfigurationError

ENTRY_POINT_GROUP = "wftui.chat_backends"
AUTO = "auto"


@dataclass(frozen=True)
class ChatSettings:
    """How patient a networked backend is: seconds without a byte, and retries per call."""

    timeout: float | None = None
    retries: int = 2


@dataclass(frozen=True)
class ChatBackend:
    """One ``--chat`` choice.

    ``create`` returns the client, or None for "the pipeline's own local client".
    ``auto_rank`` > 0 lets ``--chat auto`` pick this backend when ``detect`` says the
    environment is set up for it; the highest rank that detects wins.
    """

    name: str
    description: str
    create: Callable[[ChatSettings], ChatClient | None]
    detect: Callable[[Mapping[str, str]], bool] = lambda environ: False
    auto_rank: int = 0


def _create_openai(settings: ChatSettings) -> ChatClient:
    from wftui.agents.openai_client import OpenAIChatClient

    return OpenAIChatClient(max_retries=settings.retries, timeout=settings.timeout)


def _create_azure(settings: ChatSettings) -> ChatClient:
    from wftui.agents.azure_client import AzureOpenAIChatClient

    if os.environ.get("AZURE_OPENAI_API_KEY"):
        return AzureOpenAIChatClient(max_retries=settings.retries, timeout=settings.timeout)
    # No key: the identity from `az login`, as the seed does.
    from azure.identity import AzureCliCredential

    return AzureOpenAIChatClient(
        credential=AzureCliCredential(), max_retries=settings.retries, timeout=settings.timeout
    )


BUILT_IN: tuple[ChatBackend, ...] = (
    ChatBackend(
        "local",
        "the pipeline's own function client (offline)",
        create=lambda settings: None,
        detect=lambda environ: True,
        auto_rank=1,
    ),
    ChatBackend(
        "openai",
        "OpenAI or an OpenAI-compatible server (OPENAI_API_KEY / OPENAI_BASE_URL)",
        create=_create_openai,
        detect=lambda environ: bool(
            environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL")
        ),
        auto_rank=2,
    ),
    ChatBackend(
        "azure",
        "Azure OpenAI (AZURE_OPENAI_ENDPOINT)",
        create=_create_azure,
        detect=lambda environ: bool(environ.get("AZURE_OPENAI_ENDPOINT")),
        auto_rank=3,
    ),
)


def chat_backend_names() -> tuple[str, ...]:
    """Every backend's name, built-in ones first; plugins are named without being imported."""
    built_in = tuple(backend.name for backend in BUILT_IN)
    plugins = (point.name for point in entry_points(group=ENTRY_POINT_GROUP))
    return built_in + tuple(name for name in plugins if name not in built_in)


def find_chat_backend(name: str) -> ChatBackend:
    """The backend called ``name``; a plugin is imported only here, when it is chosen."""
    for backend in BUILT_IN:
        if backend.name == name:
            return backend
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            loaded = point.load()
        except Exception as error:
            raise ConfigurationError(
                f"chat backend plugin {name!r} ({point.value}) failed to load: "
                f"{type(error).__name__}: {error}"
            ) from error
        if not isinstance(loaded, ChatBackend):
            raise ConfigurationError(
                f"chat backend plugin {name!r} ({point.value}) is a {type(loaded).__name__}, "
                "not a wftui.agents.ChatBackend"
            )
        return loaded
    choices = ", ".join((AUTO, *chat_backend_names()))
    raise ConfigurationError(f"unknown chat backend {name!r}: use one of {choices}")


def resolve_backend(choice: str, environ: Mapping[str, str] | None = None) -> str:
    """The backend name ``choice`` means. ``auto``: the highest-ranked built-in backend the
    environment is set up for (Azure, then OpenAI, then local)."""
    env = os.environ if environ is None else environ
    if choice != AUTO:
        return find_chat_backend(choice).name
    detected = [backend for backend in BUILT_IN if backend.auto_rank and backend.detect(env)]
    return max(detected, key=lambda backend: backend.auto_rank).name
