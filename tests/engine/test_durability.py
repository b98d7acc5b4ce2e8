"""Durability modes of ``with_checkpointing(storage, durability=...)`` (issue 13).

"sync": each checkpoint is durable before the next superstep. "async": checkpoint k is written
while superstep k+1 runs; either way a ``CheckpointSavedEvent`` means the checkpoint can be read
back by another storage object, a failed save fails the run, and everything is saved before the
final status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipelines.approval import create_workflow
from tests.cli.support import saved_ids
from tests.engine.support import outputs, run_until_slow_then_kill, saved
from tests.engine.talker import talker_workflow
from wftui import (
    CheckpointSavedEvent,
    Executor,
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    RequestInfoEvent,
    SuperStepStartedEvent,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
    handler,
)
from wftui.checkpoint.file import commitlog
from wftui.checkpoint.file.worker import ENV_SWITCH
from wftui.checkpoint.references import REF, TAG

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("durability", ["sync", "async"])
async def test_every_announced_checkpoint_is_readable_when_announced(
    tmp_path: Path, durability: Any
) -> None:
    workflow = talker_workflow(FileCheckpointStorage(tmp_path), 8, durability)
    events = []
    async for event in workflow.run_stream(0):
        if isinstance(event, CheckpointSavedEvent):
            other = FileCheckpointStorage(tmp_path)  # as another process would read it
            assert await other.load_checkpoint(event.checkpoint_id) is not None
        events.append(event)
    assert outputs(events) == [8]
    assert [e.iteration for e in saved(events)] == list(range(9))
    final = events.index(WorkflowStatusEvent(state=WorkflowRunState.IDLE))
    assert final == len(events) - 1
    assert all(events.index(e) < final for e in saved(events))
    ids = await FileCheckpointStorage(tmp_path).list_checkpoint_ids()
    assert ids == [e.checkpoint_id for e in saved(events)]


def _referred(value: Any) -> set[str]:
    """The checkpoints a checkpoint document's values refer to."""
    if isinstance(value, list):
        return set().union(*map(_referred, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = {value["cp"]} if value.get(TAG) == REF else set()
    return found.union(*map(_referred, value.values())) if value else found


async def test_async_never_writes_a_checkpoint_before_the_ones_it_refers_to_are_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkpoint may refer to values of checkpoints still being saved; a power cut keeps an
    # unsynced file or not, so none may be written before those it refers to are synced.
    synced_before: list[set[str]] = []  # the checkpoint files there as each sync began
    real_sync = commitlog.os.fdatasync

    def sync(fd: int) -> None:
        synced_before.append({path.stem for path in tmp_path.glob("*.json")})
        real_sync(fd)

    monkeypatch.setattr(commitlog.os, "fdatasync", sync)
    monkeypatch.setenv(ENV_SWITCH, "0")  # the spy is in this process, not in the save worker
    workflow = talker_workflow(FileCheckpointStorage(tmp_path), 12, "async")
    events = [event async for event in workflow.run_stream(0)]
    assert outputs(events) == [12]
    checked = 0
    for path in tmp_path.glob("*.json"):
        first = next(i for i, there in enumerate(synced_before) if path.stem in there)
        for other in _referred(json.loads(path.read_bytes())) - {path.stem}:
            assert any(other in there for there in synced_before[:first]), (path.stem, other)
            checked += 1
    assert checked >= 12  # the conversation and the document refer back at every turn


async def test_async_writes_checkpoint_k_while_superstep_k_plus_1_runs(tmp_path: Path) -> None:
    workflow = talker_workflow(FileCheckpointStorage(tmp_path), 4, "async")
    events = [event async for event in workflow.run_stream(0)]
    for event in saved(events)[:-1]:
        started_next = events.index(SuperStepStartedEvent(iteration=event.iteration + 1))
        assert started_next < events.index(event)
    sync_events = [
        event
        async for event in talker_workflow(FileCheckpointStorage(tmp_path / "s"), 4).run_stream(0)
    ]
    for event in saved(sync_events)[:-1]:
        started_next = sync_events.index(SuperStepStartedEvent(iteration=event.iteration + 1))
        assert sync_events.index(event) < started_next


class RemovesTheFolder(Executor):
    """Moves the checkpoint folder away at turn ``at`` (atomically, whatever a save in flight
    is doing), so the next save cannot be written."""

    def __init__(self, id: str, folder: Path, at: int, turns: int) -> None:
        super().__init__(id=id)
        self.folder, self.at, self.turns = folder, at, turns

    @handler
    async def turn(self, n: int, ctx: WorkflowContext[int, int]) -> None:
        if n == self.at:
            self.folder.rename(self.folder.with_name("gone"))
        if n + 1 < self.turns:
            await ctx.send_message(n + 1)
        else:
            await ctx.yield_output(n)


@pytest.mark.parametrize("durability", ["sync", "async"])
@pytest.mark.parametrize("at", [1, 3])  # mid-run, and in the last superstep
async def test_a_failed_save_fails_the_run_loudly(tmp_path: Path, durability: Any, at: int) -> None:
    folder = tmp_path / "store"
    remover = RemovesTheFolder("remover", folder, at, turns=4)
    workflow = (
        WorkflowBuilder()
        .add_edge(remover, remover)
        .set_start_executor(remover)
        .with_checkpointing(FileCheckpointStorage(folder), durability=durability)
        .build()
    )
    events = [event async for event in workflow.run_stream(0, raise_on_failure=False)]
    failed = [e for e in events if isinstance(e, WorkflowFailedEvent)]
    assert failed and failed[0].details is not None
    assert failed[0].details.error_type == "CheckpointError"
    assert "cannot save checkpoint" in failed[0].details.message
    assert events[-1] == WorkflowStatusEvent(state=WorkflowRunState.FAILED)
    # Nothing saved after the folder went is announced.
    assert all(e.iteration <= at for e in saved(events))
    assert not any(e.iteration == at + 1 for e in saved(events))


def test_an_unknown_mode_is_refused_by_name(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    with pytest.raises(ValueError, match="durability must be 'sync' or 'async', not 'fast'"):
        WorkflowBuilder().with_checkpointing(storage, durability="fast")  # type: ignore[arg-type]


KILLED_PIPELINE = '''
"""A chain a,b,slow,d in async durability; each step adds 1 KB to a shared log (so later
checkpoints refer to earlier ones), and "slow" waits forever at its gate."""

import asyncio
from typing import Any

from wftui import Executor, WorkflowBuilder, WorkflowContext, handler


class Step(Executor):
    @handler
    async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
        log = await ctx.get_shared_state("log") if self.id != "a" else []
        await ctx.set_shared_state("log", [*log, self.id * 1000])
        if self.id == "slow":
            await asyncio.Event().wait()
        await ctx.send_message(f"{text}>{self.id}")


class Out(Executor):
    @handler
    async def out(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


def create_workflow(checkpoint_storage, chat_client=None):
    steps = [Step(id=name) for name in ("a", "b", "slow", "d")]
    builder = WorkflowBuilder(name="async_chain").add_chain([*steps, Out(id="out")])
    builder.set_start_executor(steps[0])
    return builder.with_checkpointing(checkpoint_storage, durability="async").build()
'''


async def test_sigkill_in_async_mode_keeps_every_announced_checkpoint(tmp_path: Path) -> None:
    pipeline = tmp_path / "async_pipeline.py"
    pipeline.write_text(KILLED_PIPELINE)
    store = tmp_path / "checkpoints"
    # Killed once "slow" runs and checkpoint 2 was announced: as it became durable during the
    # superstep of "slow", which never ends (no later save or the run's end announced it).
    lines, _ = await run_until_slow_then_kill(pipeline, store, checkpoints=3)
    announced = saved_ids("\n".join(lines), store)
    assert len(announced) == 3
    storage = FileCheckpointStorage(store)
    checkpoints = await storage.list_checkpoints()
    assert storage.problems == []
    assert [cp.checkpoint_id for cp in checkpoints] == announced
    for checkpoint in checkpoints:
        assert checkpoint.shared_state.get("log", []) == [
            name * 1000 for name in ("a", "b")[: checkpoint.iteration_count]
        ]


@pytest.mark.parametrize("kind", ["file", "memory"])  # one orders saves itself, one does not
async def test_an_async_run_asks_for_answers_only_once_every_checkpoint_is_durable(
    tmp_path: Path, kind: str
) -> None:
    storage = FileCheckpointStorage(tmp_path) if kind == "file" else InMemoryCheckpointStorage()
    workflow = create_workflow(storage, durability="async")
    events = [event async for event in workflow.run_stream("hello")]
    waiting = WorkflowStatusEvent(state=WorkflowRunState.IDLE_WITH_PENDING_REQUESTS)
    assert events.index(waiting) == len(events) - 1
    assert [e.iteration for e in saved(events)] == [0, 1, 2]
    latest = await storage.get_latest()
    assert latest is not None and latest.checkpoint_id == saved(events)[-1].checkpoint_id
    assert [e.parent_checkpoint_id for e in await storage.list_checkpoints()] == [
        None,
        *[e.checkpoint_id for e in saved(events)[:-1]],
    ]
    (request,) = [e for e in events if isinstance(e, RequestInfoEvent)]
    answered = [e async for e in workflow.send_responses_streaming({request.request_id: "ok"})]
    assert outputs(answered) == ["HELLO:ok"]
    assert answered[-1] == WorkflowStatusEvent(state=WorkflowRunState.IDLE)
