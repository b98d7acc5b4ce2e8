"""``checkpoints show`` and ``delete`` on checkpoints that refer to others of their run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.cli.support import wftui
from tests.engine.support import collect, saved
from tests.engine.talker import BLOB, talker_workflow
from wftui import FileCheckpointStorage


def talk(folder: Path, turns: int) -> list[str]:
    events = asyncio.run(
        collect(talker_workflow(FileCheckpointStorage(folder), turns).run_stream(0))
    )
    return [event.checkpoint_id for event in saved(events)]


def test_show_prints_whole_values_of_a_checkpoint_that_refers_to_others(tmp_path: Path) -> None:
    ids = talk(tmp_path / "cps", 5)
    stored = json.loads((tmp_path / "cps" / f"{ids[-1]}.json").read_text())
    assert stored["shared_state"]["document"]["$t"] == "$ref"
    shown = wftui("checkpoints", "show", ids[-1], "--checkpoint-dir", "cps", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["shared_state"] == {"document": BLOB}
    assert len(document["executor_states"]["talker"]["messages"]) == 5
    assert document["status"] == "completed"


def test_deleting_a_referenced_checkpoint_is_refused_in_one_line(tmp_path: Path) -> None:
    ids = talk(tmp_path / "cps", 4)
    refused = wftui("checkpoints", "delete", ids[1], "--checkpoint-dir", "cps", cwd=tmp_path)
    assert refused.returncode != 0
    assert f"checkpoint {ids[1]} holds values that" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert (tmp_path / "cps" / f"{ids[1]}.json").exists()
    newest = wftui("checkpoints", "delete", ids[-1], "--checkpoint-dir", "cps", cwd=tmp_path)
    assert newest.returncode == 0, newest.stderr
    assert not (tmp_path / "cps" / f"{ids[-1]}.json").exists()
