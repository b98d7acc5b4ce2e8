"""The journal and the checkpoints name an execution by the same id, so either leads to the other."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import saved_ids, wftui


def _execution_ids(folder: Path, checkpoint_ids: list[str]) -> set[str]:
    ids = set()
    for checkpoint_id in checkpoint_ids:
        document = json.loads((folder / f"{checkpoint_id}.json").read_text())
        ids.add(document["metadata"]["execution"]["id"])
    return ids


def test_a_run_and_its_resume_share_ids_between_journal_and_checkpoints(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    ran = wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    run_ids = saved_ids(ran.stdout, folder)
    resumed = wftui("resume", run_ids[2], "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    resume_ids = [cid for cid in saved_ids(resumed.stdout, folder) if cid not in run_ids]

    journals = {path.stem for path in (folder / "journal").glob("*.jsonl")}
    (run_execution,) = _execution_ids(folder, run_ids)
    (resume_execution,) = _execution_ids(folder, resume_ids)
    assert run_execution != resume_execution
    assert journals == {run_execution, resume_execution}
