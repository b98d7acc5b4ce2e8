"""A real PostgreSQL for the tests: where it is, and a scratch schema per test.

``WFTUI_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``, trust auth)
names the server. When the variable is unset and nothing answers, Postgres tests are skipped
with a message; with ``WFTUI_REQUIRE_POSTGRES=1`` (CI), or when the variable is set, a missing
server fails them instead.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@functools.cache
def _probe(url: str) -> str | None:
    """None when the server answers, else why not (asked once per test session)."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return " ".join(str(error).split())


def postgres_url() -> str:
    """The test server's URL; skips (or fails, when Postgres is required) if it does not answer."""
    configured = os.environ.get("WFTUI_TEST_POSTGRES_URL")
    url = configured or DEFAULT_URL
    problem = _probe(url)
    if problem is not None:
        message = f"no PostgreSQL at {url}: {problem}"
        if configured or os.environ.get("WFTUI_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (WFTUI_REQUIRE_POSTGRES=1 or WFTUI_TEST_POSTGRES_URL set)")
        pytest.skip(message + " (set WFTUI_TEST_POSTGRES_URL, or start one: see README)")
    return url


def admin(url: str) -> psycopg.Connection[Any]:
    """A plain autocommit connection for a test to look at or tamper with the database."""
    return psycopg.connect(url, autocommit=True)


def drop_schema(url: str, schema: str) -> None:
    with admin(url) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@asynccontextmanager
async def scratch_schema() -> AsyncIterator[tuple[str, str]]:
    """(server URL, a fresh random schema name); the schema is dropped afterwards."""
    url = postgres_url()
    schema = f"wftui_test_{secrets.token_hex(6)}"
    try:
        yield url, schema
    finally:
        drop_schema(url, schema)


def store_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@contextmanager
def scratch_store_url(prefix: str = "wftui_test") -> Iterator[str]:
    """A store URL on the test server naming a fresh schema, dropped afterwards."""
    url = postgres_url()
    schema = f"{prefix}_{secrets.token_hex(6)}"
    try:
        yield store_url(url, schema)
    finally:
        drop_schema(url, schema)


@contextmanager
def benchmark_stores(file_label: str = "file") -> Iterator[dict[str, str]]:
    """Store URLs for a benchmark, by label, with ``{folder}`` to fill: a folder, SQLite, and a
    scratch schema on the test server when one answers (else left out, said in one line); the
    schema is dropped afterwards."""
    stores = {file_label: "file:{folder}/files", "sqlite": "sqlite:{folder}/store.db"}
    server = os.environ.get("WFTUI_TEST_POSTGRES_URL", DEFAULT_URL)
    problem = _probe(server)
    if problem is not None:
        print(f"(no PostgreSQL at {server}: {problem}; its figures are left out)")
        yield stores
        return
    schema = f"wftui_bench_{secrets.token_hex(4)}"
    stores["postgresql"] = store_url(server, schema)
    try:
        yield stores
    finally:
        drop_schema(server, schema)
