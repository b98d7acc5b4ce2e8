"""Human in the loop, with the API of issue 2 section 11 exactly: the shipped pipelines/approval.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pipelines.approval import ApprovalRequest, create_workflow
from tests.engine.support import collect, invoked, outputs, saved
from wftui import (
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    RequestInfoEvent,
    RequestInfoExecutor,
    WorkflowRunError,
    WorkflowRunState,
    WorkflowStatusEvent,
)


def final_state(events: Sequence[object]) -> WorkflowRunState:
    return [e for e in events if isinstance(e, WorkflowStatusEvent)][-1].state


async def test_a_request_pauses_the_run_and_an_answer_continues_the_same_instance() -> None:
    storage = InMemoryCheckpointStorage()
    wf = create_workflow(storage)
    events = await collect(wf.run_stream("hello"))
    (request,) = [e for e in events if isinstance(e, RequestInfoEvent)]
    assert request.source_executor_id == "drafter"
    assert request.request_type == "ApprovalRequest"
    assert request.data == ApprovalRequest(draft="HELLO", request_id=request.request_id)
    assert final_state(events) is WorkflowRunState.IDLE_WITH_PENDING_REQUESTS
    assert wf.status is WorkflowRunState.IDLE_WITH_PENDING_REQUESTS

    latest = await storage.get_latest()
    assert latest is not None
    assert latest.checkpoint_id == saved(events)[-1].checkpoint_id
    assert list(latest.pending_requests) == [request.request_id]
    summary = RequestInfoExecutor.checkpoint_summary(latest)
    assert summary.status == "awaiting human input"
    assert [p.request_id for p in summary.pending_requests] == [request.request_id]
    assert summary.pending_requests[0].data == request.data
    assert summary.checkpoint_id == latest.checkpoint_id
    assert summary.iteration_count == latest.iteration_count == 2
    assert summary.targets == []

    answered = await collect(wf.send_responses_streaming({request.request_id: "approved"}))
    assert outputs(answered) == ["HELLO:approved"]
    assert invoked(answered) == ["drafter"]
    assert final_state(answered) is WorkflowRunState.IDLE
    done = await storage.get_latest()
    assert done is not None
    assert done.pending_requests == {}
    assert RequestInfoExecutor.checkpoint_summary(done).status == "completed"

    with pytest.raises(WorkflowRunError, match="no pending requests"):
        await collect(wf.send_responses_streaming({request.request_id: "again"}))


async def test_send_responses_returns_a_result() -> None:
    wf = create_workflow(InMemoryCheckpointStorage())
    first = await wf.run("hi")
    (request,) = first.get_request_info_events()
    result = await wf.send_responses({request.request_id: "ok"})
    assert result.get_outputs() == ["HI:ok"]
    assert result.get_final_state() is WorkflowRunState.IDLE


async def test_an_answer_survives_a_restart_through_the_file_storage(tmp_path: Path) -> None:
    events = await collect(create_workflow(FileCheckpointStorage(tmp_path)).run_stream("hello"))
    (request,) = [e for e in events if isinstance(e, RequestInfoEvent)]
    paused = saved(events)[-1].checkpoint_id

    # "Restart": a new storage object and a freshly built workflow answer from the file alone.
    storage = FileCheckpointStorage(tmp_path)
    fresh = create_workflow(storage)
    resumed = await collect(
        fresh.run_stream_from_checkpoint(
            paused, checkpoint_storage=storage, responses={request.request_id: "yes"}
        )
    )
    assert outputs(resumed) == ["HELLO:yes"]
    assert invoked(resumed) == ["drafter"]
    assert final_state(resumed) is WorkflowRunState.IDLE
    latest = await storage.get_latest()
    assert latest is not None
    assert latest.parent_checkpoint_id == paused
    assert latest.pending_requests == {}


async def test_pending_requests_are_re_emitted_on_resume_and_can_be_answered_then(
    tmp_path: Path,
) -> None:
    events = await collect(create_workflow(FileCheckpointStorage(tmp_path)).run_stream("hello"))
    (request,) = [e for e in events if isinstance(e, RequestInfoEvent)]
    paused = saved(events)[-1].checkpoint_id

    fresh = create_workflow(FileCheckpointStorage(tmp_path))
    resumed = await collect(fresh.run_stream_from_checkpoint(paused))
    (again,) = [e for e in resumed if isinstance(e, RequestInfoEvent)]
    assert (again.request_id, again.source_executor_id, again.request_type) == (
        request.request_id,
        "drafter",
        "ApprovalRequest",
    )
    assert again.data == request.data
    assert invoked(resumed) == []
    assert final_state(resumed) is WorkflowRunState.IDLE_WITH_PENDING_REQUESTS

    answered = await collect(fresh.send_responses_streaming({request.request_id: "later"}))
    assert outputs(answered) == ["HELLO:later"]


async def test_answering_an_unknown_request_is_refused_naming_the_pending_ones(
    tmp_path: Path,
) -> None:
    events = await collect(create_workflow(FileCheckpointStorage(tmp_path)).run_stream("hello"))
    (request,) = [e for e in events if isinstance(e, RequestInfoEvent)]
    fresh = create_workflow(FileCheckpointStorage(tmp_path))
    with pytest.raises(WorkflowRunError, match=f"no pending request 'nope'.*{request.request_id}"):
        await collect(
            fresh.run_stream_from_checkpoint(
                saved(events)[-1].checkpoint_id, responses={"nope": "x"}
            )
        )
