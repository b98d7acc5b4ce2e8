"""Where cassettes are kept: one JSON-lines cassette per run id, beside the run's checkpoints.

Every built-in store keeps them: a folder in its ``cassettes/`` subfolder, an in-memory store in
memory, SQLite and PostgreSQL in a ``cassettes`` table. A third-party store joins by offering the
``CassetteStorage`` capability. Apart from the cassette client so a checkpoint store's
housekeeping (``checkpoints copy`` and ``prune``) reaches cassettes without the replay machinery.

A run's cassette holds every answer the run was given, recorded or replayed (the client files a
replayed answer under the replaying run too), so a run's cassette can go with the run: no other
run's replay depends on it.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from wftui.agents.cassette_format import Recording
from wftui.checkpoint.capabilities import CassetteStorage
from wftui.checkpoint.copy import Copied
from wftui.checkpoint.file.osio import open_regular, pread_all, write_all
from wftui.checkpoint.storage import CheckpointStorage, validate_checkpoint_id

CASSETTE_FOLDER = "cassettes"
SUFFIX = ".jsonl"


class CassetteStore(Protocol):
    """Where a store keeps its runs' cassettes: one cassette (JSON lines) per run id."""

    async def append(self, run_id: str, recording: Recording) -> None: ...

    async def run_ids(self) -> list[str]: ...

    async def read(self, run_id: str) -> bytes | None: ...

    async def read_all(self) -> dict[str, bytes]:
        """Every run's cassette by run id, sorted (replay reads them all at once)."""
        ...

    async def write(self, run_id: str, data: bytes) -> None:
        """Replace a run's cassette whole (``copy_cassettes`` uses it)."""
        ...

    async def delete(self, run_ids: Sequence[str]) -> int:
        """Delete the cassettes of ``run_ids``; how many of them had one."""
        ...


class FileCassetteStore:
    """``<checkpoint folder>/cassettes/<run id>.jsonl``; every open refuses links (O_NOFOLLOW)."""

    def __init__(self, checkpoint_folder: str | Path) -> None:
        self.folder = Path(checkpoint_folder) / CASSETTE_FOLDER

    def _path(self, run_id: str) -> str:
        return os.fspath(self.folder / f"{validate_checkpoint_id(run_id)}{SUFFIX}")

    def _append(self, run_id: str, line: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = open_regular(self._path(run_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            write_all(fd, line)  # one write: a crash leaves at most a torn line
        finally:
            os.close(fd)

    async def append(self, run_id: str, recording: Recording) -> None:
        await asyncio.to_thread(self._append, run_id, recording.to_line())

    def _run_ids(self) -> list[str]:
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))

    async def run_ids(self) -> list[str]:
        return await asyncio.to_thread(self._run_ids)

    def _read(self, run_id: str) -> bytes | None:
        try:
            fd = open_regular(self._path(run_id), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return pread_all(fd, 0, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    async def read(self, run_id: str) -> bytes | None:
        return await asyncio.to_thread(self._read, run_id)

    def _read_all(self) -> dict[str, bytes]:
        found = ((run_id, self._read(run_id)) for run_id in self._run_ids())
        return {run_id: data for run_id, data in found if data is not None}

    async def read_all(self) -> dict[str, bytes]:
        return await asyncio.to_thread(self._read_all)

    def _write(self, run_id: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = open_regular(self._path(run_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    async def write(self, run_id: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, run_id, data)

    def _delete(self, run_ids: Sequence[str]) -> int:
        paths = [self._path(run_id) for run_id in dict.fromkeys(run_ids)]  # all valid first
        deleted = 0
        for path in paths:
            try:
                os.unlink(path)
                deleted += 1
            except FileNotFoundError:
                pass
        return deleted

    async def delete(self, run_ids: Sequence[str]) -> int:
        return await asyncio.to_thread(self._delete, run_ids)


class MemoryCassetteStore:
    """Cassettes in a dict, for the in-memory checkpoint store and tests."""

    def __init__(self) -> None:
        self._runs: dict[str, bytes] = {}

    async def append(self, run_id: str, recording: Recording) -> None:
        run_id = validate_checkpoint_id(run_id)
        self._runs[run_id] = self._runs.get(run_id, b"") + recording.to_line()

    async def run_ids(self) -> list[str]:
        return sorted(self._runs)

    async def read(self, run_id: str) -> bytes | None:
        return self._runs.get(validate_checkpoint_id(run_id))

    async def read_all(self) -> dict[str, bytes]:
        return dict(sorted(self._runs.items()))

    async def write(self, run_id: str, data: bytes) -> None:
        self._runs[validate_checkpoint_id(run_id)] = data

    async def delete(self, run_ids: Sequence[str]) -> int:
        valid = list(dict.fromkeys(validate_checkpoint_id(run_id) for run_id in run_ids))
        return sum(self._runs.pop(run_id, None) is not None for run_id in valid)


class StorageCassettes:
    """The cassettes of a store that keeps them itself (SQLite, PostgreSQL, a third party's)."""

    def __init__(self, storage: CassetteStorage) -> None:
        self.storage = storage

    async def append(self, run_id: str, recording: Recording) -> None:
        await self.storage.append_cassette_line(run_id, recording.to_line())

    async def run_ids(self) -> list[str]:
        return await self.storage.cassette_run_ids()

    async def read(self, run_id: str) -> bytes | None:
        return await self.storage.read_cassette(run_id)

    async def read_all(self) -> dict[str, bytes]:
        return await self.storage.read_all_cassettes()

    async def write(self, run_id: str, data: bytes) -> None:
        await self.storage.write_cassette(run_id, data)

    async def delete(self, run_ids: Sequence[str]) -> int:
        return await self.storage.delete_cassettes(run_ids)


_MEMORY_CASSETTES: weakref.WeakKeyDictionary[Any, MemoryCassetteStore] = weakref.WeakKeyDictionary()


def cassette_store_for(storage: object) -> CassetteStore | None:
    """The cassettes kept with a checkpoint store, or None for a (third-party) store that
    keeps none."""
    from wftui.checkpoint.file import FileCheckpointStorage
    from wftui.checkpoint.memory import InMemoryCheckpointStorage

    if isinstance(storage, CassetteStorage):
        return StorageCassettes(storage)
    if isinstance(storage, FileCheckpointStorage):
        return FileCassetteStore(storage.storage_path)
    if isinstance(storage, InMemoryCheckpointStorage):
        return _MEMORY_CASSETTES.setdefault(storage, MemoryCassetteStore())
    return None


async def copy_cassettes(
    source: CheckpointStorage, target: CheckpointStorage, run: str | None
) -> Copied:
    """``checkpoints copy``'s step for cassettes: the run's (or every run's), each written
    whole unless the target already holds it byte for byte."""
    source_cassettes, target_cassettes = cassette_store_for(source), cassette_store_for(target)
    if source_cassettes is None:
        return Copied("cassettes")
    if run is None:
        found = list((await source_cassettes.read_all()).items())
    else:
        data = await source_cassettes.read(run)
        found = [] if data is None else [(run, data)]
    if target_cassettes is None:
        why = f"{len(found)} cassettes: the destination store keeps none" if found else ""
        return Copied("cassettes", skipped=(why,) if why else ())
    copied = unchanged = 0
    for run_id, data in found:
        if await target_cassettes.read(run_id) == data:
            unchanged += 1
        else:
            await target_cassettes.write(run_id, data)
            copied += 1
    return Copied("cassettes", copied, unchanged)


async def delete_cassettes(storage: object, run_ids: Sequence[str]) -> int:
    """Delete the cassettes of ``run_ids`` with their runs (``checkpoints prune``)."""
    cassettes = cassette_store_for(storage)
    return 0 if cassettes is None else await cassettes.delete(run_ids)
