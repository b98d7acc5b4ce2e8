"""Which store a command uses: ``--store URL`` or ``--checkpoint-dir DIR``, then the environment.

Flags beat environment variables; giving both flags (or setting both variables) is an error
rather than a silent choice. Commands open stores through ``wftui.checkpoint.open_store``, so
nothing here knows whether a store is a folder or a database.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from wftui.checkpoint.storage import CheckpointStorage
from wftui.checkpoint.stores import display_url, open_store
from wftui.cli.errors import CliError

DEFAULT_CHECKPOINT_DIR = ".wftui/checkpoints"
STORE_VARIABLE = "WFTUI_STORE"
DIR_VARIABLE = "WFTUI_CHECKPOINT_DIR"


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"where checkpoints live: file:DIR, sqlite:PATH or postgresql://... "
        f"(env {STORE_VARIABLE})",
    )
    parser.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help=f"a folder store, short for --store file:DIR "
        f"(env {DIR_VARIABLE}; default {DEFAULT_CHECKPOINT_DIR})",
    )


@dataclass(frozen=True)
class StoreChoice:
    """The store a command uses, and the options that name it again in a printed command."""

    url: str
    words: tuple[str, ...]  # empty when the default (or the environment) names it anyway

    @property
    def display(self) -> str:
        """The URL with any password left out, for headers and messages."""
        return display_url(self.url)


def _one_of(store: str | None, folder: str | None, both: str) -> StoreChoice | None:
    if store and folder:
        raise CliError(both)
    if store:
        return StoreChoice(store, ("--store", display_url(store)))
    if folder:
        words = () if folder == DEFAULT_CHECKPOINT_DIR else ("--checkpoint-dir", folder)
        return StoreChoice(f"file:{folder}", words)
    return None


def choose_store(args: argparse.Namespace) -> StoreChoice:
    """The flags if given, else the environment, else the default folder."""
    flagged = _one_of(
        getattr(args, "store", None),
        getattr(args, "checkpoint_dir", None),
        "give --store or --checkpoint-dir, not both",
    )
    if flagged is not None:
        return flagged
    from_env = _one_of(
        os.environ.get(STORE_VARIABLE),
        os.environ.get(DIR_VARIABLE),
        f"{STORE_VARIABLE} and {DIR_VARIABLE} are both set: unset one (or give --store)",
    )
    if from_env is not None:
        return StoreChoice(from_env.url, from_env.words if from_env.url.startswith("file:") else ())
    return StoreChoice(f"file:{DEFAULT_CHECKPOINT_DIR}", ())


def open_chosen(args: argparse.Namespace, *, create: bool) -> CheckpointStorage:
    """The command's store; ``create=False`` (read-only commands) reports a missing one."""
    return open_store(choose_store(args).url, create=create)


@asynccontextmanager
async def opened(args: argparse.Namespace, *, create: bool) -> AsyncIterator[CheckpointStorage]:
    """The command's store, closed (connections released) when the command is done."""
    storage = open_chosen(args, create=create)
    try:
        yield storage
    finally:
        await close_store(storage)


async def close_store(storage: CheckpointStorage) -> None:
    close = getattr(storage, "close", None)
    if close is not None:
        await close()
