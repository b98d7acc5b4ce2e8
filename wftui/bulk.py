"""Bulk work without the cyclic garbage collector: loads and graph builds.

Loading thousands of checkpoints makes millions of containers and no reference cycles; the
collector, triggered by the allocations, would walk them again and again (a third of the time
of a full listing). Building a graph of thousands of executors is the same: the full
collections its allocations set off walked the whole heap and made a build of 3,000 executors
4-4.7 times one of 1,000 instead of about 3. The collector is paused for the work, what the
work made joins the oldest generation (walked by the next full collection, as anything
long-lived), and it runs normally afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_MANY_YOUNG = 20_000  # objects made since the last collection: a bulk load, not a few rows
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
            if _holders == 0:
                _age_young_objects()
                if _was_enabled:
                    gc.enable()


def _age_young_objects() -> None:
    """Move what the load made out of the young generations at once (a freeze, O(1)): left
    young, the first collection after the load walks every one of them, inside the caller's
    next await. Thawed at once into the oldest generation, unless the process keeps objects
    frozen for its own reasons (the app, after startup): a thaw would let those go too, so
    the load's join them until the process thaws them all (it made no cycles: whatever of it
    is dropped is freed meanwhile all the same). Only after a big load."""
    if gc.get_count()[0] > _MANY_YOUNG:
        kept = gc.get_freeze_count() > 0
        gc.freeze()
        if not kept:
            gc.unfreeze()
