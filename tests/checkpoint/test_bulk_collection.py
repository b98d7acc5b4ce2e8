"""Bulk loads leave what they made out of the young generations, whether or not the process
keeps objects frozen (the app does, after startup)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from wftui.bulk import no_cyclic_collection

MADE = 50_000


@pytest.fixture
def thawed_after() -> Iterator[None]:
    yield
    gc.unfreeze()


def load() -> list[list[int]]:
    with no_cyclic_collection():
        return [[n] for n in range(MADE)]  # lists: always tracked by the collector


def test_a_big_load_is_aged_at_once_and_nothing_stays_frozen(thawed_after: None) -> None:
    gc.collect()
    made = load()
    assert gc.get_count()[0] < MADE // 10  # not left for the next young collection to walk
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    del made


def test_a_freeze_the_process_keeps_is_kept_and_the_load_joins_it(thawed_after: None) -> None:
    gc.collect()
    gc.freeze()
    kept = gc.get_freeze_count()
    made = load()
    assert gc.get_count()[0] < MADE // 10
    assert gc.get_freeze_count() >= kept + MADE
    del made
