"""Spare journal files: a nameless file (``osio.open_nameless``) made ahead in a thread of its
own, linked under the next execution's name when its journal file is made.

Why: a short run's journal file is made as the run ends, by the event loop (``files.py``), and
on our ext4 disk making a file cost 0.3-0.5 ms of kernel time, as much as two supersteps; the
link of a spare costs about 30 us. The next spare is asked for once an execution's last record is
written: made by this module's thread while the next run runs, the kernel's part on the other
core, with two short waits for the GIL (asked for as the file was made, the making slowed the
same run's next writes: the journal cost a short run 0.65 ms against 0.58, in paired runs).

One spare per folder, for a few folders: each execution ended asks for the next, so a process
that journals one run (``wftui run``) makes one spare it never uses, which leaves nothing on
disk (it has no name). After ``fork`` the child lets the parent's spares go: both
linking one file would give two executions one file.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from wftui.checkpoint.file import osio

MOST_FOLDERS = 4  # folders with a spare kept at once; the least recently used loses its own


class SpareFiles:
    """This process's spare journal files (``SPARES``); used from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # folder -> its spare (a descriptor), or None while one is being made
        self._spares: OrderedDict[str, int | None] = OrderedDict()
        self._maker: ThreadPoolExecutor | None = None

    def take(self, folder: str) -> int | None:
        """The folder's spare if one is ready; the caller links or closes it, and asks for the
        next one (``refill``) when it has done writing."""
        with self._lock:
            spare = self._spares.get(folder)
            if spare is not None:
                del self._spares[folder]
            return spare

    def refill(self, folder: str) -> None:
        """Have a spare made for ``folder`` (which exists) unless one is ready or on its way."""
        with self._lock:
            if folder in self._spares:
                self._spares.move_to_end(folder)
                return
            self._spares[folder] = None  # being made, or never to be here (see ``_make``)
            while len(self._spares) > MOST_FOLDERS:
                _close(self._spares.popitem(last=False)[1])
            if self._maker is None:
                self._maker = ThreadPoolExecutor(1, thread_name_prefix="wftui-journal-spares")
            self._maker.submit(self._make, folder)

    def _make(self, folder: str) -> None:
        try:
            spare = osio.open_nameless(folder)
        except FileNotFoundError:  # removed meanwhile: asked for again once it is back
            with self._lock:
                if folder in self._spares and self._spares[folder] is None:
                    del self._spares[folder]
            return
        except OSError:  # no nameless files here: this folder's files are made as before
            return
        with self._lock:
            if folder in self._spares and self._spares[folder] is None:
                self._spares[folder] = spare
                return
        _close(spare)  # its folder was dropped meanwhile, or the process forked

    def close(self) -> None:
        """Let the spares go (nothing of them stays on disk)."""
        with self._lock:
            spares, self._spares = self._spares, OrderedDict()
        for spare in spares.values():
            _close(spare)

    def reset_in_child(self) -> None:
        """After ``fork``: the parent's spares are the parent's, and its thread is not here."""
        spares, self._spares = self._spares, OrderedDict()
        self._lock = threading.Lock()  # the parent's thread may have held it
        self._maker = None
        for spare in spares.values():
            _close(spare)


def _close(spare: int | None) -> None:
    if spare is not None:
        with contextlib.suppress(OSError):
            os.close(spare)


SPARES = SpareFiles()
os.register_at_fork(after_in_child=SPARES.reset_in_child)
