"""The loop example: a guesser-judge cycle bounded by max_iterations."""

from __future__ import annotations

from pathlib import Path

from pipelines import loop
from tests.pipelines.support import (
    collect,
    failures,
    invoked_by_superstep,
    listed_checkpoints,
    run_cli,
)
from wftui import CheckpointStatus, FileCheckpointStorage, SuperStepStartedEvent, WorkflowRunState

EXPECTED = "guessed 71 in 5 tries: 50, 75, 62, 68, 71"


async def test_the_default_secret_is_found_by_looping_until_the_judge_agrees(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)

    result = await collect(loop.create_workflow(storage).run_stream(loop.DEFAULT_INPUT))

    assert failures(result) == []
    assert result.get_outputs() == [EXPECTED]
    assert result.get_final_state() is WorkflowRunState.IDLE
    steps = invoked_by_superstep(result)
    assert steps == {1: ["host"]} | {
        step: ["guesser" if step % 2 == 0 else "judge"] for step in range(2, 12)
    }
    ids = await storage.list_checkpoint_ids()
    assert len(ids) == 12
    last = await storage.load_checkpoint(ids[-1])
    assert last is not None
    assert last.executor_states["guesser"] == {
        "low": 69,
        "high": 74,
        "guesses": [50, 75, 62, 68, 71],
    }


async def test_the_bound_is_the_worst_case_every_secret_fits_and_one_needs_all_of_it() -> None:
    assert loop.MAX_ITERATIONS == 15
    supersteps: dict[int, int] = {}
    for secret in range(loop.LOW, loop.HIGH + 1):
        result = await collect(loop.create_workflow(None).run_stream(str(secret)))
        assert failures(result) == [], secret
        assert result.get_outputs()[0].startswith(f"guessed {secret} in "), secret
        supersteps[secret] = max(
            e.iteration for e in result if isinstance(e, SuperStepStartedEvent)
        )

    assert max(supersteps.values()) == loop.MAX_ITERATIONS


async def test_a_too_small_bound_fails_naming_it_and_a_larger_one_resumes_the_game(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)

    cut_short = await collect(
        loop.create_workflow(storage, max_iterations=9).run_stream(loop.DEFAULT_INPUT)
    )

    [failure] = failures(cut_short)
    assert failure.details is not None
    assert failure.details.error_type == "MaxIterationsExceeded"
    assert "max_iterations=9" in failure.details.message
    assert cut_short.get_outputs() == []
    assert max(invoked_by_superstep(cut_short)) == 9
    newest = (await storage.list_summaries())[0]
    assert (newest.status, newest.iteration_count) == (CheckpointStatus.FAILED, 9)
    assert len(await storage.list_checkpoint_ids()) == 11

    same_bound = await collect(
        loop.create_workflow(storage, max_iterations=9).run_stream_from_checkpoint(
            newest.checkpoint_id
        )
    )
    assert [f.details.error_type for f in failures(same_bound) if f.details] == [
        "MaxIterationsExceeded"
    ]
    assert invoked_by_superstep(same_bound) == {}

    larger_bound = await collect(
        loop.create_workflow(storage).run_stream_from_checkpoint(newest.checkpoint_id)
    )
    assert failures(larger_bound) == []
    assert larger_bound.get_outputs() == [EXPECTED]
    assert invoked_by_superstep(larger_bound) == {10: ["guesser"], 11: ["judge"]}


async def test_a_secret_out_of_range_fails_in_the_host_saying_what_is_expected(
    tmp_path: Path,
) -> None:
    result = await collect(loop.create_workflow(FileCheckpointStorage(tmp_path)).run_stream("101"))

    [failure] = failures(result)
    assert failure.details is not None
    assert failure.details.one_line() == (
        "ValueError in host: the secret must be a whole number from 1 to 100, not '101'"
    )


def test_it_runs_headless(tmp_path: Path) -> None:
    done = run_cli("run", "pipelines/loop.py", checkpoint_dir=tmp_path)

    assert done.returncode == 0, done.stderr
    assert EXPECTED in done.stdout
    assert len(listed_checkpoints(tmp_path)) == 12
