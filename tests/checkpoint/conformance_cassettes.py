"""What every store promises about cassettes (its runs' recorded model answers), run on every
backend of ``conformance.BACKENDS`` (``test_conformance.py`` collects these too).

Record, list and look up; replace and delete by run; refuse ids that could escape; copies out
and back; a real run recorded, then replayed from another storage object, its cassette holding
what it replayed so the recording run can be pruned; appends from several processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from pipelines.text_processing import create_workflow, default_chat_client
from tests.checkpoint.conformance import Backend
from tests.checkpoint.conformance_journals import run_journal_writers
from tests.checkpoint.journal_writers import SHARED_RUN, recording, writer_run
from wftui import WorkflowOutputEvent
from wftui.agents.cassette import (
    CassetteChatClient,
    CassetteStore,
    RecordedAnswers,
    cassette_store_for,
    copy_cassettes,
    delete_cassettes,
    parse_cassette,
)
from wftui.checkpoint import CheckpointStorage, InvalidCheckpointIdError, open_store


def cassettes_of(storage: CheckpointStorage) -> CassetteStore:
    found = cassette_store_for(storage)
    assert found is not None, f"{type(storage).__name__} keeps no cassettes"
    return found


async def test_recordings_are_kept_per_run_in_order_and_found_by_request(
    storage: CheckpointStorage,
) -> None:
    cassettes = cassettes_of(storage)
    first, second, other = recording(0, 1), recording(0, 2), recording(1, 1)
    await cassettes.append("run-a", first)
    await cassettes.append("run-b", other)
    await cassettes.append("run-a", second)

    assert await cassettes.run_ids() == ["run-a", "run-b"]
    assert await cassettes.read("run-a") == first.to_line() + second.to_line()
    assert await cassettes.read("run-c") is None
    every = await cassettes.read_all()
    assert list(every) == ["run-a", "run-b"]
    assert every == {"run-a": await cassettes.read("run-a"), "run-b": other.to_line()}
    answers = RecordedAnswers(store=cassettes)
    await answers.load()
    assert [answers.find(r.key) for r in (first, second, other)] == [first, second, other]
    assert answers.find("never-asked") is None
    assert answers.holds("run-a", first.key) and not answers.holds("run-b", first.key)
    assert answers.models() == ["m"]


async def test_a_cassette_is_replaced_whole_and_deleted_by_run(storage: CheckpointStorage) -> None:
    cassettes = cassettes_of(storage)
    await cassettes.append("run-a", recording(0, 1))
    await cassettes.append("run-b", recording(0, 2))
    written = recording(0, 3).to_line() + b'{"torn": '  # bytes are kept as they are
    await cassettes.write("run-a", written)
    assert await cassettes.read("run-a") == written
    assert parse_cassette(written) == [recording(0, 3)]

    assert await cassettes.delete(["run-a", "run-a", "no-such-run"]) == 1
    assert await cassettes.run_ids() == ["run-b"]
    assert await delete_cassettes(storage, ["run-b"]) == 1
    assert await cassettes.run_ids() == []


CASSETTE_CALLS: dict[str, Callable[[CassetteStore, str], Awaitable[Any]]] = {
    "append": lambda cassettes, bad: cassettes.append(bad, recording(0, 1)),
    "read": lambda cassettes, bad: cassettes.read(bad),
    "write": lambda cassettes, bad: cassettes.write(bad, b"line\n"),
    "delete": lambda cassettes, bad: cassettes.delete(["fine", bad]),
}


@pytest.mark.parametrize("call", CASSETTE_CALLS)
@pytest.mark.parametrize("bad", ["../../x", "a/b", "", "..", "a b", "x.jsonl"])
async def test_run_ids_that_could_escape_are_refused(
    storage: CheckpointStorage, call: str, bad: str
) -> None:
    cassettes = cassettes_of(storage)
    await cassettes.append("fine", recording(0, 1))
    with pytest.raises(InvalidCheckpointIdError):
        await CASSETTE_CALLS[call](cassettes, bad)
    assert await cassettes.run_ids() == ["fine"]  # nothing written, nothing deleted


async def test_another_storage_object_sees_the_cassettes(shared_backend: Backend) -> None:
    await cassettes_of(shared_backend.open()).append("run-a", recording(0, 1))
    again = cassettes_of(shared_backend.open())
    assert await again.run_ids() == ["run-a"]
    assert await again.read("run-a") == recording(0, 1).to_line()


async def test_cassettes_copy_out_and_back_unchanged_and_idempotently(backend: Backend) -> None:
    storage, elsewhere = backend.open(), open_store("memory:", create=True)
    cassettes = cassettes_of(storage)
    for index in range(3):
        await cassettes.append(f"run-{index % 2}", recording(index, index))
    original = {run_id: await cassettes.read(run_id) for run_id in await cassettes.run_ids()}

    out = await copy_cassettes(storage, elsewhere, None)
    assert (out.what, out.copied, out.unchanged) == ("cassettes", 2, 0)
    assert (await copy_cassettes(storage, elsewhere, None)).unchanged == 2
    assert await delete_cassettes(storage, ["run-0", "run-1"]) == 2
    assert (await copy_cassettes(elsewhere, storage, "run-1")).copied == 1  # one run only
    assert await cassettes.run_ids() == ["run-1"]
    await copy_cassettes(elsewhere, storage, None)
    assert {
        run_id: await cassettes.read(run_id) for run_id in await cassettes.run_ids()
    } == original


async def outputs_of(workflow: Any, *args: Any, resume: bool = False) -> list[Any]:
    stream = workflow.run_stream_from_checkpoint(*args) if resume else workflow.run_stream(*args)
    return [event.data async for event in stream if isinstance(event, WorkflowOutputEvent)]


async def test_a_replayed_run_keeps_what_it_replayed_so_the_recording_run_can_go(
    backend: Backend,
) -> None:
    storage = backend.open()
    recorder = CassetteChatClient(
        "record", client=default_chat_client(), cassettes=cassettes_of(storage)
    )
    assert await outputs_of(create_workflow(storage, recorder), "hello world") == ["dlrow olleh"]
    [recorded_run] = await cassettes_of(storage).run_ids()

    other = backend.open()  # replay as another process would: no client, only the store
    replayer = CassetteChatClient("replay", client=None, cassettes=cassettes_of(other))
    assert await outputs_of(create_workflow(other, replayer), "hello world") == ["dlrow olleh"]
    runs = {summary.workflow_id for summary in await other.list_summaries()}
    [replayed_run] = runs - {recorded_run}
    cassettes = cassettes_of(other)
    assert sorted(await cassettes.run_ids()) == sorted([recorded_run, replayed_run])
    assert await cassettes.read(replayed_run) == await cassettes.read(recorded_run)

    # Prune the recording run's cassette: the kept run still replays, from its own.
    assert await delete_cassettes(other, [recorded_run]) == 1
    kept = await cassettes.read(replayed_run)
    first = min(
        (s for s in await other.list_summaries(replayed_run) if s.iteration_count > 0),
        key=lambda s: s.iteration_count,
    )
    again = CassetteChatClient("replay", client=None, cassettes=cassettes_of(backend.open()))
    resumed = await outputs_of(create_workflow(other, again), first.checkpoint_id, resume=True)
    assert resumed == ["dlrow olleh"]
    assert await cassettes.read(replayed_run) == kept  # held already: filed once, not again


async def test_cassette_appends_from_several_processes_are_all_kept(
    shared_backend: Backend,
) -> None:
    workers, count = 3, 8
    await run_journal_writers(shared_backend, workers, count)
    cassettes = cassettes_of(shared_backend.open())
    assert await cassettes.run_ids() == sorted([SHARED_RUN, *map(writer_run, range(workers))])
    shared = parse_cassette(await cassettes.read(SHARED_RUN) or b"")
    assert sorted(r.key for r in shared) == sorted(
        recording(w, i).key for w in range(workers) for i in range(count)
    )
    for worker in range(workers):
        mine = [r for r in shared if r.request["worker"] == worker]
        assert mine == [recording(worker, i) for i in range(count)]  # each writer's in order
        own = await cassettes.read(writer_run(worker))
        assert own == b"".join(recording(worker, i).to_line() for i in range(count))
