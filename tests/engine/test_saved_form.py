"""What a save builds without pydantic's help is what pydantic would have built, and what is made
once per process (ids, timestamps, a graph's description) stays as the format says."""

from __future__ import annotations

import datetime as dt
import random
import re

from tests.engine.support import Append, chain_workflow, collect, saved
from wftui import InMemoryCheckpointStorage
from wftui.checkpoint.model import (
    CheckpointStatus,
    CheckpointSummary,
    WorkflowCheckpoint,
    new_checkpoint_id,
    utc_timestamp,
)
from wftui.engine.edges import Router
from wftui.engine.snapshot import Snapshots
from wftui.engine.state import RunState


def snapshots_of_a_chain() -> Snapshots:
    workflow = chain_workflow([Append(id="a"), Append(id="b")])
    return Snapshots(
        name=workflow.name,
        max_iterations=workflow.max_iterations,
        graph=workflow.graph,
        router=Router(workflow.edge_groups, workflow.executors),
    )


def test_a_prepared_checkpoint_is_the_model_that_model_construct_makes() -> None:
    prepared = snapshots_of_a_chain().prepare(
        RunState(workflow_id="run"), InMemoryCheckpointStorage(), graph=True
    )
    checkpoint = prepared.checkpoint
    fields = dict(checkpoint.__dict__)
    expected = WorkflowCheckpoint.model_construct(**fields)
    assert list(checkpoint.__dict__) == list(WorkflowCheckpoint.model_fields)  # field order
    assert checkpoint == expected
    assert checkpoint.model_fields_set == expected.model_fields_set
    assert checkpoint.model_dump() == expected.model_dump()
    checkpoint.workflow_name = "renamed"  # its fields set are its own
    assert "workflow_name" in checkpoint.model_fields_set


async def test_the_first_checkpoint_holds_the_graph_description_of_every_build() -> None:
    storage = InMemoryCheckpointStorage()
    first = chain_workflow([Append(id="a"), Append(id="b")], storage)
    second = chain_workflow([Append(id="a"), Append(id="b")], storage)
    other = chain_workflow([Append(id="a"), Append(id="c")], storage)
    for workflow in (first, second, other):
        events = await collect(workflow.run_stream("x"))
        checkpoints = [await storage.load_checkpoint(e.checkpoint_id) for e in saved(events)]
        assert checkpoints[0] is not None
        assert checkpoints[0].graph == workflow.graph.describe()
        assert all(cp is not None and cp.graph is None for cp in checkpoints[1:])
    # made once for the same graph, built twice; another graph has its own
    assert first.graph.stored() is second.graph.stored()
    assert other.graph.stored()[0] == other.graph.describe() != first.graph.describe()


def test_checkpoint_ids_are_unique_and_sort_by_creation() -> None:
    ids = [new_checkpoint_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    moments = [checkpoint_id[:14] for checkpoint_id in ids]  # then randomness, within one
    assert sorted(moments) == moments
    assert all(re.fullmatch(r"[0-9a-f]{24}", checkpoint_id) for checkpoint_id in ids)


def test_timestamps_are_utc_with_microseconds_and_sort_as_text() -> None:
    before = dt.datetime.now(dt.UTC)
    stamps = [utc_timestamp() for _ in range(2000)]
    after = dt.datetime.now(dt.UTC)
    assert sorted(stamps) == stamps
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
        # the second's text is kept between calls: it must still be this second's
        moment = dt.datetime.fromisoformat(stamp)
        assert before - dt.timedelta(seconds=1) <= moment <= after + dt.timedelta(seconds=1)


def test_a_summary_is_the_validated_one_and_still_validates_odd_fields() -> None:
    checkpoint = WorkflowCheckpoint(
        workflow_id="run",
        messages={"a": [{"data": 1, "source_id": "a", "target_id": None}]},
        next_executor_ids=["b"],
        pending_requests={"r": {"request_id": "r"}},
        metadata={"execution": {"kind": "resume"}},
    )
    summary = checkpoint.summary(120)
    validated = CheckpointSummary.model_validate(dict(summary.__dict__))
    assert summary == validated
    assert summary.model_fields_set == validated.model_fields_set
    assert (summary.status, summary.pending_request_ids, summary.execution_kind) == (
        CheckpointStatus.AWAITING_HUMAN_INPUT,
        ["r"],
        "resume",
    )
    # built unvalidated (as the engine does), with a count pydantic coerces: coerced still
    odd = WorkflowCheckpoint.model_construct(iteration_count="3")
    assert odd.summary().iteration_count == 3


def test_checkpoint_ids_do_not_repeat_when_a_caller_seeds_random() -> None:
    random.seed(13)
    first = new_checkpoint_id()
    random.seed(13)
    again = new_checkpoint_id()
    assert first[14:] != again[14:]  # the random part is not the caller's sequence
