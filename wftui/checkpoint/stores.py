"""Stores named by URL: one table from scheme to backend, plus entry points for third parties.

``file:DIR`` (or a bare path), ``sqlite:PATH``, ``postgresql://...`` (or ``postgres://``, with
``?schema=NAME``) and ``memory:`` are built in; a package adds a scheme by declaring
an entry point in the ``wftui.stores`` group whose object is called as
``opener(location, create=..., serializer=...)`` and returns a ``CheckpointStorage``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER, CheckpointSerializer
from wftui.checkpoint.sql.sqlite import SqliteCheckpointStorage
from wftui.checkpoint.storage import CheckpointStorage

ENTRY_POINT_GROUP = "wftui.stores"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: "C:" is a drive


class StoreUrlError(CheckpointError, ValueError):
    """A store URL names no known backend, or a place that cannot be a store."""


class StoreOpener(Protocol):
    def __call__(
        self, location: str, *, create: bool, serializer: CheckpointSerializer
    ) -> CheckpointStorage: ...


def _open_file(
    location: str, *, create: bool, serializer: CheckpointSerializer
) -> CheckpointStorage:
    folder = Path(location.removeprefix("//") or ".")
    if folder.exists() and not folder.is_dir():
        raise StoreUrlError(f"checkpoint folder {folder} is a file, not a folder")
    if not create and not folder.is_dir():
        raise StoreUrlError(f"checkpoint folder {folder} does not exist")
    return FileCheckpointStorage(folder, serializer=serializer)


def _open_memory(
    location: str, *, create: bool, serializer: CheckpointSerializer
) -> CheckpointStorage:
    return InMemoryCheckpointStorage(serializer)


def _open_sqlite(
    location: str, *, create: bool, serializer: CheckpointSerializer
) -> CheckpointStorage:
    path = Path(location.removeprefix("//"))
    if not location.removeprefix("//"):
        raise StoreUrlError("sqlite: needs a file, as in sqlite:runs.db")
    if path.is_dir():
        raise StoreUrlError(f"{path} is a folder, not a SQLite file")
    if not create and not path.is_file():
        raise StoreUrlError(f"no SQLite store at {path}")
    return SqliteCheckpointStorage(path, serializer=serializer, create=create)


def _open_postgres(
    location: str, *, create: bool, serializer: CheckpointSerializer
) -> CheckpointStorage:
    from wftui.checkpoint.sql.postgres import PostgresCheckpointStorage  # psycopg only now

    return PostgresCheckpointStorage.from_url(
        f"postgresql:{location}", serializer=serializer, create=create
    )


BUILT_IN: dict[str, StoreOpener] = {
    "file": _open_file,
    "sqlite": _open_sqlite,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
    "memory": _open_memory,
}


def _third_party() -> dict[str, Callable[[], Any]]:
    """Each installed scheme's loader (importing a backend only once it is asked for)."""
    return {point.name: point.load for point in entry_points(group=ENTRY_POINT_GROUP)}


def store_schemes() -> list[str]:
    """Every scheme a URL may use here: built in first, then installed ones."""
    return [*BUILT_IN, *sorted(set(_third_party()) - set(BUILT_IN))]


def open_store(
    url: str | os.PathLike[str],
    *,
    create: bool,
    serializer: CheckpointSerializer = DEFAULT_SERIALIZER,
) -> CheckpointStorage:
    """The storage a URL names; ``create=False`` (read-only commands) never makes a folder."""
    text = os.fspath(url)
    match = _SCHEME.match(text)
    if match is None:
        return _open_file(text, create=create, serializer=serializer)
    scheme, location = match.group(1).lower(), text[match.end() :]
    opener = BUILT_IN.get(scheme)
    if opener is not None:
        return opener(location, create=create, serializer=serializer)
    loader = _third_party().get(scheme)
    if loader is None:
        raise StoreUrlError(
            f"unknown store {text!r}: its scheme {scheme!r} is none of "
            f"{', '.join(store_schemes())} (write file:{text} for a folder)"
        )
    third: StoreOpener = loader()
    return third(location, create=create, serializer=serializer)


def display_url(url: str | os.PathLike[str]) -> str:
    """A store URL fit for a header or a log: any password (in the user part or the query)
    left out. A bare path reads as ``file:PATH``."""
    text = os.fspath(url)
    if _SCHEME.match(text) is None:
        return f"file:{text}"
    parts = urlsplit(text)
    if parts.password is None and "password" not in parts.query:
        return text
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    return urlunsplit(parts._replace(netloc=user + host, query=urlencode(query)))
