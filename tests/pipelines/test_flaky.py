"""The flaky example: the first attempt fails readably, a resume of the failed checkpoint
finishes the run without redoing finished work."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import flaky
from tests.pipelines.support import (
    collect,
    failures,
    invoked_by_superstep,
    listed_checkpoints,
    run_cli,
)
from wftui import (
    CheckpointSavedEvent,
    CheckpointStatus,
    ExecutorCompletedEvent,
    FileCheckpointStorage,
    WorkflowRunState,
)

EXPECTED = "A Flaky Service Answers On The Second Try (8 words)"
REFUSAL = "ServiceUnavailableError in ask_service: title service answered HTTP 503 for request "


@pytest.fixture(autouse=True)
def service_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The service's record of refused requests, private to each test."""
    folder = tmp_path / "service"
    monkeypatch.setenv(flaky.ATTEMPTS_DIR_VARIABLE, str(folder))
    return folder


async def test_the_first_attempt_fails_and_a_resume_of_the_failed_checkpoint_finishes(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path / "checkpoints")

    first = await collect(
        flaky.create_workflow(storage).run_stream(flaky.DEFAULT_INPUT, raise_on_failure=False)
    )

    [failure] = failures(first)
    assert failure.details is not None
    assert failure.details.executor_id == "ask_service"
    assert failure.details.one_line().startswith(REFUSAL)
    assert first.get_final_state() is WorkflowRunState.FAILED
    assert first.get_outputs() == []
    assert len(await storage.list_checkpoint_ids()) == 3
    failed_id = [e for e in first if isinstance(e, CheckpointSavedEvent)][-1].checkpoint_id
    [failed] = [s for s in await storage.list_summaries() if s.status is CheckpointStatus.FAILED]
    assert failed.checkpoint_id == failed_id

    reopened = FileCheckpointStorage(tmp_path / "checkpoints")
    retry = await collect(
        flaky.create_workflow(reopened).run_stream_from_checkpoint(
            failed_id, checkpoint_storage=reopened
        )
    )

    assert failures(retry) == []
    assert retry.get_outputs() == [EXPECTED]
    assert retry.get_final_state() is WorkflowRunState.IDLE
    # prepare is not run again, and count_words, which finished before the failure, is replayed.
    assert invoked_by_superstep(retry) == {2: ["ask_service"], 3: ["combine"]}
    assert ExecutorCompletedEvent(
        executor_id="count_words", data="replayed from checkpoint"
    ) in list(retry)
    assert len(await reopened.list_checkpoint_ids()) == 5


async def test_every_new_run_fails_once_even_with_the_same_input(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path / "checkpoints")

    for _ in range(2):
        result = await collect(flaky.create_workflow(storage).run_stream(flaky.DEFAULT_INPUT))
        assert [f.details.error_type for f in failures(result) if f.details] == [
            "ServiceUnavailableError"
        ]


def test_headless_the_run_exits_1_and_resuming_its_failed_checkpoint_exits_0(
    tmp_path: Path, service_memory: Path
) -> None:
    checkpoints = tmp_path / "checkpoints"
    env = {flaky.ATTEMPTS_DIR_VARIABLE: str(service_memory)}

    failed_run = run_cli("run", "pipelines/flaky.py", checkpoint_dir=checkpoints, env=env)

    assert failed_run.returncode == 1, failed_run.stderr
    assert REFUSAL in failed_run.stderr
    [failed_id] = [
        summary["checkpoint_id"]
        for summary in listed_checkpoints(checkpoints)
        if summary["status"] == "failed"
    ]

    resumed = run_cli(
        "resume", str(failed_id), "pipelines/flaky.py", checkpoint_dir=checkpoints, env=env
    )

    assert resumed.returncode == 0, resumed.stderr
    assert EXPECTED in resumed.stdout
    listed = listed_checkpoints(checkpoints)
    assert [summary["status"] for summary in listed][:3] == ["completed", "in progress", "failed"]
    assert len(listed) == 5
