"""Journal tests run against the stores of the conformance suite (memory, a folder, a SQLite
file, a PostgreSQL schema; the shared ones for other processes), through its own fixtures.

A coroutine never awaited (a watcher or a worker dropped before it ran) fails them."""

from pathlib import Path

import pytest

from tests.checkpoint.conformance import backend, shared_backend, storage

__all__ = ["backend", "shared_backend", "storage"]

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.filterwarnings("error::RuntimeWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
            )
