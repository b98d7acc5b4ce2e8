"""Cassettes in process: the real SDK clients record over HTTP to the loopback server, and
replay answers the same requests with the server gone and every socket refused."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from pipelines.text_processing import create_workflow
from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from tests.checkpoint.conformance import Backend, backend
from wftui import (
    AgentExecutor,
    AgentRunEvent,
    AgentRunUpdateEvent,
    ExecutorFailedEvent,
    WorkflowBuilder,
    WorkflowEvent,
    WorkflowOutputEvent,
)
from wftui.agents import ChatClient
from wftui.agents.cassette import (
    CassetteChatClient,
    CassetteMissError,
    FileCassetteStore,
    MemoryCassetteStore,
    RecordedAnswers,
    answer_was_replayed,
    cassette_store_for,
    copy_cassettes,
    delete_cassettes,
    request_key,
    request_payload,
)
from wftui.agents.types import ChatMessage, Role
from wftui.azure import AzureOpenAIChatClient
from wftui.checkpoint import FileCheckpointStorage
from wftui.checkpoint.copy import Copied
from wftui.checkpoint.file.osio import UnsafeFileError
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.openai import OpenAIChatClient

__all__ = ["backend"]  # the fixture: a fresh store of every kind (cassettes live in all)


def refuse_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """From now on every connection attempt fails and is counted: replay must need none."""
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def azure(server: FakeLLMServer) -> ChatClient:
    return AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=server.url, api_key=SECRET_KEY, max_retries=0
    )


def streaming_workflow(storage: Any, client: ChatClient) -> Any:
    agent = AgentExecutor(client.create_agent(name="writer"), id="writer", streaming=True)
    return (
        WorkflowBuilder(name="stream")
        .set_start_executor(agent)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def events_of(stream: Any) -> list[WorkflowEvent]:
    return [event async for event in stream]


def outputs(events: list[WorkflowEvent]) -> list[Any]:
    return [event.data for event in events if isinstance(event, WorkflowOutputEvent)]


async def test_a_recorded_run_replays_offline(
    llm_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    cassettes = cassette_store_for(storage)
    assert isinstance(cassettes, FileCassetteStore)
    recorder = CassetteChatClient("record", client=azure(llm_server), cassettes=cassettes)
    recorded = await events_of(create_workflow(storage, recorder).run_stream("hello world"))
    assert outputs(recorded) == ["dlrow olleh"]
    assert len(llm_server.requests) == 1
    llm_server.stop()
    attempts = refuse_network(monkeypatch)
    with pytest.raises(OSError, match="refused by the test"):
        socket.create_connection(("127.0.0.1", 9))
    attempts.clear()

    replayer = CassetteChatClient("replay", client=None, cassettes=cassettes)
    replayed = await events_of(create_workflow(storage, replayer).run_stream("hello world"))

    assert outputs(replayed) == ["dlrow olleh"]
    (reply,) = [e.data for e in replayed if isinstance(e, AgentRunEvent)]
    assert reply.usage is not None and reply.usage.total_tokens == 9  # the SDK's counts, kept
    assert replayer.model_name == "gpt-test"
    assert replayer.backend_name.startswith("replay of Azure OpenAI at http://127.0.0.1:")
    assert attempts == []  # nothing even tried to connect
    assert storage.problems == []  # the cassettes/ folder is not mistaken for a checkpoint


async def test_streamed_chunks_replay_as_they_were_recorded(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    cassettes = cassette_store_for(storage)
    recorder = CassetteChatClient("record", client=azure(llm_server), cassettes=cassettes)
    recorded = await events_of(streaming_workflow(storage, recorder).run_stream("Text: A B C"))
    llm_server.stop()

    replayer = CassetteChatClient("replay", client=None, cassettes=cassettes)
    replayed = await events_of(streaming_workflow(storage, replayer).run_stream("Text: A B C"))

    def chunks(events: list[WorkflowEvent]) -> list[str]:
        return [e.data for e in events if isinstance(e, AgentRunUpdateEvent)]

    assert chunks(recorded) == ["a ", "b ", "c"]
    assert chunks(replayed) == chunks(recorded)


async def test_a_miss_in_strict_replay_names_the_executor(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    replayer = CassetteChatClient("replay", client=None, cassettes=cassette_store_for(storage))

    workflow = create_workflow(storage, replayer)
    events = await events_of(workflow.run_stream("never recorded", raise_on_failure=False))

    (failure,) = [e for e in events if isinstance(e, ExecutorFailedEvent)]
    assert failure.executor_id == "lower_agent"
    assert failure.details is not None
    assert failure.details.error_type == "CassetteMissError"
    assert "no recorded answer for lower_agent's request" in failure.details.message
    assert "--llm replay-or-call" in failure.details.message


async def test_replay_or_call_replays_what_it_has_and_records_what_changed(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    cassettes = cassette_store_for(storage)
    recorder = CassetteChatClient("record", client=azure(llm_server), cassettes=cassettes)
    await events_of(create_workflow(storage, recorder).run_stream("hello world"))
    assert len(llm_server.requests) == 1

    mixed = CassetteChatClient("replay-or-call", client=azure(llm_server), cassettes=cassettes)
    same = await events_of(create_workflow(storage, mixed).run_stream("hello world"))
    changed = await events_of(create_workflow(storage, mixed).run_stream("new words"))

    assert outputs(same) == ["dlrow olleh"]
    assert outputs(changed) == ["sdrow wen"]
    question = [ChatMessage(Role.USER, text="Text: Fresh")]
    await mixed.get_response(question)
    assert not answer_was_replayed()  # called: paid for
    await mixed.get_response(question)
    assert answer_was_replayed()  # the same question again: from the cassette
    assert len(llm_server.requests) == 3  # only the changed requests reached the model
    llm_server.stop()
    strict = CassetteChatClient("replay", client=None, cassettes=cassettes)
    again = await events_of(create_workflow(storage, strict).run_stream("new words"))
    assert outputs(again) == ["sdrow wen"]  # the miss was recorded


async def test_a_resume_of_a_recorded_run_replays_its_cassette(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    cassettes = cassette_store_for(storage)
    recorder = CassetteChatClient("record", client=azure(llm_server), cassettes=cassettes)
    await events_of(create_workflow(storage, recorder).run_stream("hello world"))
    llm_server.stop()
    before_agent = next(
        summary
        for summary in await storage.list_summaries()
        if summary.next_executor_ids == ["lower_agent"]
    )

    replayer = CassetteChatClient("replay", client=None, cassettes=cassettes)
    workflow = create_workflow(storage, replayer)
    resumed = await events_of(workflow.run_stream_from_checkpoint(before_agent.checkpoint_id))

    assert outputs(resumed) == ["dlrow olleh"]


def raw_bytes(tmp_path: Path) -> bytes:
    """Every byte a folder or SQLite store left on disk (the SQLite WAL included)."""
    return b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())


async def test_cassettes_hold_no_key_in_any_store(
    llm_server: FakeLLMServer, backend: Backend, tmp_path: Path
) -> None:
    storage = backend.open()
    cassettes = cassette_store_for(storage)
    assert cassettes is not None
    clients = [
        azure(llm_server),
        OpenAIChatClient("gpt-test", api_key=SECRET_KEY, base_url=llm_server.openai_base_url),
    ]
    for client in clients:
        recorder = CassetteChatClient("record", client=client, cassettes=cassettes)
        await events_of(create_workflow(storage, recorder).run_stream("hello world"))

    assert all(r.header("api-key") or r.header("authorization") for r in llm_server.requests)
    run_ids = await cassettes.run_ids()
    assert sorted(run_ids) == sorted({s.workflow_id for s in await storage.list_summaries()})
    assert len(run_ids) == 2
    stored = [await cassettes.read(run_id) or b"" for run_id in run_ids]
    on_disk = raw_bytes(tmp_path)
    for text in [data.decode() for data in stored] + [on_disk.decode(errors="replace")]:
        for secret in (SECRET_KEY, "SECRET", "Bearer", "api-key", "authorization"):
            assert secret not in text, secret
    assert all("dlrow olleh" in data.decode() for data in stored)
    if backend.url.startswith(("file:", "sqlite:")):
        assert b"dlrow olleh" in on_disk  # the bytes scanned above are where the store keeps them


def test_the_key_is_what_is_sent_not_how() -> None:
    messages = [ChatMessage(Role.USER, text="hi")]

    def key(model: str, **options: Any) -> str:
        return request_key(request_payload(model, messages, options, stream=False))  # type: ignore[arg-type]

    assert key("m", temperature=0.5, max_tokens=3) == key("m", max_tokens=3, temperature=0.5)
    assert key("m", timeout=5.0) == key("m")  # a transport setting, not part of the question
    assert key("m", temperature=0.5) != key("m")
    assert key("m") != key("n")
    streamed = request_key(request_payload("m", messages, {}, stream=True))
    assert streamed != key("m")


async def test_the_folder_store_does_not_follow_links(tmp_path: Path) -> None:
    store = FileCassetteStore(tmp_path)
    store.folder.mkdir()
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    os.symlink(target, store.folder / "run1.jsonl")

    with pytest.raises(UnsafeFileError, match="symbolic link"):
        await store.read("run1")
    assert target.read_text() == "not yours"


async def test_cassettes_copy_and_prune_with_their_runs(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    source = FileCheckpointStorage(tmp_path / "a")
    recorder = CassetteChatClient(
        "record", client=azure(llm_server), cassettes=cassette_store_for(source)
    )
    await events_of(create_workflow(source, recorder).run_stream("hello world"))
    (run_id,) = {summary.workflow_id for summary in await source.list_summaries()}

    memory = InMemoryCheckpointStorage()
    assert await copy_cassettes(source, memory, run_id) == Copied("cassettes", 1, 0)
    assert await copy_cassettes(source, memory, None) == Copied("cassettes", 0, 1)  # idempotent
    copied = cassette_store_for(memory)
    assert isinstance(copied, MemoryCassetteStore)
    assert await copied.read(run_id) == await FileCassetteStore(tmp_path / "a").read(run_id)

    assert await delete_cassettes(source, [run_id]) == 1
    assert await FileCassetteStore(tmp_path / "a").run_ids() == []
    llm_server.stop()
    # The copy still replays on its own.
    replayer = CassetteChatClient("replay", client=None, cassettes=copied)
    with pytest.raises(CassetteMissError):
        await replayer.get_response([ChatMessage(Role.USER, text="never asked")])
    answers = RecordedAnswers(store=copied)
    await answers.load()
    assert answers.models() == ["gpt-test"]


async def test_a_replayed_answer_counts_as_saved_not_spent(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path / "cps")
    cassettes = cassette_store_for(storage)
    recorder = CassetteChatClient("record", client=azure(llm_server), cassettes=cassettes)
    await events_of(create_workflow(storage, recorder).run_stream("hello world"))
    paid = (await storage.get_latest()).metadata["ledger"]  # type: ignore[union-attr]
    assert paid["totals"]["models"]["gpt-test"]["total_tokens"] == 9
    assert "models" not in paid["saved"]

    replayer = CassetteChatClient("replay", client=None, cassettes=cassettes)
    workflow = create_workflow(InMemoryCheckpointStorage(), replayer)
    await events_of(workflow.run_stream("hello world"))
    latest = await workflow.checkpoint_storage.get_latest()  # type: ignore[union-attr]
    ledger = latest.metadata["ledger"]  # type: ignore[union-attr]
    assert "models" not in ledger["totals"]  # nothing was paid for this time
    assert ledger["saved"]["models"]["gpt-test"]["total_tokens"] == 9
