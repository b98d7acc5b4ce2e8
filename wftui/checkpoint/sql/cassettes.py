"""Cassettes in the SQL stores: each run's recorded model answers, in the ``cassettes`` table.

A row holds one line of a run's cassette, and ``seq`` keeps the order the lines were written in,
so a cassette reads back byte for byte as it was written. Writers in several processes append
rows, so two processes never overwrite each other's lines. What a line means (its format, its
request key) is the cassette client's business: here a line is only bytes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from wftui.checkpoint.ids import validate_checkpoint_id

# One statement and the parameter rows it runs with, as part of a transaction.
WriteStep = tuple[str, Sequence[Sequence[Any]]]

_INSERT = "INSERT INTO {cassettes} (run_id, line) VALUES (%s, %s)"
_DELETE = "DELETE FROM {cassettes} WHERE run_id = %s"
_RUNS = "SELECT DISTINCT run_id FROM {cassettes} ORDER BY run_id"
_LINES = "SELECT line FROM {cassettes} WHERE run_id = %s ORDER BY seq"
_ALL_LINES = "SELECT run_id, line FROM {cassettes} ORDER BY run_id, seq"


class SqlCassettes(ABC):
    """The ``CassetteStorage`` capability over a backend's read and write primitives."""

    @abstractmethod
    async def _fetch(self, query: tuple[str, list[Any]]) -> list[tuple[Any, ...]]:
        """Run a read query (``%s`` parameters, ``{table}`` names)."""

    @abstractmethod
    async def _write(self, doing: str, steps: Sequence[WriteStep]) -> int:
        """Run every step in one transaction; how many rows they changed."""

    async def append_cassette_line(self, run_id: str, line: bytes) -> None:
        run_id = validate_checkpoint_id(run_id)
        await self._write(
            f"record into the cassette of run {run_id}", [(_INSERT, [[run_id, line]])]
        )

    async def cassette_run_ids(self) -> list[str]:
        return [row[0] for row in await self._fetch((_RUNS, []))]

    async def read_cassette(self, run_id: str) -> bytes | None:
        rows = await self._fetch((_LINES, [validate_checkpoint_id(run_id)]))
        return b"".join(bytes(row[0]) for row in rows) if rows else None

    async def read_all_cassettes(self) -> dict[str, bytes]:
        """One query, not one per run: replay reads them all before its first answer."""
        lines: dict[str, list[bytes]] = {}
        for run_id, line in await self._fetch((_ALL_LINES, [])):
            lines.setdefault(run_id, []).append(bytes(line))
        return {run_id: b"".join(each) for run_id, each in lines.items()}

    async def write_cassette(self, run_id: str, data: bytes) -> None:
        """Replace a run's cassette whole, in one transaction (a copy from another store)."""
        run_id = validate_checkpoint_id(run_id)
        lines = [[run_id, line] for line in data.splitlines(keepends=True)]
        await self._write(
            f"write the cassette of run {run_id}", [(_DELETE, [[run_id]]), (_INSERT, lines)]
        )

    async def delete_cassettes(self, run_ids: Sequence[str]) -> int:
        """Delete the cassettes of ``run_ids`` in one transaction; how many runs had one."""
        valid = list(dict.fromkeys(validate_checkpoint_id(each) for each in run_ids))
        held = set(await self.cassette_run_ids()) & set(valid)
        if held:
            await self._write(
                f"delete the cassettes of {len(held)} runs", [(_DELETE, [[r] for r in held])]
            )
        return len(held)
