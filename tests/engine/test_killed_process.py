"""A process killed with SIGKILL mid-run leaves whole checkpoints that resume to the right output."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.engine.support import collect, invoked, outputs, run_until_slow_then_kill
from wftui import FileCheckpointStorage
from wftui.loader import load_pipeline

REPO = Path(__file__).resolve().parents[2]

# The chain with a step that waits at a file gate, as the CLI tests run it too.
PIPELINE = (REPO / "tests" / "slow_chain.py").read_text()


async def test_sigkill_mid_superstep_then_resume_from_the_latest_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = tmp_path / "killme_pipeline.py"
    pipeline.write_text(PIPELINE)
    # Four steps, set here so the killed subprocess and the resume in this process agree.
    monkeypatch.setenv("CHAIN_STEPS", "a,b,slow,d")
    store = tmp_path / "checkpoints"
    # Killed once the three checkpoints before 'slow' are announced: in the default (async)
    # durability they are announced while 'slow' runs, and only announced ones are promised.
    lines, returncode = await run_until_slow_then_kill(
        pipeline, store, {"GATE": str(tmp_path / "never-created")}, checkpoints=3
    )
    assert returncode == -signal.SIGKILL
    announced = [line.split()[2] for line in lines if line.split()[1:2] == ["checkpoint"]]
    assert len(announced) == 3

    storage = FileCheckpointStorage(store)
    checkpoints = await storage.list_checkpoints()
    assert storage.problems == []
    assert [cp.iteration_count for cp in checkpoints] == [0, 1, 2]
    for short, checkpoint in zip(announced, checkpoints, strict=True):
        assert checkpoint.checkpoint_id.endswith(short)
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == checkpoints[-1].checkpoint_id
    assert latest.next_executor_ids == ["slow"]

    workflow = load_pipeline(str(pipeline)).create_workflow(FileCheckpointStorage(store))
    resumed = await collect(workflow.run_stream_from_checkpoint(latest.checkpoint_id))
    assert invoked(resumed) == ["slow", "d", "out"]
    assert outputs(resumed) == ["x>a>b>slow>d"]
    done = await storage.get_latest()
    assert done is not None
    assert done.executor_states == {name: {"calls": 1} for name in ("a", "b", "slow", "d")}
    assert done.shared_state == {"a": "x", "b": "x>a", "slow": "x>a>b", "d": "x>a>b>slow"}
