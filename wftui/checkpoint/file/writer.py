"""The file store's save thread: saves written in the order they were asked for, made durable
in groups.

A save hands its document to this thread and gets a future back. The thread takes every save
waiting, has each storage write its files and make them durable with one ``fdatasync`` of its
commit log (a group commit), then settles the futures. While one group is being synced, the
saves asked for meanwhile wait and form the next group, so saves that come faster than the
disk syncs share the cost of a sync.

A save no one waits for yet (``durability="async"``) is held up to ``HOLD_SECONDS`` for the
saves after it, unless its run starts waiting sooner (``hurry``). Sent alone at once, a run's
first save took the worker's ``fdatasync`` while the next supersteps' saves queued behind it,
and a short run paid two or three syncs in a row at its end instead of one.

One thread for the process, of its own rather than ``asyncio.to_thread``: handing work to the
default executor and back cost three times as much as a wake-up of a waiting thread, at every
superstep. It ends after ``IDLE_SECONDS`` with nothing to do and starts again on demand (also
in a forked child, which has no threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wftui.checkpoint.file.spares import Spares
from wftui.checkpoint.file.worker import WORKER

IDLE_SECONDS = 1.0
# Spares made after a group, at most: each one made hands the GIL back and forth with the
# event loop, and a dozen in a row held a run's end back by milliseconds; this many replace
# what a group of ``durability="sync"`` used (one save), the rest come after later groups.
SPARES_PER_TURN = 2
# How long an async save waits for later saves to share its group. Alternating subprocesses, 6
# rounds, a 5-superstep chain with its journal: 0.59 ms a superstep sent at once, 0.50-0.51 held
# 2 or 5 ms; 100 supersteps 0.48 and 0.36-0.38. A run that waits for its saves says so
# (``hurry``), so a short run is not held; a long step's checkpoint is announced 2 ms later at
# most.
HOLD_SECONDS = 0.002


@dataclass(slots=True)
class SaveJob:
    """One save: the document for ``path``, and who is waiting for it."""

    checkpoint_id: str
    path: str
    data: bytes
    # The checkpoint it follows (engine saves): it is not written if that one failed.
    parent_id: str | None
    # Builds the listing's summary (by the save thread, off the caller's path).
    summary: Callable[[int], Any]
    future: asyncio.Future[str]
    # Checkpoints whose values it refers to (engine saves): it is written only once they are
    # durable, so a power cut never keeps it without them.
    refers: frozenset[str] = frozenset()
    # Its caller waits for it at once (``durability="sync"``, a plain ``save_checkpoint``).
    waited: bool = False
    error: BaseException | None = field(default=None)


class GroupWriter(Protocol):
    def write_group(self, jobs: list[SaveJob]) -> None:
        """Write and commit ``jobs`` in order; set ``job.error`` on each that failed."""


class SaveThread:
    """The process's save thread (``SAVES``)."""

    def __init__(self) -> None:
        # A SimpleQueue wakes the thread once; a Condition woke it twice (for the lock too),
        # and each wake-up may cost a time slice on a busy machine.
        self._waiting: queue.SimpleQueue[tuple[GroupWriter, SaveJob, int]] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards starting and ending the thread
        self._running_in: int | None = None  # the pid whose thread is running, if any
        # Files for the groups this thread writes itself, made between groups (``spares.py``).
        self.spares = Spares()
        self._numbers = itertools.count(1)  # each save's place in the order they came
        self._last_number = 0
        self._hurry_through = 0  # saves up to this number are waited for: no holding them
        self._hurried = threading.Event()

    def submit(self, writer: GroupWriter, job: SaveJob) -> None:
        number = self._last_number = next(self._numbers)
        self._waiting.put((writer, job, number))
        if job.waited:
            self.hurry()
        with self._lock:
            if self._running_in != os.getpid():
                self._running_in = os.getpid()
                threading.Thread(target=self._run, name="wftui-saves", daemon=True).start()

    def hurry(self) -> None:
        """Someone waits for the saves submitted so far: write them without holding them."""
        self._hurry_through = self._last_number  # before the event: ``_hold`` reads it after
        self._hurried.set()

    def _hold(self, number: int) -> None:
        """Let the saves after save ``number`` join its group, for ``HOLD_SECONDS`` at most or
        until someone waits for it."""
        if self._hurry_through >= number:
            return
        self._hurried.clear()  # set for earlier saves only
        if self._hurry_through < number:  # else a hurry came between the two reads
            self._hurried.wait(HOLD_SECONDS)

    def _run(self) -> None:
        while True:
            try:
                first = self._waiting.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._waiting.empty():  # else a save came just now: go on
                        self._running_in = None
                        WORKER.close()  # its user ends; the next save starts both again
                        self.spares.close()
                        return
                continue
            self._hold(first[2])
            batch = [first]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._waiting.get_nowait())
            _write(batch)
            for _ in range(SPARES_PER_TURN):
                if not self.spares.wanted() or not self._waiting.empty():
                    break
                self.spares.make_one()

    def reset_in_child(self) -> None:
        """After ``fork``: the parent's thread is not running here, and its lock may be held;
        the saves it was given are the parent's to answer."""
        self._waiting = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running_in = None
        self._hurried = threading.Event()  # its lock may be held too
        self._hurry_through = self._last_number
        self.spares.close()  # the parent's: a spare named by both would be one file for two
        self.spares = Spares()


def _write(batch: list[tuple[GroupWriter, SaveJob, int]]) -> None:
    """Each storage's jobs in one group, storages in the order they asked first."""
    groups: dict[int, tuple[GroupWriter, list[SaveJob]]] = {}
    for writer, job, _ in batch:
        groups.setdefault(id(writer), (writer, []))[1].append(job)
    for writer, jobs in groups.values():
        try:
            writer.write_group(jobs)
        except BaseException as error:  # a bug must not leave a caller waiting forever
            for job in jobs:
                job.error = job.error or error
        _answer(jobs)


def _answer(jobs: list[SaveJob]) -> None:
    """Settle the futures, one wake-up per event loop."""
    loops: dict[int, tuple[asyncio.AbstractEventLoop, list[SaveJob]]] = {}
    for job in jobs:
        loop = job.future.get_loop()
        loops.setdefault(id(loop), (loop, []))[1].append(job)
    for loop, waiting in loops.values():
        with contextlib.suppress(RuntimeError):  # the loop was closed: no one is waiting
            loop.call_soon_threadsafe(_settle, waiting)


def _settle(jobs: list[SaveJob]) -> None:
    for job in jobs:
        if job.future.done():  # the caller was cancelled; the save went on regardless
            continue
        if job.error is None:
            job.future.set_result(job.checkpoint_id)
        else:
            job.future.set_exception(job.error)


SAVES = SaveThread()
os.register_at_fork(after_in_child=SAVES.reset_in_child)
