"""The run's ledger: what executors report with ``ctx.record_usage`` adds up per executor per
superstep and for the run, survives a failure, and a resume counts what it did not redo as saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wftui import (
    Executor,
    FileCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    handler,
)
from wftui.checkpoint.fragments import EncodedFragments
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointStorage
from wftui.engine.ledger import RunLedger, add_counts


def tokens(count: int) -> dict[str, Any]:
    return {"calls": 1, "models": {"m": {"total_tokens": count}}}


class Spender(Executor):
    """Reports ``cost`` tokens each time it runs (an LLM call's usage) and passes text on."""

    def __init__(self, id: str, cost: int, runs: list[str]) -> None:
        super().__init__(id=id)
        self.cost = cost
        self.runs = runs
        self.broken = False

    @handler
    async def work(self, text: str, ctx: WorkflowContext[str]) -> None:
        self.runs.append(self.id)
        ctx.record_usage(tokens(self.cost))
        if self.broken:
            raise RuntimeError("model went away after answering")
        await ctx.send_message(f"{text}>{self.id}")


class Sink(Executor):
    @handler
    async def sink(self, parts: list[str], ctx: WorkflowContext[None, str]) -> None:
        await ctx.yield_output(" + ".join(sorted(parts)))


def build(storage: CheckpointStorage, runs: list[str], *, broken: bool) -> Workflow:
    start, cheap = Spender("start", 1, runs), Spender("cheap", 10, runs)
    dear = Spender("dear", 100, runs)
    dear.broken = broken
    return (
        WorkflowBuilder()
        .set_start_executor(start)
        .add_fan_out_edges(start, [cheap, dear])
        .add_fan_in_edges([cheap, dear], Sink(id="sink"))
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


def model_tokens(counts: dict[str, Any]) -> int:
    return int(counts.get("models", {}).get("m", {}).get("total_tokens", 0))


async def newest(storage: FileCheckpointStorage) -> WorkflowCheckpoint:
    checkpoints = await storage.list_checkpoints()
    return max(checkpoints, key=lambda c: (c.iteration_count, c.timestamp))


async def test_spending_adds_up_per_executor_per_superstep_and_for_the_run(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []

    await build(storage, runs, broken=False).run("go")

    by_step = {c.iteration_count: c.metadata["ledger"] for c in await storage.list_checkpoints()}
    assert by_step[0]["totals"] == {} and by_step[0]["supersteps"] == {}
    assert set(by_step[1]["supersteps"]["1"]) == {"start"}
    second = by_step[2]["supersteps"]["2"]
    assert {eid: model_tokens(c) for eid, c in second.items()} == {"cheap": 10, "dear": 100}
    assert second["cheap"]["runs"] == 1  # and its time in ms, when it took 1 ms or more
    final = by_step[3]
    assert model_tokens(final["totals"]) == 111 and final["totals"]["calls"] == 3
    assert final["totals"]["runs"] == 4  # the sink ran too, without spending tokens
    assert {eid: model_tokens(c) for eid, c in final["executors"].items()} == {
        "start": 1,
        "cheap": 10,
        "dear": 100,
        "sink": 0,
    }
    assert final["saved"] == {}


async def test_failure_keeps_what_was_spent_and_a_resume_saves_the_replayed_sibling(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    events = await build(storage, runs, broken=True).run("go", raise_on_failure=False)
    assert any(isinstance(e, WorkflowFailedEvent) for e in events)
    failed = await newest(storage)
    assert failed.error is not None
    # The broken executor's call was paid for before it raised: it counts.
    assert model_tokens(failed.metadata["ledger"]["totals"]) == 111

    runs.clear()
    await build(storage, runs, broken=False).run_from_checkpoint(failed.checkpoint_id)

    assert sorted(runs) == ["dear"]  # cheap was replayed, start was never rerun
    ledger = (await newest(storage)).metadata["ledger"]
    # Spent: the first attempt (111) and dear's second call (100).
    assert model_tokens(ledger["totals"]) == 211
    # Saved: start and the replayed cheap; not dear, which ran again.
    assert model_tokens(ledger["saved"]) == 11
    assert ledger["saved"]["calls"] == 2


async def test_resuming_a_finished_step_saves_everything_before_it(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    await build(storage, runs, broken=False).run("go")
    after_fan_out = next(c for c in await storage.list_checkpoints() if c.iteration_count == 2)

    runs.clear()
    await build(storage, runs, broken=False).run_from_checkpoint(after_fan_out.checkpoint_id)

    assert runs == []  # only the sink was left, and it reports no tokens
    resumed = await newest(storage)
    assert resumed.parent_checkpoint_id == after_fan_out.checkpoint_id
    assert model_tokens(resumed.metadata["ledger"]["saved"]) == 111
    assert model_tokens(resumed.metadata["ledger"]["totals"]) == 111


def test_counts_add_and_subtract_exactly_and_zeros_drop_out() -> None:
    counts: dict[str, Any] = {}
    add_counts(counts, tokens(5))
    add_counts(counts, tokens(7))
    assert counts == {"calls": 2, "models": {"m": {"total_tokens": 12}}}
    add_counts(counts, {"calls": 2, "models": {"m": {"total_tokens": 12}}}, sign=-1)
    assert counts == {}


@pytest.mark.parametrize(
    ("counts", "wrong"),
    [
        ({"calls": 1.5}, "usage.calls must be a whole number"),
        ({"models": {"m": {"total_tokens": "9"}}}, "usage.models.m.total_tokens"),
        ({"calls": True}, "usage.calls must be a whole number"),
    ],
)
def test_counts_that_are_not_whole_numbers_are_refused_naming_where(
    counts: dict[str, Any], wrong: str
) -> None:
    from wftui.engine.context import WorkflowContext as Context
    from wftui.engine.state import RunState

    state = RunState(workflow_id="w")
    ctx: Context[Any, Any] = Context(
        "spender",
        scope=None,  # type: ignore[arg-type]
        committed_shared_state={},
        committed_state=None,
        source_id="x",
        ledger=state.ledger,
    )
    with pytest.raises(TypeError, match=wrong):
        ctx.record_usage(counts)
    assert state.ledger.totals == {}


def test_a_malformed_ledger_in_a_checkpoint_is_a_decoding_error_naming_it() -> None:
    with pytest.raises(CheckpointDecodingError, match=r"metadata\.ledger\.totals\.calls"):
        RunLedger.stored({"totals": {"calls": "many"}}, iteration=1, where="metadata.ledger")


class KeepsWhatItIsGiven(InMemoryCheckpointStorage):
    """A storage that also keeps the checkpoint objects it was handed (as a third-party
    storage may), to see they do not change once saved."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[WorkflowCheckpoint] = []

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        self.given.append(checkpoint)
        return await super().save_checkpoint(checkpoint, encoded=encoded)


async def test_a_saved_checkpoint_keeps_the_ledger_as_it_was_then() -> None:
    storage = KeepsWhatItIsGiven()
    await build(storage, [], broken=False).run("go")
    first = next(c for c in storage.given if c.iteration_count == 1)
    ledger = first.metadata["ledger"]
    assert model_tokens(ledger["totals"]) == 1 and set(ledger["executors"]) == {"start"}
    last = storage.given[-1].metadata["ledger"]
    assert model_tokens(last["totals"]) == 111


class Enormous(Executor):
    """Reports a count past 64 bits, which JSON holds only as a tagged value."""

    @handler
    async def work(self, text: str, ctx: WorkflowContext[None, str]) -> None:
        ctx.record_usage({"calls": 2**70})
        await ctx.yield_output(text)


async def test_counts_past_64_bits_are_saved_and_read_back_exactly(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    workflow = (
        WorkflowBuilder()
        .set_start_executor(Enormous(id="big"))
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )
    await workflow.run("go")
    latest = await FileCheckpointStorage(tmp_path).get_latest()
    assert latest is not None
    assert latest.metadata["ledger"]["totals"]["calls"] == 2**70


async def test_a_fork_saves_nothing_and_its_resume_counts_what_it_avoided_once(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    await build(storage, runs, broken=False).run("go")
    after_fan_out = next(c for c in await storage.list_checkpoints() if c.iteration_count == 2)
    workflow = build(storage, runs, broken=False)

    fork_id = await workflow.fork(after_fan_out.checkpoint_id, note="same state, new branch")

    fork = await storage.load_checkpoint(fork_id)
    assert fork is not None
    # The fork ran nothing: it holds the original's ledger, saved nothing new.
    assert fork.metadata["ledger"] == after_fan_out.metadata["ledger"]
    await workflow.run_from_checkpoint(fork_id)
    resumed = await newest(storage)
    assert resumed.parent_checkpoint_id == fork_id
    assert model_tokens(resumed.metadata["ledger"]["saved"]) == 111  # not 222
    assert model_tokens(resumed.metadata["ledger"]["totals"]) == 111


async def test_resuming_a_fork_of_a_failed_checkpoint_saves_only_the_replayed_sibling(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    await build(storage, runs, broken=True).run("go", raise_on_failure=False)
    failed = await newest(storage)
    workflow = build(storage, runs, broken=False)
    fork_id = await workflow.fork(failed.checkpoint_id)

    runs.clear()
    await workflow.run_from_checkpoint(fork_id)

    assert sorted(runs) == ["dear"]
    ledger = (await newest(storage)).metadata["ledger"]
    assert model_tokens(ledger["totals"]) == 211
    # start and the replayed cheap; dear's first call was spent in vain, not saved.
    assert model_tokens(ledger["saved"]) == 11


async def test_stepping_through_a_run_counts_each_spend_once(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    workflow = build(storage, runs, broken=False)
    await workflow.run("go")
    at = next(c.checkpoint_id for c in await storage.list_checkpoints() if c.iteration_count == 0)

    for _ in range(3):  # s, s, s in the app: one superstep at a time to the end
        before = set(await storage.list_checkpoint_ids())
        await workflow.run_from_checkpoint(at, max_supersteps=1)
        (at,) = set(await storage.list_checkpoint_ids()) - before

    last = await storage.load_checkpoint(at)
    assert last is not None and last.iteration_count == 3
    ledger = last.metadata["ledger"]
    assert model_tokens(ledger["totals"]) == 111
    # start's 1 was reused by the second step, and the fan-out's 110 by the third: 111, once
    # each (counting every step's whole past again gave 1 + 111).
    assert model_tokens(ledger["saved"]) == 111


async def test_a_rerun_then_its_resume_count_each_spend_once(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    runs: list[str] = []
    await build(storage, runs, broken=True).run("go", raise_on_failure=False)
    failed = await newest(storage)
    workflow = build(storage, runs, broken=False)

    runs.clear()
    await workflow.rerun(failed.checkpoint_id, "dear")
    child = await newest(storage)
    await workflow.run_from_checkpoint(child.checkpoint_id)

    assert runs == ["dear"]  # the rerun; its resume replayed it and ran only the sink
    ledger = (await newest(storage)).metadata["ledger"]
    assert model_tokens(ledger["totals"]) == 211
    # start and cheap (reused by the rerun) and dear's second call (replayed by the resume);
    # dear's failed first call was spent in vain.
    assert model_tokens(ledger["saved"]) == 111
