"""The memory store's journal: the same promises, for tests and one-process use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from wftui.checkpoint.changefeed import MemorySequence
from wftui.journal.model import ChangeKind, Entry, Execution, JournalChange


class MemoryJournal:
    def __init__(self) -> None:
        self._executions: dict[str, Execution] = {}
        self._entries: dict[str, list[Entry]] = {}
        self._answers: dict[str, dict[str, str]] = {}
        self._changes: MemorySequence[JournalChange] = MemorySequence()

    async def begin(self, execution: Execution, *, inline: bool = False) -> None:
        self._executions[execution.id] = execution.updated()
        self._entries[execution.id] = []
        self._changed(execution.id, "begun")

    async def set_run(self, execution_id: str, run: str) -> None:
        self._executions[execution_id].run = run

    async def append(self, execution_id: str, entries: Sequence[Entry]) -> None:
        self._entries[execution_id].extend(entries)
        self._changed(execution_id, "entries")

    async def beat(self, execution_id: str, at: float) -> None:
        self._executions[execution_id].heartbeat = at
        self._changed(execution_id, "beat")

    async def end(
        self, execution_id: str, outcome: str, at: float, entries: Sequence[Entry] = ()
    ) -> None:
        self._entries[execution_id].extend(entries)
        execution = self._executions[execution_id]
        execution.outcome, execution.ended = outcome, at
        self._changed(execution_id, "ended")

    async def executions(self, run: str | None = None) -> list[Execution]:
        found = sorted(self._executions.values(), key=lambda e: e.started)
        return [e.updated() for e in found if run is None or e.run == run]

    async def execution(self, execution_id: str) -> Execution | None:
        found = self._executions.get(execution_id)
        return None if found is None else found.updated()

    async def entries(self, execution_id: str, after_seq: int = 0) -> list[Entry]:
        return [e for e in self._entries.get(execution_id, []) if e.seq > after_seq]

    async def post_answer(self, run: str, request_id: str, value: str) -> None:
        self._answers.setdefault(run, {})[request_id] = value
        self._changes.record(lambda seq: JournalChange(seq, None, run, "answer"))

    async def answers(self, run: str) -> dict[str, str]:
        return dict(self._answers.get(run, {}))

    # ----- watching -----

    def _changed(self, execution_id: str, kind: ChangeKind) -> None:
        run = self._executions[execution_id].run
        self._changes.record(lambda seq: JournalChange(seq, execution_id, run, kind))

    async def last_seq(self) -> int:
        return self._changes.last_seq

    def watch(self, after_seq: int = 0) -> AsyncIterator[JournalChange]:
        """Every change after ``after_seq``, then each new one as this process makes it."""
        return self._changes.watch(after_seq)

    async def close(self) -> None:
        return None

    async def put_execution(self, execution: Execution, entries: Sequence[Entry]) -> None:
        self._executions[execution.id] = execution.updated()
        self._entries[execution.id] = list(entries)
        self._changed(execution.id, "begun")  # watchers see the copy

    async def delete_runs(self, runs: Sequence[str]) -> int:
        gone = [e.id for e in self._executions.values() if e.run is not None and e.run in runs]
        for execution_id in gone:
            del self._executions[execution_id]
            self._entries.pop(execution_id, None)
        for run in runs:
            self._answers.pop(run, None)
        return len(gone)
