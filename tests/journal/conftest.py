"""Journal tests run against the stores of the conformance suite (memory, a folder, a SQLite
file, a PostgreSQL schema; the shared ones for other processes), through its own fixtures."""

from tests.checkpoint.conformance import backend, shared_backend, storage

__all__ = ["backend", "shared_backend", "storage"]
