"""Bulk loads without the cyclic garbage collector.

Loading thousands of checkpoints makes millions of containers and no reference cycles; the
collector, triggered by the allocations, would walk them again and again (a third of the time
of a full listing). It is paused for the load and runs normally afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def no_cyclic_collection() -> Iterator[None]:
    """Pause the collector while inside; nested and concurrent uses restore it once, at the end."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
