"""The save worker: a child process that does the save thread's file work (``group.py``).

Why a process: a thread's every system call gives up the GIL and then waits to get it back
from the event loop's thread, which is busy running the workflow. A save makes some thirty
calls (temp file, write, rename, folder stamps, commit log, ``fdatasync``), so on a busy loop a
save written in a thread took 5-10 times its disk time, and a run's end waited for that
backlog. The worker has a GIL of its own: the save thread hands it a whole group in one write
to a pipe and waits for one answer, two waits for the GIL instead of thirty per save.

The worker starts once a few groups came without one (a short run never starts it; importing
wftui takes it a fifth of a second, and groups go through the thread meanwhile), ends with the
save thread after it has been idle, and ends by
itself when this process goes (its pipe closes). If it dies, the group is written again in the
thread (the same bytes, so a file already written is simply written again) and, after a few
deaths, the thread does all the work. It runs in its own session: a Ctrl-C in the terminal
stops this process, never the worker in the middle of a write.

Protocol, on the worker's stdin and stdout: a request is two big-endian 32-bit lengths (header,
bodies), a JSON header naming the folder and the jobs, then the jobs' documents one after the
other; an answer is one length and a JSON list of segments (``group.Segment``).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from wftui.checkpoint.file.group import GroupJob, Outcome, Segment, write_group
from wftui.checkpoint.file.spares import Spares

ENV_SWITCH = "WFTUI_SAVE_WORKER"  # "0": no worker, the save thread writes
MAX_DEATHS = 3  # then this process stops starting one
# A worker starts once this many groups came without one: a short run (``wftui run`` of a few
# supersteps) is over before a worker could be ready, and would only pay for its imports.
START_AFTER_GROUPS = 8
_READY = b"R"
_REQUEST = struct.Struct(">II")
_ANSWER = struct.Struct(">I")
_FIRST_READ = 1 << 16


class WorkerGone(Exception):
    """The worker stopped answering (died, or its pipe broke)."""


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise WorkerGone("the save worker's pipe closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_answer(fd: int) -> bytes:
    """One answer's payload; most arrive whole in the first read (one wait for the GIL)."""
    first = os.read(fd, _FIRST_READ)
    if len(first) < _ANSWER.size:
        first += _read_exactly(fd, _ANSWER.size - len(first))
    (size,) = _ANSWER.unpack_from(first)
    payload = first[_ANSWER.size :]
    return payload + _read_exactly(fd, size - len(payload))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def encode_request(folder: str, max_file_size: int, jobs: list[GroupJob]) -> bytes:
    """Paths are made absolute here, against this process's working folder now, as the thread
    would resolve them: the worker's own working folder is wherever this process was when it
    started the worker."""
    header = orjson.dumps(
        {
            "folder": os.path.abspath(folder),
            "max": max_file_size,
            "jobs": [
                [
                    job.checkpoint_id,
                    os.path.abspath(job.path),
                    len(job.data),
                    job.parent_id,
                    sorted(job.refers),
                    job.parent_unsaved,
                ]
                for job in jobs
            ],
        }
    )
    bodies = b"".join(job.data for job in jobs)
    return _REQUEST.pack(len(header), len(bodies)) + header + bodies


def decode_request(header: bytes, bodies: bytes) -> tuple[str, int, list[GroupJob]]:
    fields = orjson.loads(header)
    jobs, at = [], 0
    for checkpoint_id, path, size, parent_id, refers, parent_unsaved in fields["jobs"]:
        data = bodies[at : at + size]
        at += size
        jobs.append(
            GroupJob(checkpoint_id, path, data, parent_id, frozenset(refers), parent_unsaved)
        )
    return fields["folder"], fields["max"], jobs


def encode_answer(segments: list[Segment]) -> bytes:
    payload = orjson.dumps(
        [
            [link, [[index, o.size, o.ctime_ns, o.failure, o.where] for index, o in outcomes]]
            for link, outcomes in segments
        ]
    )
    return _ANSWER.pack(len(payload)) + payload


def decode_answer(answer: list[Any]) -> list[Segment]:
    return [
        (
            None if link is None else (link[0], link[1], link[2], link[3]),
            [
                (index, Outcome(size, ctime, failure, where))
                for index, size, ctime, failure, where in outcomes
            ],
        )
        for link, outcomes in answer
    ]


class SaveWorker:
    """This process's save worker, as the save thread (its only user) sees it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._deaths = 0
        self._groups = 0  # groups asked for while no worker ran (see START_AFTER_GROUPS)

    def write_group(
        self, folder: str, max_file_size: int, jobs: list[GroupJob]
    ) -> list[Segment] | None:
        """The group written by the worker; None when there is none ready (the caller writes
        it itself) or it died meanwhile (then nothing it did is relied on)."""
        if not self._usable():
            return None
        assert self._process is not None and self._process.stdin and self._process.stdout
        try:
            request = encode_request(folder, max_file_size, jobs)
        except OSError:  # no working folder to resolve a relative path: the thread says so
            return None
        try:
            _write_all(self._process.stdin.fileno(), request)
            answer = orjson.loads(_read_answer(self._process.stdout.fileno()))
        except (OSError, WorkerGone):
            self._died()
            return None
        if isinstance(answer, dict):  # a bug in the worker: the same work here would hit it too
            raise RuntimeError(f"save worker: {answer['error']}")
        return decode_answer(answer)

    @property
    def started(self) -> bool:
        """Whether a worker process is running (ready or still importing)."""
        return self._process is not None

    @property
    def ready_pid(self) -> int | None:
        """The worker's process id once it has answered that it is ready, else None."""
        return self._process.pid if self._process is not None and self._ready else None

    def _usable(self) -> bool:
        """Started (at the first call) and done importing; asked at every group, so switching
        the worker off in the environment takes effect at once."""
        if os.environ.get(ENV_SWITCH) == "0":
            return False
        if self._process is None:
            self._groups += 1
            if self._deaths < MAX_DEATHS and self._groups >= START_AFTER_GROUPS:
                self._start()
            return False
        if self._ready:
            return True
        assert self._process.stdout is not None
        out = self._process.stdout.fileno()
        if not select.select([out], [], [], 0)[0]:
            return False  # still importing
        try:
            self._ready = os.read(out, 1) == _READY
        except OSError:
            self._ready = False
        if not self._ready:
            self._died()
        return self._ready

    def _start(self) -> None:
        executable = sys.executable
        if not executable:
            self._deaths = MAX_DEATHS
            return
        # The child imports this very wftui, wherever it was imported from.
        source = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        try:
            self._process = subprocess.Popen(
                [executable, "-m", "wftui.checkpoint.file.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # never onto a terminal an app is drawing
                env=env,
                start_new_session=True,
            )
        except OSError:
            self._deaths = MAX_DEATHS
            self._process = None

    def _died(self) -> None:
        self._deaths += 1
        self.close()

    def close(self) -> None:
        """End the worker (it exits once its stdin closes)."""
        process, self._process, self._ready = self._process, None, False
        self._groups = 0
        if process is None:
            return
        _close_pipes(process)
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def forget_in_child(self) -> None:
        """After ``fork``: the parent's worker is the parent's; this process starts its own, and
        lets go of its copies of the pipes (the worker ends when the last writer closes)."""
        process, self._process, self._ready = self._process, None, False
        self._deaths = self._groups = 0
        if process is not None:
            _close_pipes(process)


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()


def serve() -> None:
    """The worker's loop: a group in, its outcome out, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp, out = sys.stdin.fileno(), sys.stdout.fileno()
    _write_all(out, _READY)
    spares = Spares()
    while True:
        # Idle: make the next groups' files now, a request being served first when one comes.
        while spares.wanted() and not select.select([inp], [], [], 0)[0]:
            spares.make_one()
        try:
            lengths = _read_exactly(inp, _REQUEST.size)
        except WorkerGone:
            spares.close()
            return
        header_size, bodies_size = _REQUEST.unpack(lengths)
        request = _read_exactly(inp, header_size + bodies_size)
        try:
            folder, max_file_size, jobs = decode_request(
                request[:header_size], request[header_size:]
            )
            answer = encode_answer(write_group(folder, max_file_size, jobs, spares))
        except Exception as error:  # a bug: said, not hidden, and the worker goes on
            payload = orjson.dumps({"error": f"{type(error).__name__}: {error}"})
            answer = _ANSWER.pack(len(payload)) + payload
        _write_all(out, answer)


WORKER = SaveWorker()
os.register_at_fork(after_in_child=WORKER.forget_in_child)

if __name__ == "__main__":
    serve()
