"""Spare files for the save worker and the save thread: nameless files (``osio.open_nameless``)
made ahead, while they have nothing to do, that a save fills and then links into place.

Why: on the disks we measured, making a file cost 0.1-0.3 ms of kernel time (a link or rename
about 10 us, a write of a few KB 3 us), and a run's saves tend to reach the worker together as
its run ends (the event loop keeps the save thread waiting for the GIL meanwhile), so a short
run waited for one file to be made per superstep before its last checkpoint was durable. Made
ahead, they are made while the next run runs, on the other core (the thread makes at most a
few at a time: each is a wait for the GIL, see ``writer.py``).

A spare has no name until it is linked, complete, under the checkpoint's: readers see the whole
file or none, as with a temp file and a rename; the folder is not changed by making one (its
witness, ``recent.py``, sees only the saves); and one never used leaves nothing behind, even if
the worker is killed. Where there are no nameless files, or a link fails, saves make their files
as before (``osio.replace``).
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict

from wftui.checkpoint.file import osio

MOST_FOLDERS = 2  # folders with spares kept at once; the least recently saved to lose theirs
MOST_SPARES = 32  # per folder


class Spares:
    """This process's spare files, per checkpoint folder (the save worker and the save thread
    each have one; used by one thread only)."""

    def __init__(self) -> None:
        self._ready: OrderedDict[str, list[int]] = OrderedDict()  # folder -> descriptors
        self._wanted: dict[str, int] = {}  # twice the largest group seen, per folder

    def place(self, folder: str, path: str, data: bytes) -> None:
        """``data`` as the file ``path`` (absolute, in ``folder``), whole or not at all, as
        ``osio.replace`` does; through a spare when one is ready."""
        ready = self._ready.get(folder)
        if not ready:
            osio.replace(path, data)
            return
        descriptor = ready.pop()
        try:
            osio.write_all(descriptor, data)
            osio.link_nameless(descriptor, path)
        except OSError:  # the name taken, no /proc, a full disk: the plain way says which
            osio.replace(path, data)
        finally:
            os.close(descriptor)

    def expect(self, folder: str, saves: int) -> None:
        """A group of ``saves`` came for ``folder``: keep enough ready for the next ones."""
        self._ready.setdefault(folder, [])
        self._ready.move_to_end(folder)
        while len(self._ready) > MOST_FOLDERS:
            gone, descriptors = self._ready.popitem(last=False)
            self._wanted.pop(gone, None)
            _close_all(descriptors)
        self._wanted[folder] = min(MOST_SPARES, max(self._wanted.get(folder, 0), 2 * saves))

    def wanted(self) -> bool:
        """Whether a spare is still to be made."""
        return any(len(ready) < self._wanted[folder] for folder, ready in self._ready.items())

    def make_one(self) -> None:
        """Make one spare, for the folder saved to last that is short of them."""
        for folder, ready in reversed(self._ready.items()):
            if len(ready) < self._wanted[folder]:
                try:
                    ready.append(osio.open_nameless(folder))
                except OSError:  # none here, or the folder is gone: saves make their own
                    self._wanted[folder] = 0
                return

    def close(self) -> None:
        """Let go of the spares not used (nothing of them stays on disk)."""
        while self._ready:
            _close_all(self._ready.popitem()[1])
        self._wanted.clear()


def _close_all(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)
