"""Checkpoints and resume: one per superstep, a tree of branches, failures, cancellation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.engine.support import (
    Append,
    Flaky,
    Gate,
    chain_workflow,
    collect,
    invoked,
    outputs,
    saved,
)
from wftui import (
    CheckpointError,
    CheckpointStatus,
    CheckpointStorage,
    Executor,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    FileCheckpointStorage,
    GraphMismatchError,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowContext,
    WorkflowFailedEvent,
    WorkflowRunError,
    WorkflowRunState,
    WorkflowStatusEvent,
    handler,
)


def abc(storage: CheckpointStorage) -> Workflow:
    return chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)


async def test_one_initial_checkpoint_then_one_per_superstep(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    events = await collect(abc(storage).run_stream("x"))
    assert [e.iteration for e in saved(events)] == [0, 1, 2, 3, 4]
    checkpoints = await storage.list_checkpoints()
    assert [cp.checkpoint_id for cp in checkpoints] == [e.checkpoint_id for e in saved(events)]
    initial = checkpoints[0]
    assert initial.iteration_count == 0
    assert initial.messages["__input__"][0]["data"] == "x"
    assert initial.next_executor_ids == ["a"]
    assert initial.parent_checkpoint_id is None
    assert [cp.status for cp in checkpoints] == [CheckpointStatus.IN_PROGRESS] * 4 + [
        CheckpointStatus.COMPLETED
    ]
    assert {cp.workflow_id for cp in checkpoints} == {initial.workflow_id}


async def test_resuming_an_older_checkpoint_starts_a_branch_of_the_same_run(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = await collect(abc(storage).run_stream("x"))
    c0, c1, c2, _, c4 = (e.checkpoint_id for e in saved(first))

    resumed = await collect(abc(storage).run_stream_from_checkpoint(c1))
    assert invoked(resumed) == ["b", "c", "out"]
    assert outputs(resumed) == outputs(first) == ["x>a>b>c"]
    # The first superstep after a resume is checkpointed too; no new initial checkpoint.
    assert [e.iteration for e in saved(resumed)] == [2, 3, 4]

    by_id = {cp.checkpoint_id: cp for cp in await storage.list_checkpoints()}
    assert len(by_id) == 8
    b2, b3, b4 = (by_id[e.checkpoint_id] for e in saved(resumed))
    assert [b2.parent_checkpoint_id, b3.parent_checkpoint_id, b4.parent_checkpoint_id] == [
        c1,
        b2.checkpoint_id,
        b3.checkpoint_id,
    ]
    assert by_id[c2].parent_checkpoint_id == c1  # the original branch
    assert by_id[c1].parent_checkpoint_id == c0
    assert {cp.workflow_id for cp in by_id.values()} == {by_id[c0].workflow_id}
    assert by_id[c4].checkpoint_id != b4.checkpoint_id


async def test_resume_restores_executor_state_so_counts_continue(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = await collect(abc(storage).run_stream("x"))
    c2 = saved(first)[2].checkpoint_id
    await collect(abc(FileCheckpointStorage(tmp_path)).run_stream_from_checkpoint(c2))
    latest = await FileCheckpointStorage(tmp_path).get_latest()
    assert latest is not None
    # a and b ran once (before c2); c ran once after the resume; nobody ran twice.
    assert latest.executor_states == {"a": {"calls": 1}, "b": {"calls": 1}, "c": {"calls": 1}}


async def test_every_checkpoint_of_a_run_resumes_to_the_same_output(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = await collect(abc(storage).run_stream("x"))
    for event in saved(first)[:-1]:
        resumed = await collect(abc(storage).run_stream_from_checkpoint(event.checkpoint_id))
        assert outputs(resumed) == ["x>a>b>c"], event
    final = await collect(abc(storage).run_stream_from_checkpoint(saved(first)[-1].checkpoint_id))
    assert invoked(final) == []
    assert final[-1] == WorkflowStatusEvent(state=WorkflowRunState.IDLE)


async def test_a_checkpoint_of_another_graph_is_refused_saying_what_differs(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = await collect(abc(storage).run_stream("x"))
    later = saved(first)[2].checkpoint_id  # not the run's first checkpoint
    other = chain_workflow([Append(id="a"), Append(id="b"), Append(id="d")], storage)
    with pytest.raises(GraphMismatchError) as raised:
        await collect(other.run_stream_from_checkpoint(later))
    message = str(raised.value)
    assert f"checkpoint {later[-8:]} was written" in message  # named by its tail
    # c gone and d new, alike in class and handlers and in the same place: a rename.
    assert message.endswith(": renamed c -> d")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_a_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowRunError, match="no checkpoint with id 'feedface'"):
        await collect(abc(FileCheckpointStorage(tmp_path)).run_stream_from_checkpoint("feedface"))


@pytest.mark.parametrize("bad_id", ["../../x", "../secret", "a/b", "..", "/etc/passwd", "a\\b"])
async def test_traversal_ids_are_refused_on_resume(tmp_path: Path, bad_id: str) -> None:
    store = tmp_path / "store"
    (tmp_path / "x.json").write_text("{}")
    (tmp_path / "secret.json").write_text("{}")
    with pytest.raises(CheckpointError):
        await collect(abc(FileCheckpointStorage(store)).run_stream_from_checkpoint(bad_id))
    assert (tmp_path / "x.json").read_text() == "{}"


async def test_a_failing_executor_reports_and_leaves_resumable_checkpoints(
    tmp_path: Path,
) -> None:
    def build(failing: bool) -> Workflow:
        return chain_workflow(
            [Append(id="a"), Flaky("flaky", failing=failing), Append(id="c")],
            FileCheckpointStorage(tmp_path),
        )

    workflow = build(failing=True)
    events = await collect(workflow.run_stream("x", raise_on_failure=False))
    (executor_failed,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    (workflow_failed,) = [e for e in events if isinstance(e, WorkflowFailedEvent)]
    for details in (executor_failed.details, workflow_failed.details):
        assert details is not None
        assert (details.error_type, details.message, details.executor_id) == (
            "RuntimeError",
            "boom on x>a",
            "flaky",
        )
        assert "RuntimeError: boom on x>a" in details.traceback
    assert executor_failed.executor_id == "flaky"
    assert events.index(executor_failed) < events.index(workflow_failed)
    assert events[-1] == WorkflowStatusEvent(state=WorkflowRunState.FAILED)
    assert workflow.status is WorkflowRunState.FAILED

    checkpoints = await FileCheckpointStorage(tmp_path).list_checkpoints()
    assert [cp.iteration_count for cp in checkpoints] == [0, 1, 1]
    good, failed = checkpoints[1], checkpoints[2]
    assert failed.status is CheckpointStatus.FAILED
    assert failed.error == {
        "error_type": "RuntimeError",
        "message": "boom on x>a",
        "executor_id": "flaky",
    }
    assert failed.parent_checkpoint_id == good.checkpoint_id
    assert saved(events)[-1].checkpoint_id == failed.checkpoint_id

    # The cause is fixed: both the last good and the failed checkpoint continue from flaky.
    for checkpoint in (good, failed):
        resumed = await collect(
            build(failing=False).run_stream_from_checkpoint(checkpoint.checkpoint_id)
        )
        assert invoked(resumed) == ["flaky", "c", "out"]
        assert outputs(resumed) == ["x>a>flaky>c"]

    # Still broken: the resumed run fails the same way and can be resumed again later.
    again = await collect(
        build(failing=True).run_stream_from_checkpoint(good.checkpoint_id, raise_on_failure=False)
    )
    assert again[-1] == WorkflowStatusEvent(state=WorkflowRunState.FAILED)


class CancelledInside(Executor):
    """Awaits something that someone else cancelled: its work never happens."""

    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.cancel()
        await future
        await ctx.send_message(text)


async def test_a_cancellation_inside_a_handler_is_a_failure_not_a_silent_success() -> None:
    storage = InMemoryCheckpointStorage()
    workflow = chain_workflow([Append(id="a"), CancelledInside(id="inner")], storage)
    events = await collect(workflow.run_stream("x", raise_on_failure=False))
    (failed,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    assert failed.executor_id == "inner"
    assert failed.details is not None
    assert failed.details.error_type == "CancelledError"
    assert events[-1] == WorkflowStatusEvent(state=WorkflowRunState.FAILED)
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.next_executor_ids == ["inner"]


async def test_cancelling_the_consuming_task_stops_the_run_and_keeps_it_resumable(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()  # never set: the gate executor would wait forever
    workflow = chain_workflow(
        [Append(id="a"), Append(id="b"), Gate("gate", gate), Append(id="d")],
        FileCheckpointStorage(tmp_path),
    )
    blocked = asyncio.Event()
    seen: list[str] = []

    async def consume() -> None:
        async for event in workflow.run_stream("x"):
            seen.append(str(event))
            if isinstance(event, ExecutorInvokedEvent) and event.executor_id == "gate":
                blocked.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(blocked.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert workflow.status is WorkflowRunState.CANCELLED
    assert "ExecutorCompletedEvent(executor_id=gate)" not in seen

    latest = await FileCheckpointStorage(tmp_path).get_latest()
    assert latest is not None
    assert latest.iteration_count == 2
    assert latest.next_executor_ids == ["gate"]
    fresh = chain_workflow(
        [Append(id="a"), Append(id="b"), Gate("gate"), Append(id="d")],
        FileCheckpointStorage(tmp_path),
    )
    resumed = await collect(fresh.run_stream_from_checkpoint(latest.checkpoint_id))
    assert invoked(resumed) == ["gate", "d", "out"]
    assert outputs(resumed) == ["x>a>b>gate>d"]


async def test_a_workflow_instance_runs_one_stream_at_a_time() -> None:
    gate = asyncio.Event()
    workflow = chain_workflow([Gate("gate", gate)])
    first = workflow.run_stream("one")
    assert isinstance(await first.__anext__(), object)
    with pytest.raises(WorkflowRunError, match="already running"):
        await workflow.run_stream("two").__anext__()
    gate.set()
    rest = await collect(first)
    assert outputs(rest) == ["one>gate"]


async def test_in_memory_storage_resumes_like_the_file_storage() -> None:
    storage = InMemoryCheckpointStorage()
    first = await collect(abc(storage).run_stream("x"))
    resumed = await collect(abc(storage).run_stream_from_checkpoint(saved(first)[1].checkpoint_id))
    assert invoked(resumed) == ["b", "c", "out"]
    assert outputs(resumed) == ["x>a>b>c"]


async def test_resume_storage_can_be_given_to_a_workflow_built_without_one(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    first = await collect(abc(storage).run_stream("x"))
    bare = chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")])
    resumed = await collect(
        bare.run_stream_from_checkpoint(saved(first)[2].checkpoint_id, checkpoint_storage=storage)
    )
    assert outputs(resumed) == ["x>a>b>c"]
    with pytest.raises(WorkflowRunError, match="no checkpoint storage"):
        await collect(bare.run_stream_from_checkpoint(saved(first)[2].checkpoint_id))
