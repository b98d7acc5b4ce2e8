"""``--llm call|record|replay|replay-or-call`` and ``--cassette PATH``: how runs meet the model.

``call`` (the default) is today's behaviour. The others wrap the chat client the backend gives in
a ``CassetteChatClient``; ``replay`` builds no backend at all, so it runs where no model settings
exist.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from wftui.cli.errors import CliError

if TYPE_CHECKING:
    from wftui.agents.client import ChatClient

LLM_DEFAULT = "call"


def add_llm_options(parser: argparse.ArgumentParser) -> None:
    from wftui.agents.cassette import LLM_MODES

    parser.add_argument(
        "--llm",
        choices=LLM_MODES,
        default=os.environ.get("WFTUI_LLM", LLM_DEFAULT),
        help="call the model (call), call and keep each answer in the run's cassette (record), "
        "answer only from recorded answers, offline, with no model settings (replay), or "
        "replay and call on a miss (replay-or-call); env WFTUI_LLM, default %(default)s",
    )
    parser.add_argument(
        "--cassette",
        action="append",
        default=[],
        metavar="PATH",
        help="also replay answers recorded in this cassette file (repeatable)",
    )


def with_cassette(
    args: argparse.Namespace,
    storage: object,
    build: Callable[[], ChatClient | None],
    shipped: Path | None = None,
) -> ChatClient | None:
    """The chat client ``--llm`` asks for; ``build`` makes the backend's (not called to replay).

    ``shipped`` is the cassette a pipeline ships (its module's ``CASSETTE``): replay also
    answers from it, after any ``--cassette`` files, so a demo replays with no flags but one.
    """
    mode = getattr(args, "llm", LLM_DEFAULT)
    named = [Path(name) for name in getattr(args, "cassette", [])]
    if mode == LLM_DEFAULT:
        if named:
            raise CliError("--cassette is for --llm replay or replay-or-call")
        return build()
    files = [*named, *([shipped] if shipped is not None and shipped.is_file() else [])]
    from wftui.agents.cassette import (
        CassetteChatClient,
        LlmMode,
        RecordedAnswers,
        cassette_store_for,
    )

    for path in named:
        if not path.is_file():
            raise CliError(f"cassette file not found: {path}")
    cassettes = cassette_store_for(storage)
    if cassettes is None and mode != "replay":
        raise CliError(
            f"--llm {mode} needs a store that keeps cassettes "
            f"({type(storage).__name__} keeps none; every built-in store does)"
        )
    client = None if mode == "replay" else build()
    if client is None and mode != "replay":
        raise CliError(f"--llm {mode} needs a chat client; the pipeline gives none")
    return CassetteChatClient(
        cast(LlmMode, mode),
        client=client,
        cassettes=cassettes,
        answers=RecordedAnswers(files, cassettes),
    )


def llm_flags(args: argparse.Namespace) -> list[str]:
    """The options again, for the app that ``serve`` starts in a child process."""
    flags = ["--llm", getattr(args, "llm", LLM_DEFAULT)]
    for name in getattr(args, "cassette", []):
        flags += ["--cassette", name]
    return flags
