"""Time travel through the public API: fork with typed edits, step, rerun one executor, and the
execution each checkpoint records; on file and in-memory storages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pipelines import approval, fan_out
from tests.engine.support import Append, chain_workflow, collect, invoked, outputs, saved
from wftui import (
    Executor,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowRunState,
    WorkflowStatusEvent,
    handler,
    register_type,
)
from wftui.checkpoint.diff import diff
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.execution import ExecutionInfo
from wftui.engine.fork import ForkError


@pytest.fixture(params=["file", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> CheckpointStorage:
    if request.param == "file":
        return FileCheckpointStorage(tmp_path / "checkpoints")
    return InMemoryCheckpointStorage()


@register_type
class Plan(BaseModel):
    title: str
    steps: int


class Planner(Executor):
    """Puts a Plan in shared state and passes the text on."""

    @handler
    async def plan(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.set_shared_state("plan", Plan(title=text, steps=2))
        await ctx.set_state({"seen": [text]})
        await ctx.send_message(text)


class Doer(Executor):
    """Outputs the plan as it stands when it runs."""

    @handler
    async def do(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        plan = await ctx.get_shared_state("plan")
        await ctx.yield_output(f"{plan.title} x{plan.steps} ({text})")


def planning(storage: CheckpointStorage) -> Any:
    planner = Planner(id="planner")
    return (
        WorkflowBuilder(name="planning")
        .add_chain([planner, Doer(id="doer")])
        .set_start_executor(planner)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def _after_planner(storage: CheckpointStorage) -> str:
    events = await collect(planning(storage).run_stream("ship"))
    return next(e.checkpoint_id for e in saved(events) if e.iteration == 1)


def final_state(events: list[Any]) -> WorkflowRunState:
    return [e for e in events if isinstance(e, WorkflowStatusEvent)][-1].state


# ----- fork -----


async def test_a_fork_edits_a_field_and_leaves_the_original_untouched(
    storage: CheckpointStorage,
) -> None:
    original_id = await _after_planner(storage)
    before = await storage.load_document(original_id)
    workflow = planning(storage)

    fork_id = await workflow.fork(
        original_id, edits={"shared_state.plan.steps": 5}, note="more steps"
    )

    assert await storage.load_document(original_id) == before
    fork = await storage.load_checkpoint(fork_id)
    assert fork is not None
    assert fork.parent_checkpoint_id == original_id
    assert fork.shared_state["plan"] == Plan(title="ship", steps=5)
    assert fork.metadata["forked_from"] == original_id
    assert fork.metadata["note"] == "more steps"
    assert fork.metadata["edited"] == ["shared_state.plan.steps"]
    assert fork.metadata["execution"]["kind"] == "fork"
    resumed = await collect(planning(storage).run_stream_from_checkpoint(fork_id))
    assert outputs(resumed) == ["ship x5 (ship)"]


async def test_a_pydantic_value_with_a_bad_field_is_refused_with_its_path(
    storage: CheckpointStorage,
) -> None:
    original_id = await _after_planner(storage)
    count = len(await storage.list_checkpoint_ids())
    workflow = planning(storage)

    with pytest.raises(ForkError, match=r"^shared_state\.plan\.steps: Input should be a valid"):
        await workflow.fork(original_id, edits={"shared_state.plan.steps": "many"})
    with pytest.raises(ForkError, match=r"^shared_state\.plan\.steps: Input should be a valid"):
        await workflow.fork(original_id, shared_state={"plan": {"title": "x", "steps": "many"}})
    with pytest.raises(ForkError, match=r"^shared_state\.plan\.cost: no such field"):
        await workflow.fork(original_id, edits={"shared_state.plan.cost": 1})
    assert len(await storage.list_checkpoint_ids()) == count  # nothing written


async def test_a_whole_model_given_as_json_is_validated_into_its_type(
    storage: CheckpointStorage,
) -> None:
    original_id = await _after_planner(storage)
    fork_id = await planning(storage).fork(
        original_id, shared_state={"plan": {"title": "land", "steps": 1}}
    )
    fork = await storage.load_checkpoint(fork_id)
    assert fork is not None
    assert fork.shared_state["plan"] == Plan(title="land", steps=1)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"executor_states": {"planner": ["a list"]}}, r"executor_states\.planner: .*dict"),
        ({"edits": {"executor_states.planner.seen": "text"}}, r"seen: expected list, got str"),
        ({"edits": {"messages.planner[0].data": 42}}, r"planner\[0\]\.data: expected str, got"),
        (
            {"messages": {"planner": [{"data": 42}]}},
            r"\[0\]\.data: no executor after planner has a handler for int",
        ),
        ({"edits": {"shared_state.blob": object()}}, r"shared_state\.blob"),
        ({"edits": {"fan_in_buffers.x": 1}}, r"a fork edits values under shared_state"),
        ({"edits": {"shared_state.plan[": 1}}, r"invalid path"),
    ],
)
async def test_invalid_edits_raise_one_error_naming_the_path(
    storage: CheckpointStorage, changes: dict[str, Any], error: str
) -> None:
    original_id = await _after_planner(storage)
    count = len(await storage.list_checkpoint_ids())
    with pytest.raises(ForkError, match=error):
        await planning(storage).fork(original_id, **changes)
    assert len(await storage.list_checkpoint_ids()) == count


async def test_messages_replace_a_sources_pending_list(storage: CheckpointStorage) -> None:
    original_id = await _after_planner(storage)
    fork_id = await planning(storage).fork(
        original_id, messages={"planner": [{"data": "a"}, {"data": "b", "target_id": "doer"}]}
    )
    resumed = await collect(planning(storage).run_stream_from_checkpoint(fork_id))
    assert outputs(resumed) == ["ship x2 (a)", "ship x2 (b)"]


async def test_a_fork_of_a_human_request_with_an_edited_request(
    storage: CheckpointStorage,
) -> None:
    events = await collect(approval.create_workflow(storage).run_stream("hello"))
    waiting = saved(events)[-1].checkpoint_id
    checkpoint = await storage.load_checkpoint(waiting)
    assert checkpoint is not None
    (request_id,) = checkpoint.pending_requests

    fork_id = await approval.create_workflow(storage).fork(
        waiting, edits={f"pending_requests.{request_id}.data.draft": "HOWDY"}
    )

    answered = await collect(
        approval.create_workflow(storage).run_stream_from_checkpoint(
            fork_id, responses={request_id: "ok"}
        )
    )
    assert outputs(answered) == ["HOWDY:ok"]
    with pytest.raises(ForkError, match=rf"pending_requests\.{request_id}\.data\.draft: expected"):
        await approval.create_workflow(storage).fork(
            waiting, edits={f"pending_requests.{request_id}.data.draft": 7}
        )


# ----- step -----


async def test_stepping_to_the_end_gives_what_a_plain_resume_gives(
    storage: CheckpointStorage,
) -> None:
    workflow = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)
    first = saved(await collect(workflow.run_stream("x")))[0].checkpoint_id
    plain = await collect(workflow.run_stream_from_checkpoint(first))

    at, stepped_outputs, states = first, [], []
    for _ in range(10):
        events = await collect(workflow.run_stream_from_checkpoint(at, max_supersteps=1))
        assert len(saved(events)) <= 1
        stepped_outputs += outputs(events)
        states.append(final_state(events))
        if not saved(events):
            break
        at = saved(events)[-1].checkpoint_id
    assert stepped_outputs == outputs(plain) == ["x>a>b>c"]
    assert states[:3] == [WorkflowRunState.PAUSED] * 3
    assert states[-1] is WorkflowRunState.IDLE
    last = await storage.load_checkpoint(at)
    assert last is not None
    assert last.metadata["execution"]["kind"] == "step"


async def test_max_supersteps_n_saves_n_checkpoints_then_pauses(
    storage: CheckpointStorage,
) -> None:
    workflow = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)
    first = saved(await collect(workflow.run_stream("x")))[0].checkpoint_id
    events = await collect(workflow.run_stream_from_checkpoint(first, max_supersteps=2))
    assert invoked(events) == ["a", "b"]
    assert [e.iteration for e in saved(events)] == [1, 2]
    assert final_state(events) is WorkflowRunState.PAUSED
    assert workflow.status is WorkflowRunState.PAUSED
    with pytest.raises(ValueError, match="at least 1"):
        await collect(workflow.run_stream_from_checkpoint(first, max_supersteps=0))


# ----- rerun -----


async def test_a_rerun_child_differs_only_by_that_executors_work(
    storage: CheckpointStorage,
) -> None:
    events = await collect(fan_out.create_workflow(storage).run_stream("a quick brown fox"))
    split = next(e.checkpoint_id for e in saved(events) if e.iteration == 2)
    parent = await storage.load_checkpoint(split)
    assert parent is not None
    assert sorted(parent.next_executor_ids) == ["longest_word", "vowel_ratio", "word_count"]

    rerun = await fan_out.create_workflow(storage).rerun(
        split, "word_count", include_status_events=True
    )

    assert invoked(rerun) == ["word_count"]
    assert rerun.get_final_state() is WorkflowRunState.PAUSED
    (child_id,) = [e.checkpoint_id for e in saved(rerun)]
    before, after = await _document(storage, split), await _document(storage, child_id)
    changes = diff(before, after).changes
    assert {change.section for change in changes} == {"completed_writes"}
    assert {change.path.split(".")[1] for change in changes} == {"word_count"}

    resumed = await collect(fan_out.create_workflow(storage).run_stream_from_checkpoint(child_id))
    plain = await collect(fan_out.create_workflow(storage).run_stream_from_checkpoint(split))
    assert outputs(resumed) == outputs(plain)
    assert "word_count" not in invoked(resumed)
    assert "word_count" in invoked(plain)


async def _document(storage: CheckpointStorage, checkpoint_id: str) -> Any:
    import orjson

    data = await storage.load_document(checkpoint_id)
    assert data is not None
    return orjson.loads(data)


# ----- execution metadata -----


async def test_every_checkpoint_records_the_execution_that_wrote_it(
    storage: CheckpointStorage,
) -> None:
    workflow = chain_workflow([Append(id="a"), Append(id="b")], storage)
    ran = saved(await collect(workflow.run_stream("x")))
    execution = ExecutionInfo(pipeline="pipelines/mine.py")
    resumed = saved(
        await collect(
            workflow.run_stream_from_checkpoint(ran[0].checkpoint_id, execution=execution)
        )
    )

    kinds = []
    for event in [*ran, *resumed]:
        checkpoint = await storage.load_checkpoint(event.checkpoint_id)
        assert checkpoint is not None
        kinds.append(checkpoint.metadata["execution"])
    assert {k["kind"] for k in kinds[: len(ran)]} == {"run"}
    assert len({k["id"] for k in kinds[: len(ran)]}) == 1
    assert {k["kind"] for k in kinds[len(ran) :]} == {"resume"}
    assert {k["pipeline"] for k in kinds[len(ran) :]} == {"pipelines/mine.py"}
    assert {k["id"] for k in kinds[len(ran) :]} == {execution.id}
    assert all(set(k) == {"id", "kind", "pipeline", "host", "pid", "started"} for k in kinds)
