"""Where cassettes are kept: one JSON-lines cassette per run id, beside the run's checkpoints.

Apart from the cassette client so a checkpoint store's housekeeping (``checkpoints copy`` and
``prune``) reaches cassettes without the replay machinery, and a new store kind adds its cassette
store here.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from wftui.agents.cassette_format import Recording
from wftui.checkpoint.file.osio import open_regular, pread_all, write_all
from wftui.checkpoint.storage import validate_checkpoint_id

CASSETTE_FOLDER = "cassettes"
SUFFIX = ".jsonl"


class CassetteStore(Protocol):
    """Where a store keeps its runs' cassettes: one cassette (JSON lines) per run id."""

    def append(self, run_id: str, recording: Recording) -> None: ...

    def run_ids(self) -> list[str]: ...

    def read(self, run_id: str) -> bytes | None: ...

    def write(self, run_id: str, data: bytes) -> None:
        """Replace a run's cassette whole (``copy_cassettes`` uses it)."""
        ...

    def delete(self, run_id: str) -> bool: ...


class FileCassetteStore:
    """``<checkpoint folder>/cassettes/<run id>.jsonl``; every open refuses links (O_NOFOLLOW)."""

    def __init__(self, checkpoint_folder: str | Path) -> None:
        self.folder = Path(checkpoint_folder) / CASSETTE_FOLDER

    def _path(self, run_id: str) -> str:
        return os.fspath(self.folder / f"{validate_checkpoint_id(run_id)}{SUFFIX}")

    def append(self, run_id: str, recording: Recording) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = open_regular(self._path(run_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            write_all(fd, recording.to_line())  # one write: a crash leaves at most a torn line
        finally:
            os.close(fd)

    def run_ids(self) -> list[str]:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))

    def read(self, run_id: str) -> bytes | None:
        try:
            fd = open_regular(self._path(run_id), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return pread_all(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    def write(self, run_id: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(run_id)
        fd = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    def delete(self, run_id: str) -> bool:
        try:
            os.unlink(self._path(run_id))
        except FileNotFoundError:
            return False
        return True


class MemoryCassetteStore:
    """Cassettes in a dict, for the in-memory checkpoint store and tests."""

    def __init__(self) -> None:
        self._runs: dict[str, bytes] = {}

    def append(self, run_id: str, recording: Recording) -> None:
        self._runs[run_id] = self._runs.get(run_id, b"") + recording.to_line()

    def run_ids(self) -> list[str]:
        return sorted(self._runs)

    def read(self, run_id: str) -> bytes | None:
        return self._runs.get(run_id)

    def write(self, run_id: str, data: bytes) -> None:
        self._runs[run_id] = data

    def delete(self, run_id: str) -> bool:
        return self._runs.pop(run_id, None) is not None


_MEMORY_CASSETTES: weakref.WeakKeyDictionary[Any, MemoryCassetteStore] = weakref.WeakKeyDictionary()


def cassette_store_for(storage: object) -> CassetteStore | None:
    """The cassettes kept with a checkpoint store, or None where a store has none yet.

    A folder keeps them in its ``cassettes/`` subfolder; an in-memory store gets a memory one
    for as long as it lives. SQL stores have none yet (a ``cassettes`` table keyed by run id,
    holding the same lines, would implement ``CassetteStore``).
    """
    from wftui.checkpoint.file import FileCheckpointStorage
    from wftui.checkpoint.memory import InMemoryCheckpointStorage

    if isinstance(storage, FileCheckpointStorage):
        return FileCassetteStore(storage.storage_path)
    if isinstance(storage, InMemoryCheckpointStorage):
        return _MEMORY_CASSETTES.setdefault(storage, MemoryCassetteStore())
    return None


def copy_cassettes(source: object, target: object, run_ids: Iterable[str]) -> int:
    """Copy the cassettes of ``run_ids`` between two checkpoint stores (``checkpoints copy``);
    returns how many were copied. Stores without cassettes copy none."""
    source_cassettes, target_cassettes = cassette_store_for(source), cassette_store_for(target)
    if source_cassettes is None or target_cassettes is None:
        return 0
    copied = 0
    for run_id in run_ids:
        data = source_cassettes.read(run_id)
        if data is not None:
            target_cassettes.write(run_id, data)
            copied += 1
    return copied


async def copy_run_cassettes(source: object, target: object, run: str | None) -> None:
    """``checkpoints copy``'s extra step (``wftui.checkpoint.copy.EXTRA_STEPS``): the
    cassettes of the run copied, or of every run."""
    cassettes = cassette_store_for(source)
    if cassettes is not None:
        copy_cassettes(source, target, [run] if run else cassettes.run_ids())


def delete_cassettes(storage: object, run_ids: Iterable[str]) -> int:
    """Delete the cassettes of ``run_ids`` with their runs (``checkpoints prune``)."""
    cassettes = cassette_store_for(storage)
    if cassettes is None:
        return 0
    return sum(cassettes.delete(run_id) for run_id in run_ids)
