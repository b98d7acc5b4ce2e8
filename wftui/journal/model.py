"""What a journal holds: executions (one ``run_stream*`` call each) and their event entries."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

# A running execution writes a heartbeat this often; missing STALE_AFTER of them in a row
# means it died somewhere (killed, machine gone) and it stops showing as running.
HEARTBEAT_SECONDS = float(os.environ.get("WFTUI_HEARTBEAT_SECONDS", "2"))
STALE_AFTER = 3

RUNNING = "running"
LOST = "lost"  # no heartbeat for STALE_AFTER intervals and no end written


def iso(seconds: float) -> str:
    """ISO-8601 UTC, the form checkpoints use for time."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass
class Execution:
    """One execution: who ran it where, and how it ended (``outcome`` None while running)."""

    id: str
    kind: str  # run | resume | answer | fork | step | rerun
    pipeline: str | None
    host: str
    pid: int
    started: float
    run: str | None = None
    input: str | None = None
    heartbeat: float = 0.0
    beat_every: float = HEARTBEAT_SECONDS
    ended: float | None = None
    outcome: str | None = None  # completed | waiting | paused | failed | cancelled

    @classmethod
    def here(
        cls,
        kind: str,
        pipeline: str | None,
        *,
        run: str | None = None,
        input: str | None = None,
        beat_every: float = HEARTBEAT_SECONDS,
    ) -> Execution:
        """A new execution in this process, starting now."""
        now = time.time()
        return cls(
            id=uuid.uuid4().hex,
            kind=kind,
            pipeline=pipeline,
            host=socket.gethostname(),
            pid=os.getpid(),
            started=now,
            run=run,
            input=input,
            heartbeat=now,
            beat_every=beat_every,
        )

    def status(self, now: float | None = None) -> str:
        """``running`` while heartbeats arrive, ``lost`` once they stopped, else the outcome."""
        if self.outcome is not None:
            return self.outcome
        moment = time.time() if now is None else now
        return RUNNING if moment - self.heartbeat <= self.beat_every * STALE_AFTER else LOST

    @property
    def where(self) -> str:
        return f"{self.host}:{self.pid}"

    def metadata(self) -> dict[str, Any]:
        """The shared ``metadata["execution"]`` shape that checkpoints record."""
        return {
            "id": self.id,
            "kind": self.kind,
            "pipeline": self.pipeline,
            "host": self.host,
            "pid": self.pid,
            "started": iso(self.started),
        }

    def to_json(self) -> dict[str, Any]:
        """Shallow: every field is a plain value (``asdict`` copied each one deeply)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Execution:
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})

    def updated(self, **changes: Any) -> Execution:
        return replace(self, **changes)


@dataclass
class Entry:
    """One journaled event: the log's line (kind, executor, text, tone) and its JSON fields."""

    seq: int
    time: float
    kind: str
    executor: str
    text: str
    tone: str
    event: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Shallow (``event`` is plain JSON, written at once): ``asdict``'s deep copy was most
        of a journaled event's cost."""
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "executor": self.executor,
            "text": self.text,
            "tone": self.tone,
            "event": self.event,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})


ChangeKind = Literal["begun", "entries", "beat", "ended", "answer", "reset"]


@dataclass(frozen=True, slots=True)
class JournalChange:
    """One entry of a store's journal change sequence: an execution began, wrote entries, beat
    or ended, or an answer was posted to a run; or ``reset``: changes after the watcher's seq
    were dropped to keep the sequence bounded, so it reads the executions it follows again.

    ``seq`` grows with every change a store records; a watcher resumes after the last one it saw
    (never after a time: clocks differ between machines). ``run`` is the execution's run as its
    writer knew it then (None until the run's first checkpoint); an answer has no execution.
    """

    seq: int
    execution_id: str | None
    run: str | None
    kind: ChangeKind


class Journal(Protocol):
    """Where executions and their events are kept, beside a store's checkpoints.

    One writer per execution appends; any number of readers in other processes list and tail.
    """

    async def begin(self, execution: Execution, *, inline: bool = False) -> None:
        """``inline``: the caller waits for nothing else meanwhile, so a store need not hand
        the write to a worker thread to keep the caller's loop free."""
        ...

    async def set_run(self, execution_id: str, run: str) -> None:
        """Name the execution's run; a store may write it with the execution's next write (a
        writer always writes again: entries, a beat or its end)."""
        ...

    async def append(self, execution_id: str, entries: Sequence[Entry]) -> None: ...

    async def beat(self, execution_id: str, at: float) -> None: ...

    async def end(
        self, execution_id: str, outcome: str, at: float, entries: Sequence[Entry] = ()
    ) -> None:
        """The execution ended; ``entries``, its last ones, are written with the end."""
        ...

    async def executions(self, run: str | None = None) -> list[Execution]:
        """Oldest first; ``run`` keeps one run's."""
        ...

    async def entries(self, execution_id: str, after_seq: int = 0) -> list[Entry]:
        """The execution's entries with ``seq`` above ``after_seq``, in order."""
        ...

    async def post_answer(self, run: str, request_id: str, value: str) -> None:
        """An answer to a human request of ``run``, for whichever process drives it."""
        ...

    async def answers(self, run: str) -> dict[str, str]: ...

    async def execution(self, execution_id: str) -> Execution | None:
        """One execution as it stands now (a watcher reads what a change names)."""
        ...

    def watch(self, after_seq: int = 0) -> AsyncIterator[JournalChange]:
        """Every change after ``after_seq`` in sequence order, then each new one as it lands,
        from any process writing the store; it never ends by itself (close it).

        A store may keep only the newest ``entries`` and ``beat`` change of an execution, so one
        change can stand for several: a watcher reads what is new (``entries`` after the last
        seq it has), never counts changes. A store that dropped older changes (compacted, or
        pruned) gives a watcher that resumes below what it kept a ``reset`` first; seqs given
        out after it are still above every seq given before.
        """
        ...

    async def last_seq(self) -> int:
        """The newest change's ``seq`` (0 before any): ``watch(last_seq())`` yields only what
        comes after, so a follower that has read the current state starts there."""
        ...

    async def close(self) -> None: ...

    async def put_execution(self, execution: Execution, entries: Sequence[Entry]) -> None:
        """Replace an execution and its entries whole (a copy from another store's journal)."""
        ...

    async def delete_runs(self, runs: Sequence[str]) -> int:
        """Remove the executions of ``runs`` with their entries, and the runs' answers (the
        runs were pruned); how many executions went."""
        ...
