"""Checkpoint files are untrusted: what loads but is malformed is refused on resume naming the
field (a CheckpointDecodingError), never a raw KeyError/TypeError mid-run; storages keep it as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.approval import create_workflow as approval_workflow
from tests.engine.support import Append, chain_workflow, collect, outputs, saved
from wftui import (
    CheckpointStorage,
    Executor,
    ExecutorFailedEvent,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowDefinitionError,
    WorkflowFailedEvent,
    WorkflowRunError,
    WorkflowRunState,
    WorkflowStatusEvent,
    handler,
)
from wftui.checkpoint import CheckpointDecodingError
from wftui.checkpoint.model import new_checkpoint_id


def abc(storage: CheckpointStorage) -> Workflow:
    return chain_workflow([Append(id="a"), Append(id="b"), Append(id="c")], storage)


async def tampered(storage: CheckpointStorage, checkpoint_id: str, **changes: Any) -> str:
    """A copy of a saved checkpoint with ``changes``, saved through the storage under a new id."""
    original = await storage.load_checkpoint(checkpoint_id)
    assert original is not None
    copy = original.model_copy(update={"checkpoint_id": new_checkpoint_id(), **changes})
    return await storage.save_checkpoint(copy)


async def second_checkpoint(storage: CheckpointStorage) -> str:
    """The checkpoint after a's superstep: one message from a waits for b."""
    events = await collect(abc(storage).run_stream("x"))
    return saved(events)[1].checkpoint_id


MALFORMED = {
    "message without source_id": (
        {"messages": {"a": [{"data": "x>a", "target_id": None}]}},
        ["messages['a'][0].source_id", "Field required"],
    ),
    "unhashable source_id": (
        {"messages": {"a": [{"data": "x>a", "source_id": ["a"], "target_id": None}]}},
        ["messages['a'][0].source_id", "valid string"],
    ),
    "request without data": (
        {"pending_requests": {"k": {}}},
        ["pending_requests['k']", "Field required"],
    ),
    "request whose id is not its key": (
        {
            "pending_requests": {
                "k": {
                    "request_id": "j",
                    "source_executor_id": "a",
                    "request_executor_id": "b",
                    "data": "?",
                }
            }
        },
        ["pending_requests['k'].request_id", "differs from its key"],
    ),
    "completed write without source_id": (
        {"completed_writes": {"b": {"sent": [{"data": "x>a>b"}]}}},
        ["completed_writes['b'].sent[0].source_id", "Field required"],
    ),
    "completed write that is not a record": (
        {"completed_writes": {"b": {"outputs": 5}}},
        ["completed_writes['b'].outputs", "valid list"],
    ),
}


@pytest.mark.parametrize(("changes", "named"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_record_is_refused_on_resume_naming_the_field(
    tmp_path: Path, changes: dict[str, Any], named: list[str]
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    bad = await tampered(storage, await second_checkpoint(storage), **changes)

    # Storage does not judge records it does not interpret: the file lists and loads as saved.
    fresh = FileCheckpointStorage(tmp_path)
    assert bad in await fresh.list_checkpoint_ids()
    loaded = await fresh.load_checkpoint(bad)
    assert loaded is not None
    for section, value in changes.items():
        assert getattr(loaded, section) == value

    with pytest.raises(CheckpointDecodingError) as raised:
        await collect(abc(fresh).run_stream_from_checkpoint(bad))
    message = str(raised.value)
    assert f"checkpoint {bad}" in message
    for part in named:
        assert part in message


MALFORMED_GRAPHS = {
    "no executors": ({"start": "a", "edges": []}, "graph.executors"),
    "edge of one end": (
        {"start": "a", "executors": {"a": "Append"}, "edges": [["a"]]},
        "graph.edges[0]",
    ),
    "executor type not text": (
        {"start": "a", "executors": {"a": 1}, "edges": []},
        "graph.executors.a",
    ),
}


@pytest.mark.parametrize(("graph", "named"), MALFORMED_GRAPHS.values(), ids=MALFORMED_GRAPHS.keys())
async def test_a_malformed_graph_section_is_refused_when_a_mismatch_reads_it(
    tmp_path: Path, graph: dict[str, Any], named: str
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    base = await second_checkpoint(storage)
    bad = await tampered(storage, base, graph_signature="0" * 16, graph=graph)
    with pytest.raises(CheckpointDecodingError, match=named.replace("[", r"\[")):
        await collect(abc(storage).run_stream_from_checkpoint(bad))


async def test_a_well_formed_request_from_a_file_is_announced_and_answered(
    tmp_path: Path,
) -> None:
    # The validation passes what the engine itself wrote: the paused approval resumes.
    events = await collect(approval_workflow(FileCheckpointStorage(tmp_path)).run_stream("hi"))
    paused = saved(events)[-1].checkpoint_id
    fresh = approval_workflow(FileCheckpointStorage(tmp_path))
    latest = await FileCheckpointStorage(tmp_path).load_checkpoint(paused)
    assert latest is not None
    (request_id,) = latest.pending_requests
    resumed = await collect(fresh.run_stream_from_checkpoint(paused, responses={request_id: "ok"}))
    assert outputs(resumed) == ["HI:ok"]


# --- property: whatever a record holds, a resume runs or refuses cleanly ----------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
message_keys = st.sampled_from(["data", "source_id", "target_id"])
record = st.dictionaries(
    st.sampled_from(
        [
            "data",
            "source_id",
            "target_id",
            "request_id",
            "source_executor_id",
            "request_executor_id",
            "request_type",
            "sent",
            "state",
            "shared_state",
            "requests",
            "outputs",
        ]
    ),
    json_values,
)
sections = st.one_of(
    st.builds(
        lambda entries: {"messages": {"a": entries}},
        st.lists(st.dictionaries(message_keys, json_values), max_size=3),
    ),
    st.builds(
        lambda key, value: {"pending_requests": {key: value}},
        st.sampled_from(["k", "b"]),
        record,
    ),
    st.builds(
        lambda key, value: {"completed_writes": {key: value}},
        st.sampled_from(["a", "b", "c", "zz"]),
        record,
    ),
    st.builds(
        lambda graph: {"graph_signature": "0" * 16, "graph": graph},
        st.dictionaries(st.sampled_from(["start", "executors", "edges"]), json_values),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=sections)
async def test_any_record_content_resumes_or_is_refused_cleanly(changes: dict[str, Any]) -> None:
    storage = InMemoryCheckpointStorage()
    bad = await tampered(storage, await second_checkpoint(storage), **changes)
    try:
        events = await collect(abc(storage).run_stream_from_checkpoint(bad))
    except (CheckpointDecodingError, WorkflowRunError):
        return  # refused with a message for the user (a graph mismatch is a WorkflowRunError)
    last = events[-1]
    assert isinstance(last, WorkflowStatusEvent)
    assert last.state in (WorkflowRunState.IDLE, WorkflowRunState.FAILED)


# --- values that cannot be saved, and the reserved input id ---------------------------------


class UndeclaredInt(int):
    """An int to the type check, but a class no handler declares: the codec refuses it."""


class SendsAnUndeclaredNumber(Executor):
    @handler
    async def send(self, text: str, ctx: WorkflowContext[int]) -> None:
        await ctx.send_message(UndeclaredInt(3))


class TakesNumbers(Executor):
    @handler
    async def take(self, value: int, ctx: WorkflowContext[Any]) -> None:
        pass


async def test_a_message_that_cannot_be_encoded_fails_its_sender_not_the_caller() -> None:
    storage = InMemoryCheckpointStorage()
    sender = SendsAnUndeclaredNumber(id="sender")
    workflow = (
        WorkflowBuilder()
        .add_edge(sender, TakesNumbers(id="sink"))
        .set_start_executor(sender)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )
    events = await collect(workflow.run_stream("x", raise_on_failure=False))
    (failed,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    assert failed.executor_id == "sender"
    assert [e for e in events if isinstance(e, WorkflowFailedEvent)]
    assert workflow.status is WorkflowRunState.FAILED
    # The failed checkpoint is the input's state again: resumable, and loadable.
    checkpoints = await storage.list_checkpoints()
    assert [cp.iteration_count for cp in checkpoints] == [0, 0]
    assert checkpoints[-1].error is not None


def test_an_executor_with_the_reserved_input_id_is_refused_at_build() -> None:
    impostor, a = Append(id="__input__"), Append(id="a")
    with pytest.raises(WorkflowDefinitionError, match="__input__"):
        WorkflowBuilder().add_edge(a, impostor).set_start_executor(a)
    with pytest.raises(WorkflowDefinitionError, match="reserved"):
        WorkflowBuilder().set_start_executor(impostor)
