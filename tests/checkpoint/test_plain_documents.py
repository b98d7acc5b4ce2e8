"""Documents without any type tag skip decoding (listings load thousands): never a wrong value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.checkpoint.support import make_checkpoint
from wftui.checkpoint import CheckpointDecodingError, FileCheckpointStorage
from wftui.checkpoint.document import checkpoint_from_json, checkpoint_to_json


async def test_a_plain_checkpoint_lists_and_loads_as_saved(tmp_path: Path) -> None:
    saved = make_checkpoint(
        executor_states={"a": {"count": 3, "seen": ["x", None, 2.5]}},
        shared_state={"text": "hello"},
    )
    storage = FileCheckpointStorage(tmp_path)
    await storage.save_checkpoint(saved)
    [listed] = await FileCheckpointStorage(tmp_path).list_checkpoints()
    loaded = await FileCheckpointStorage(tmp_path).load_checkpoint(saved.checkpoint_id)
    assert listed == saved
    assert loaded == saved


def test_a_tag_written_with_an_escaped_key_is_still_decoded() -> None:
    """A hand-written file may spell the tag key ``"\\u0024t"``; it is a tag all the same."""
    moment = dt.datetime(2024, 5, 6, 7, 8, 9)
    data = checkpoint_to_json(make_checkpoint(shared_state={"when": moment}))
    escaped = data.replace(b'"$t"', b'"\\u0024t"')
    assert escaped != data
    assert checkpoint_from_json(escaped).shared_state == {"when": moment}


def test_a_tag_like_string_value_does_not_confuse_plain_detection() -> None:
    cp = make_checkpoint(shared_state={"note": "$t", "when": dt.date(2024, 1, 2)})
    assert checkpoint_from_json(checkpoint_to_json(cp)).shared_state == cp.shared_state


def test_a_deeply_nested_tagged_value_is_one_clear_error_not_a_crash() -> None:
    data = checkpoint_to_json(make_checkpoint(shared_state={"deep": "PLACEHOLDER"}))
    deep = b"[" * 900 + b'{"$t": "date", "v": "2024-01-02"}' + b"]" * 900
    hostile = data.replace(b'"PLACEHOLDER"', deep)
    with pytest.raises(CheckpointDecodingError, match=r"shared_state\.deep"):
        checkpoint_from_json(hostile)
