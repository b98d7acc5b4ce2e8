"""Stores named by URL: the built-in table, read-only opening, and third-party entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import (
    CheckpointStorage,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    JsonCheckpointSerializer,
    StoreUrlError,
    open_store,
    store_schemes,
)


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
    with pytest.raises(StoreUrlError, match=f"^no checkpoint folder at {missing}$"):
        open_store(f"file:{missing}", create=False)
    assert not missing.exists()


def test_a_file_where_the_folder_should_be_is_one_clear_line(tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.write_text("not a folder")
    for create in (True, False):
        with pytest.raises(StoreUrlError, match=f"^{stray} is a file, not a checkpoint folder$"):
            open_store(stray, create=create)


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(StoreUrlError) as caught:
        open_store("nosuch://host/db", create=False)
    assert str(caught.value) == (
        "unknown store 'nosuch://host/db': its scheme 'nosuch' is none of file, memory "
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
