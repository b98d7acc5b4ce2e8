"""Stores named by URL: the built-in table, read-only opening, and third-party entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import (
    CheckpointError,
    CheckpointStorage,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    JsonCheckpointSerializer,
    StoreUrlError,
    open_store,
    store_schemes,
)
from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
from wftui.checkpoint.stores import display_url


@pytest.mark.parametrize("form", ["file:{}", "{}", "file://{}"])
async def test_a_folder_by_url_or_bare_path(tmp_path: Path, form: str) -> None:
    folder = tmp_path / "store"
    storage = open_store(form.format(folder), create=True)
    assert isinstance(storage, FileCheckpointStorage)
    assert storage.storage_path == folder
    cp = make_checkpoint()
    await storage.save_checkpoint(cp)
    assert (folder / f"{cp.checkpoint_id}.json").is_file()


def test_memory() -> None:
    assert isinstance(open_store("memory:", create=True), InMemoryCheckpointStorage)


def test_read_only_opening_never_creates_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    with pytest.raises(StoreUrlError, match=f"^checkpoint folder {missing} does not exist$"):
        open_store(f"file:{missing}", create=False)
    assert not missing.exists()


def test_a_file_where_the_folder_should_be_is_one_clear_line(tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.write_text("not a folder")
    for create in (True, False):
        with pytest.raises(
            StoreUrlError, match=f"^checkpoint folder {stray} is a file, not a folder$"
        ):
            open_store(stray, create=create)


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(StoreUrlError) as caught:
        open_store("nosuch://host/db", create=False)
    assert str(caught.value) == (
        "unknown store 'nosuch://host/db': its scheme 'nosuch' is none of file, sqlite, "
        "postgresql, postgres, memory "
        "(write file:nosuch://host/db for a folder)"
    )


def test_the_serializer_is_handed_to_the_store(tmp_path: Path) -> None:
    serializer = JsonCheckpointSerializer()
    file_store = open_store(tmp_path, create=True, serializer=serializer)
    memory_store = open_store("memory:", create=True, serializer=serializer)
    assert isinstance(file_store, FileCheckpointStorage)
    assert isinstance(memory_store, InMemoryCheckpointStorage)
    assert file_store.serializer is serializer
    assert memory_store.serializer is serializer


opened: list[tuple[str, bool]] = []


def open_recording(location: str, *, create: bool, serializer: object) -> CheckpointStorage:
    """A third-party backend, found through its entry point."""
    opened.append((location, create))
    return InMemoryCheckpointStorage()


def test_a_third_party_scheme_is_found_by_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "wftui_recording_store-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: wftui-recording-store\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[wftui.stores]\nrecording = tests.checkpoint.test_stores:open_recording\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "recording" in store_schemes()
    storage = open_store("recording://somewhere/else", create=False)
    assert isinstance(storage, InMemoryCheckpointStorage)
    assert opened == [("//somewhere/else", False)]


@pytest.mark.parametrize("form", ["sqlite:{}", "sqlite://{}"])
async def test_a_sqlite_file_by_url(tmp_path: Path, form: str) -> None:
    path = tmp_path / "deep" / "runs.db"
    storage = open_store(form.format(path), create=True)
    assert isinstance(storage, SqliteCheckpointStorage)
    cp = make_checkpoint()
    await storage.save_checkpoint(cp)
    await storage.close()
    again = open_store(f"sqlite:{path}", create=False)
    assert await again.list_checkpoint_ids() == [cp.checkpoint_id]
    assert isinstance(again, SqliteCheckpointStorage)
    await again.close()


def test_read_only_opening_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "runs.db"
    with pytest.raises(StoreUrlError, match=f"^no SQLite store at {missing}$"):
        open_store(f"sqlite:{missing}", create=False)
    assert not missing.parent.exists()


async def test_a_read_only_sqlite_store_without_tables_is_reported_not_made(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    storage = open_store(f"sqlite:{empty}", create=False)
    with pytest.raises(CheckpointError, match="holds no wftui store"):
        await storage.list_checkpoint_ids()
    assert isinstance(storage, SqliteCheckpointStorage)
    await storage.close()
    assert empty.read_bytes() == b""


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgres_url_names_the_server_and_schema(scheme: str) -> None:
    storage = open_store(f"{scheme}://me:s3cret@db:5433/runs?schema=team", create=False)
    assert isinstance(storage, PostgresCheckpointStorage)
    assert (storage.schema, storage.create) == ("team", False)
    assert storage.display == "postgresql://me@db:5433/runs?schema=team"


def test_psycopg_is_imported_only_for_a_postgres_store(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from wftui.checkpoint import open_store\n"
        f"open_store('sqlite:' + {str(tmp_path / 'a.db')!r}, create=True)\n"
        f"open_store('file:' + {str(tmp_path / 'f')!r}, create=True)\n"
        "print('psycopg' in sys.modules)\n"
        "open_store('postgresql://u@h/db', create=False)\n"
        "print('psycopg' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["False", "True"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://me:s3cret@db:5433/runs?schema=t", "postgresql://me@db:5433/runs?schema=t"),
        ("postgres://db/runs?password=s3cret&schema=t", "postgres://db/runs?schema=t"),
        ("postgresql://me@db/runs", "postgresql://me@db/runs"),
        ("sqlite:runs.db", "sqlite:runs.db"),
        (".wftui/checkpoints", "file:.wftui/checkpoints"),
    ],
)
def test_a_displayed_url_never_shows_a_password(url: str, shown: str) -> None:
    assert display_url(url) == shown
