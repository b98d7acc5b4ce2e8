"""Token usage read from the real SDK's replies (plain and streamed, with and without counts in
the stream), served by the loopback OpenAI/Azure server, and recorded in the run's ledger."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from tests.agents.test_agent_executor import agent_workflow
from wftui import AgentExecutor, AgentRunEvent, InMemoryCheckpointStorage, UsageDetails
from wftui.agents.usage import call_counts
from wftui.azure import AzureOpenAIChatClient
from wftui.openai import OpenAIChatClient

FULL_USAGE = UsageDetails(
    input_tokens=7, output_tokens=2, total_tokens=9, cached_input_tokens=3, reasoning_tokens=1
)


def openai_client(server: FakeLLMServer) -> OpenAIChatClient:
    return OpenAIChatClient(
        "gpt-test", api_key=SECRET_KEY, base_url=server.openai_base_url, max_retries=0
    )


def azure_client(server: FakeLLMServer) -> AzureOpenAIChatClient:
    return AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=server.url, api_key=SECRET_KEY, max_retries=0
    )


async def test_a_plain_reply_reports_every_count_the_server_sent(
    llm_server: FakeLLMServer,
) -> None:
    response = await openai_client(llm_server).create_agent().run("Text: HI")

    assert response.usage == FULL_USAGE


@pytest.mark.parametrize("make_client", [openai_client, azure_client], ids=["openai", "azure"])
async def test_a_stream_asks_for_counts_and_gets_them_on_its_last_chunk(
    llm_server: FakeLLMServer, make_client: Any
) -> None:
    agent = make_client(llm_server).create_agent()

    updates = [update async for update in agent.run_stream("Text: ONE TWO")]

    assert [update.text for update in updates] == ["one ", "two"]
    assert [update.usage for update in updates] == [None, FULL_USAGE]  # on the last chunk
    assert llm_server.requests[0].body["stream_options"] == {"include_usage": True}


async def test_a_stream_without_counts_leaves_usage_unknown(llm_server: FakeLLMServer) -> None:
    llm_server.stream_usage = "ignore"
    agent = openai_client(llm_server).create_agent()

    updates = [update async for update in agent.run_stream("Text: ONE TWO")]

    assert "".join(update.text for update in updates) == "one two"
    assert all(update.usage is None for update in updates)


async def test_a_server_that_refuses_the_option_is_asked_without_it_from_then_on(
    llm_server: FakeLLMServer,
) -> None:
    llm_server.stream_usage = "refuse"
    agent = openai_client(llm_server).create_agent()

    first = [update async for update in agent.run_stream("Text: A B")]
    second = [update async for update in agent.run_stream("Text: C")]

    assert "".join(u.text for u in first) == "a b" and "".join(u.text for u in second) == "c"
    assert ["stream_options" in request.body for request in llm_server.requests] == [
        True,
        False,
        False,
    ]


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streamed"])
async def test_an_agent_step_puts_its_usage_on_the_event_and_in_the_checkpoint(
    llm_server: FakeLLMServer, streaming: bool
) -> None:
    agent = openai_client(llm_server).create_agent(name="lower")
    storage = InMemoryCheckpointStorage()
    workflow = agent_workflow(AgentExecutor(agent, id="lower", streaming=streaming), storage)

    result = await workflow.run("Text: HELLO")

    (event,) = [e for e in result if isinstance(e, AgentRunEvent)]
    assert event.usage == FULL_USAGE and event.model == "gpt-test"
    assert event.duration is not None and event.duration > 0
    first_step = next(
        c for c in await storage.list_checkpoints() if c.iteration_count == 1
    ).metadata["ledger"]
    (lower,) = [first_step["supersteps"]["1"]["lower"]]
    model = lower["models"]["gpt-test"]
    assert (lower["calls"], lower["runs"]) == (1, 1)
    assert {k: v for k, v in model.items() if k != "ms"} == {
        "calls": 1,
        "input_tokens": 7,
        "output_tokens": 2,
        "total_tokens": 9,
        "cached_input_tokens": 3,
        "reasoning_tokens": 1,
    }
    assert first_step["totals"]["models"]["gpt-test"]["total_tokens"] == 9
    assert first_step["executors"]["lower"]["models"]["gpt-test"]["total_tokens"] == 9


async def test_a_streamed_call_without_counts_is_recorded_as_a_call_of_unknown_size(
    llm_server: FakeLLMServer,
) -> None:
    llm_server.stream_usage = "ignore"
    agent = openai_client(llm_server).create_agent()
    storage = InMemoryCheckpointStorage()
    workflow = agent_workflow(AgentExecutor(agent, id="lower", streaming=True), storage)

    await workflow.run("Text: HELLO")

    totals = max(await storage.list_checkpoints(), key=lambda c: c.iteration_count).metadata[
        "ledger"
    ]["totals"]
    model = totals["models"]["gpt-test"]
    assert model["unknown_calls"] == 1 and "total_tokens" not in model


def test_counts_without_a_total_are_added_up_not_guessed() -> None:
    counts = call_counts("m", UsageDetails(input_tokens=5, output_tokens=4), 12)

    assert counts == {
        "calls": 1,
        "models": {
            "m": {"calls": 1, "ms": 12, "input_tokens": 5, "output_tokens": 4, "total_tokens": 9}
        },
    }


async def test_resuming_a_fork_saves_the_model_call_once(llm_server: FakeLLMServer) -> None:
    agent = openai_client(llm_server).create_agent(name="lower")
    storage = InMemoryCheckpointStorage()
    workflow = agent_workflow(AgentExecutor(agent, id="lower"), storage)
    await workflow.run("Text: HELLO")
    after_call = next(c for c in await storage.list_checkpoints() if c.iteration_count == 1)

    fork_id = await workflow.fork(after_call.checkpoint_id, note="try the rest again")
    before = set(await storage.list_checkpoint_ids())
    await workflow.run_from_checkpoint(fork_id)

    (last_id,) = set(await storage.list_checkpoint_ids()) - before
    last = await storage.load_checkpoint(last_id)
    assert last is not None and last.parent_checkpoint_id == fork_id
    ledger = last.metadata["ledger"]
    assert len(llm_server.requests) == 1  # the fork's resume did not call the model
    assert ledger["totals"]["models"]["gpt-test"]["total_tokens"] == 9
    assert ledger["saved"]["models"]["gpt-test"]["total_tokens"] == 9  # once, not 18
