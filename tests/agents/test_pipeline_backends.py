"""The seed pipeline end to end on the SDK-backed clients: success, each failure, resume.

A failing LLM must end the run with one readable WorkflowFailedEvent, and resuming the last
checkpoint with the cause fixed must finish the run without re-running the executors before
the agent. No key or token may reach a checkpoint file or an event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.text_processing import FinalizeFromAgent, create_workflow
from tests.agents.llm_doubles import SECRET_KEY, CountingCredential, FakeLLMServer
from wftui import (
    AgentExecutor,
    AgentRunEvent,
    AgentRunUpdateEvent,
    ExecutorInvokedEvent,
    WorkflowBuilder,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
)
from wftui.agents import ChatClient
from wftui.azure import AzureOpenAIChatClient
from wftui.checkpoint import FileCheckpointStorage
from wftui.openai import OpenAIChatClient

# (url, model or deployment, client options: max_retries, timeout) -> client
MakeClient = Callable[[str, str, dict[str, Any]], ChatClient]

BACKENDS: dict[str, MakeClient] = {
    "openai": lambda url, model, options: OpenAIChatClient(
        model, api_key=SECRET_KEY, base_url=f"{url}/v1", **options
    ),
    "azure-key": lambda url, model, options: AzureOpenAIChatClient(
        deployment_name=model, endpoint=url, api_key=SECRET_KEY, **options
    ),
    "azure-token": lambda url, model, options: AzureOpenAIChatClient(
        deployment_name=model, endpoint=url, credential=CountingCredential(lifetime=60), **options
    ),
}
# Retries of refused connections and timeouts back off for seconds; 429 shows them working.
NO_RETRIES: dict[str, Any] = {"max_retries": 0}


@pytest.fixture(params=list(BACKENDS))
def make_client(request: pytest.FixtureRequest) -> MakeClient:
    return BACKENDS[request.param]


async def run(workflow: Any, **kwargs: Any) -> list[WorkflowEvent]:
    if "checkpoint_id" in kwargs:
        stream = workflow.run_stream_from_checkpoint(
            kwargs["checkpoint_id"], raise_on_failure=False
        )
    else:
        stream = workflow.run_stream("hello world", raise_on_failure=False)
    return [event async for event in stream]


def outputs(events: list[WorkflowEvent]) -> list[Any]:
    return [e.data for e in events if isinstance(e, WorkflowOutputEvent)]


def assert_no_secrets(events: list[WorkflowEvent], checkpoint_dir: Path) -> None:
    for event in events:
        text = f"{event} {dataclasses.asdict(event)}"
        assert "SECRET" not in text, text
    files = [path for path in checkpoint_dir.rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert "SECRET" not in path.read_text(errors="replace"), path


async def test_seed_pipeline_answers_through_the_llm(
    llm_server: FakeLLMServer, make_client: MakeClient, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(storage_path=tmp_path)

    events = await run(
        create_workflow(storage, make_client(llm_server.url, "gpt-test", NO_RETRIES))
    )

    assert outputs(events) == ["dlrow olleh"]
    (request,) = llm_server.requests
    system, user = request.body["messages"]
    assert system["role"] == "system" and "lowercase" in system["content"]
    assert user["content"].endswith("Text: DLROW OLLEH")
    assert_no_secrets(events, tmp_path)


Broken = tuple[str, str, dict[str, Any]]


async def test_streaming_agent_turns_each_sdk_chunk_into_an_event(
    llm_server: FakeLLMServer, make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(llm_server.url, "gpt-test", NO_RETRIES)
    agent = AgentExecutor(client.create_agent(temperature=0.0), id="lower_agent", streaming=True)
    finalize = FinalizeFromAgent(id="finalize")
    storage = FileCheckpointStorage(storage_path=tmp_path)
    workflow = (
        WorkflowBuilder()
        .add_edge(agent, finalize)
        .set_start_executor(agent)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )

    events = [event async for event in workflow.run_stream("Text: SEE THE CHUNKS")]

    chunks = [e.data for e in events if isinstance(e, AgentRunUpdateEvent)]
    assert chunks == ["see ", "the ", "chunks"]
    (whole,) = [e for e in events if isinstance(e, AgentRunEvent)]
    assert events.index(whole) > max(
        i for i, e in enumerate(events) if isinstance(e, AgentRunUpdateEvent)
    )
    assert outputs(events) == ["see the chunks"]
    assert llm_server.requests[0].body["stream"] is True
    assert llm_server.requests[0].body["temperature"] == 0.0
    assert_no_secrets(events, tmp_path)


def answer_429(server: FakeLLMServer, url: str) -> Broken:
    server.fail(429, times=3, message="Requests have exceeded the call rate limit")
    return url, "gpt-test", {"max_retries": 2}


def answer_401(server: FakeLLMServer, url: str) -> Broken:
    server.fail(401, message=f"Incorrect API key provided: {SECRET_KEY}")
    return url, "gpt-test", NO_RETRIES


def unknown_deployment(server: FakeLLMServer, url: str) -> Broken:
    return url, "gpt-typo", NO_RETRIES


def not_listening(server: FakeLLMServer, closed_url: str) -> Broken:
    return closed_url, "gpt-test", NO_RETRIES


def never_answers(server: FakeLLMServer, url: str) -> Broken:
    server.hang = True
    return url, "gpt-test", {"max_retries": 0, "timeout": 0.2}


FAILURES = {
    "429": (answer_429, "HTTP 429 after 2 retries"),
    "401": (answer_401, "HTTP 401"),
    "404": (unknown_deployment, "HTTP 404"),
    "refused": (not_listening, "connection refused"),
    "timeout": (never_answers, "did not answer within 0.2 s"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_failed_llm_call_fails_once_readably_then_resumes_to_the_end(
    llm_server: FakeLLMServer,
    make_client: MakeClient,
    failure: str,
    tmp_path: Path,
    closed_port_url: str,
) -> None:
    break_it, expected = FAILURES[failure]
    url = closed_port_url if failure == "refused" else llm_server.url
    storage = FileCheckpointStorage(storage_path=tmp_path)

    failed_run = await run(create_workflow(storage, make_client(*break_it(llm_server, url))))

    (failed,) = [e for e in failed_run if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    assert failed.details.executor_id == "lower_agent"
    assert failed.details.error_type == "ChatClientError"
    assert expected in failed.details.message and "\n" not in failed.details.message
    assert outputs(failed_run) == []

    llm_server.heal()
    latest = (await storage.list_checkpoints())[-1]
    fixed = create_workflow(storage, make_client(llm_server.url, "gpt-test", NO_RETRIES))
    resumed_run = await run(fixed, checkpoint_id=latest.checkpoint_id)

    assert outputs(resumed_run) == ["dlrow olleh"]
    invoked = [e.executor_id for e in resumed_run if isinstance(e, ExecutorInvokedEvent)]
    assert invoked == ["lower_agent", "finalize"]
    assert_no_secrets(failed_run + resumed_run, tmp_path)
