"""Run results, failures and refusals as code written for agent-framework expects them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.engine.support import Append, Flaky, Gate, chain_workflow, collect, invoked, saved
from wftui import (
    CheckpointSavedEvent,
    CheckpointStatus,
    Executor,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    Message,
    RequestInfoExecutor,
    RequestInfoMessage,
    SuperStepStartedEvent,
    WorkflowBuilder,
    WorkflowCheckpoint,
    WorkflowContext,
    WorkflowFailedError,
    WorkflowFailedEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
    handler,
)


class Asker(Executor):
    """Asks a human once; yields the answer it gets back."""

    @handler
    async def start(self, text: str, ctx: WorkflowContext[RequestInfoMessage]) -> None:
        await ctx.send_message(RequestInfoMessage())

    @handler
    async def answered(self, answer: Any, ctx: WorkflowContext[Any, Any]) -> None:
        await ctx.yield_output(answer.data)


def one_way_asker() -> tuple[WorkflowBuilder, Asker]:
    """The asker reaches the request executor; no edge leads back."""
    asker = Asker(id="asker")
    builder = (
        WorkflowBuilder().add_edge(asker, RequestInfoExecutor(id="human")).set_start_executor(asker)
    )
    return builder, asker


async def test_run_returns_the_work_and_keeps_the_lifecycle_apart() -> None:
    storage = InMemoryCheckpointStorage()
    result = await chain_workflow([Append(id="a")], storage).run("x")
    kinds = [type(event).__name__ for event in result]
    assert kinds == [
        "ExecutorInvokedEvent", "ExecutorCompletedEvent",
        "ExecutorInvokedEvent", "WorkflowOutputEvent", "ExecutorCompletedEvent",
    ]  # fmt: skip
    assert [e.state for e in result.status_timeline()] == [
        WorkflowRunState.IN_PROGRESS,
        WorkflowRunState.IDLE,
    ]
    lifecycle = result.lifecycle_events()
    assert isinstance(lifecycle[0], WorkflowStartedEvent)
    assert len([e for e in lifecycle if isinstance(e, CheckpointSavedEvent)]) == 3
    assert result.get_final_state() is WorkflowRunState.IDLE


async def test_include_status_events_puts_the_lifecycle_back_inline() -> None:
    result = await chain_workflow([Append(id="a")]).run("x", include_status_events=True)
    assert isinstance(result[0], WorkflowStartedEvent)
    assert any(isinstance(e, SuperStepStartedEvent) for e in result)
    assert result[-1] == WorkflowStatusEvent(state=WorkflowRunState.IDLE)


async def test_a_failed_run_emits_its_failure_and_checkpoint_then_raises() -> None:
    storage = InMemoryCheckpointStorage()
    seen = []
    with pytest.raises(WorkflowFailedError, match="in flaky: RuntimeError: boom on x>a") as raised:
        async for event in chain_workflow(
            [Append(id="a"), Flaky("flaky", failing=True)], storage
        ).run_stream("x"):
            seen.append(event)
    assert isinstance(raised.value, RuntimeError)
    assert raised.value.details.executor_id == "flaky"
    assert any(isinstance(e, ExecutorFailedEvent) for e in seen)
    assert seen[-1] == WorkflowStatusEvent(state=WorkflowRunState.FAILED)
    latest = await storage.get_latest()
    assert latest is not None and latest.status is CheckpointStatus.FAILED
    assert latest.checkpoint_id == saved(seen)[-1].checkpoint_id


async def test_raise_on_failure_false_returns_the_failed_run_from_every_entry_point() -> None:
    storage = InMemoryCheckpointStorage()
    failing = chain_workflow([Append(id="a"), Flaky("flaky", failing=True)], storage)
    result = await failing.run("x", raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    assert [type(e) for e in result][-2:] == [ExecutorFailedEvent, WorkflowFailedEvent]
    good = saved(result.lifecycle_events())[1].checkpoint_id
    again = await failing.run_from_checkpoint(good, raise_on_failure=False)
    assert again.get_final_state() is WorkflowRunState.FAILED
    with pytest.raises(WorkflowFailedError):
        await failing.run_from_checkpoint(good)


async def test_a_run_past_max_iterations_raises_a_runtime_error() -> None:
    a, b = Append(id="a"), Append(id="b")
    workflow = WorkflowBuilder().add_edge(a, b).add_edge(b, a).set_start_executor(a)
    with pytest.raises(RuntimeError, match="max_iterations=3"):
        await workflow.set_max_iterations(3).build().run("x")


async def test_the_running_check_comes_before_any_other_refusal() -> None:
    gate = asyncio.Event()
    storage = InMemoryCheckpointStorage()
    workflow = chain_workflow([Gate("gate", gate)], storage)
    first = workflow.run_stream("x")
    async for event in first:
        if isinstance(event, WorkflowStatusEvent):
            break  # under way, held at the gate
    busy = "Workflow is already running. Concurrent executions are not allowed."
    with pytest.raises(RuntimeError, match=busy):
        await workflow.send_responses({"no-such-request": 1})  # nothing is pending either
    with pytest.raises(RuntimeError, match=busy):
        await workflow.run_from_checkpoint("no-such-checkpoint")
    with pytest.raises(RuntimeError, match=busy):
        await workflow.run("y")
    gate.set()
    rest = await collect(first)
    assert invoked(rest) == ["gate", "out"]


async def test_an_answer_reaches_the_asker_without_an_edge_back() -> None:
    builder, _ = one_way_asker()
    workflow = builder.build()
    first = await workflow.run("go")
    (request,) = first.get_request_info_events()
    answered = await workflow.send_responses({request.request_id: "yes"})
    assert answered.get_outputs() == ["yes"]
    assert answered.get_final_state() is WorkflowRunState.IDLE


async def test_the_timeline_says_requests_are_pending_while_the_run_goes_on() -> None:
    builder, _ = one_way_asker()
    result = await builder.build().run("go")
    assert [e.state for e in result.status_timeline()] == [
        WorkflowRunState.IN_PROGRESS,
        WorkflowRunState.IN_PROGRESS_PENDING_REQUESTS,
        WorkflowRunState.IDLE_WITH_PENDING_REQUESTS,
    ]


async def test_a_message_envelope_is_refused_saying_run_takes_the_payload() -> None:
    workflow = chain_workflow([Append(id="a")], InMemoryCheckpointStorage())
    with pytest.raises(ValueError, match=r"run\(\) takes the payload, not a Message envelope"):
        await workflow.run(Message("x", "me", None))
    assert (await workflow.run("x")).get_outputs() == ["x>a"]  # nothing was left running


async def test_resume_refusals_lead_with_agent_framework_words_and_keep_the_detail() -> None:
    storage = InMemoryCheckpointStorage()
    with pytest.raises(ValueError, match=r"^Cannot restore from checkpoint: no checkpoint storage"):
        await chain_workflow([Append(id="a")]).run_from_checkpoint("abc")
    with pytest.raises(
        RuntimeError, match=r"^Failed to restore from checkpoint: no checkpoint with id 'abc'"
    ):
        await chain_workflow([Append(id="a")], storage).run_from_checkpoint("abc")
    first = await chain_workflow([Append(id="a")], storage).run("x")
    other = chain_workflow([Append(id="b")], storage)
    # The detail: the one executor, of the same class, under another id.
    with pytest.raises(
        ValueError, match=r"^Workflow graph has changed: checkpoint .*: renamed a -> b$"
    ):
        await other.run_from_checkpoint(saved(first.lifecycle_events())[0].checkpoint_id)


async def test_a_hand_made_checkpoint_is_refused_for_having_no_graph_signature() -> None:
    storage = InMemoryCheckpointStorage()
    await storage.save_checkpoint(WorkflowCheckpoint(checkpoint_id="by-hand", workflow_id="w"))
    with pytest.raises(
        ValueError, match=r"by-hand has no graph signature .*not written by a wftui run"
    ):
        await chain_workflow([Append(id="a")], storage).run_from_checkpoint("by-hand")


async def _leave_at_invocation_of(stream: Any, executor_id: str) -> None:
    """Read ``stream`` until ``executor_id`` is invoked, then stop reading it (a ``break``)."""
    async for event in stream:
        if isinstance(event, ExecutorInvokedEvent) and event.executor_id == executor_id:
            return


async def test_a_stream_closed_early_has_settled_its_saves_and_frees_the_workflow(
    tmp_path: Path,
) -> None:
    # The default durability writes a checkpoint while the next superstep runs; leaving the
    # stream at c's superstep and closing it must still leave the workflow free for a new run
    # at once, with every checkpoint made before c ran saved.
    workflow = chain_workflow(
        [Append(id="a"), Append(id="b"), Append(id="c")], FileCheckpointStorage(tmp_path)
    )
    stream = workflow.run_stream("x")
    await _leave_at_invocation_of(stream, "c")
    await stream.aclose()
    again = await workflow.run("y")
    assert again.get_outputs() == ["y>a>b>c"]
    second_run = {event.checkpoint_id for event in saved(again.lifecycle_events())}
    listed = await FileCheckpointStorage(tmp_path).list_checkpoints()
    first_run = [cp.iteration_count for cp in listed if cp.checkpoint_id not in second_run]
    assert sorted(first_run) == [0, 1, 2]  # before a, after a, after b


async def test_in_sync_durability_a_stream_left_early_already_has_each_superstep_saved(
    tmp_path: Path,
) -> None:
    # With "sync" each checkpoint is saved before the next superstep starts, so a reader that
    # stops reading at c's invocation and lists at once finds the supersteps before it saved.
    a, b, c = Append(id="a"), Append(id="b"), Append(id="c")
    workflow = (
        WorkflowBuilder()
        .add_chain([a, b, c])
        .set_start_executor(a)
        .with_checkpointing(FileCheckpointStorage(tmp_path), durability="sync")
        .build()
    )
    stream = workflow.run_stream("x")
    await _leave_at_invocation_of(stream, "c")
    listed = await FileCheckpointStorage(tmp_path).list_checkpoints()
    assert sorted(cp.iteration_count for cp in listed) == [0, 1, 2]
    await stream.aclose()
