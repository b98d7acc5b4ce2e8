"""The fan-out example: a switch, three parallel analysers and a fan-in summary."""

from __future__ import annotations

from pathlib import Path

from pipelines import fan_out
from tests.pipelines.support import (
    collect,
    failures,
    invoked_by_superstep,
    listed_checkpoints,
    run_cli,
)
from wftui import FileCheckpointStorage, WorkflowRunState

EXPECTED = "11 words (9 distinct); 40% vowels; longest word 'analysers' (9 letters)"
ANALYSERS = ["word_count", "vowel_ratio", "longest_word"]


async def test_the_default_input_is_analysed_in_parallel_and_summarised_once(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    workflow = fan_out.create_workflow(storage)

    result = await collect(workflow.run_stream(fan_out.DEFAULT_INPUT))

    assert failures(result) == []
    assert result.get_outputs() == [EXPECTED]
    assert result.get_final_state() is WorkflowRunState.IDLE
    assert invoked_by_superstep(result) == {
        1: ["intake"],
        2: ["split_words"],
        3: ANALYSERS,
        4: ["summary"],
    }
    ids = await storage.list_checkpoint_ids()
    assert len(ids) == 5  # the input, then one per superstep
    last = await storage.load_checkpoint(ids[-1])
    assert last is not None
    assert last.executor_states["word_count"] == {"words": 11, "distinct": 9}
    assert last.executor_states["longest_word"] == {"word": "analysers", "length": 9}
    assert last.executor_states["summary"] == {
        "word_count": 11,
        "vowel_ratio": 0.395,
        "longest_word": "analysers",
    }


async def test_a_text_without_words_takes_the_default_branch(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    workflow = fan_out.create_workflow(storage)

    result = await collect(workflow.run_stream("  42 -- 7 \n"))

    assert result.get_outputs() == [fan_out.NO_WORDS_OUTPUT]
    assert invoked_by_superstep(result) == {1: ["intake"], 2: ["no_words"]}
    assert len(await storage.list_checkpoint_ids()) == 3


async def test_resuming_before_the_analysers_runs_only_them_and_the_summary(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    await collect(fan_out.create_workflow(storage).run_stream(fan_out.DEFAULT_INPUT))
    before_analysers = next(
        summary
        for summary in await storage.list_summaries()
        if summary.next_executor_ids == ANALYSERS
    )

    fresh = fan_out.create_workflow(storage)
    result = await collect(
        fresh.run_stream_from_checkpoint(before_analysers.checkpoint_id, checkpoint_storage=storage)
    )

    assert result.get_outputs() == [EXPECTED]
    assert invoked_by_superstep(result) == {3: ANALYSERS, 4: ["summary"]}


def test_it_runs_headless(tmp_path: Path) -> None:
    done = run_cli("run", "pipelines/fan_out.py", checkpoint_dir=tmp_path)

    assert done.returncode == 0, done.stderr
    assert EXPECTED in done.stdout
    assert len(listed_checkpoints(tmp_path)) == 5
