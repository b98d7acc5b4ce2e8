"""A model server that breaks mid-reply: a cut, malformed or empty stream, a broken body, or a
server that stops sending. Each is a failed step (one readable ChatClientError), never an
answer, and the run it breaks fails resumable. The real SDK talks real HTTP to the local server.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.agents.llm_doubles import FakeLLMServer
from tests.agents.test_chat_failures import BACKENDS, HELLO, MakeClient, failure_of
from wftui.agents import ChatClientError, ChatSettings, select_chat_client
from wftui.openai import OpenAIChatClient


@pytest.fixture(params=list(BACKENDS))
def make(request: pytest.FixtureRequest) -> MakeClient:
    return BACKENDS[request.param][0]


STREAM_FAULTS = {
    "cut": "ended the stream before the reply was complete",
    "drop": "ended the stream before the reply was complete",
    "malformed": "malformed stream",
    "empty-choices": "sent no reply",
}


@pytest.mark.parametrize("fault", list(STREAM_FAULTS))
async def test_a_broken_stream_is_an_error_not_an_answer(
    llm_server: FakeLLMServer, make: MakeClient, fault: str
) -> None:
    llm_server.fault = fault
    llm_server.reply = lambda messages: "a long answer cut short"

    error = await failure_of(make(llm_server.url, max_retries=0), stream=True)

    assert STREAM_FAULTS[fault] in str(error)


BODY_FAULTS = {
    "not-json": "malformed reply",
    "no-choices": "malformed reply",
    "null-message": "malformed reply",
}


@pytest.mark.parametrize("fault", list(BODY_FAULTS))
async def test_a_broken_body_is_an_error_not_an_answer(
    llm_server: FakeLLMServer, make: MakeClient, fault: str
) -> None:
    llm_server.fault = fault

    error = await failure_of(make(llm_server.url, max_retries=0))

    assert BODY_FAULTS[fault] in str(error)


async def test_a_stream_that_stops_mid_reply_times_out_between_bytes(
    llm_server: FakeLLMServer, make: MakeClient
) -> None:
    llm_server.fault = "stall"
    llm_server.reply = lambda messages: "two words"

    error = await failure_of(make(llm_server.url, max_retries=1, timeout=0.3), stream=True)

    assert "sent nothing for 0.3 s" in str(error)
    assert "WFTUI_LLM_TIMEOUT" in str(error)


async def test_a_long_answer_that_keeps_arriving_is_not_cut(
    llm_server: FakeLLMServer, make: MakeClient
) -> None:
    llm_server.reply = lambda messages: " ".join(["word"] * 8)
    llm_server.pace = 0.1  # 0.8 s in all, each gap well inside the 0.5 s timeout
    client = make(llm_server.url, max_retries=0, timeout=0.5)

    started = time.monotonic()
    chunks = [update.text async for update in client.get_streaming_response(HELLO)]

    assert time.monotonic() - started > 0.5
    assert "".join(chunks) == " ".join(["word"] * 8)


async def test_the_timeout_error_names_the_retries(llm_server: FakeLLMServer) -> None:
    llm_server.hang = True
    client = OpenAIChatClient(
        "gpt-test", api_key="k", base_url=f"{llm_server.url}/v1", max_retries=1, timeout=0.2
    )

    error = await failure_of(client)

    assert "did not answer within 0.2 s (after 1 retry)" in str(error)
    assert len(llm_server.requests) == 2


def test_the_timeout_and_retries_come_from_settings_or_the_environment(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"{llm_server.url}/v1")
    monkeypatch.setenv("OPENAI_CHAT_MODEL_ID", "gpt-test")
    monkeypatch.setenv("WFTUI_LLM_TIMEOUT", "0.25")
    llm_server.hang = True

    from_env = select_chat_client("openai")
    from_settings = select_chat_client("openai", settings=ChatSettings(timeout=0.15, retries=0))

    with pytest.raises(ChatClientError, match=r"within 0\.25 s \(after 2 retries\)"):
        asyncio.run(from_env.get_response(HELLO))  # type: ignore[union-attr]
    with pytest.raises(ChatClientError, match=r"within 0\.15 s \(no retries\)"):
        asyncio.run(from_settings.get_response(HELLO))  # type: ignore[union-attr]


def test_the_default_timeout_is_sixty_seconds() -> None:
    client = OpenAIChatClient("gpt-test", base_url="http://127.0.0.1:9/v1")
    assert client.timeout == 60.0


def test_a_bad_timeout_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from wftui.agents import ConfigurationError

    monkeypatch.setenv("WFTUI_LLM_TIMEOUT", "soon")
    with pytest.raises(ConfigurationError, match="WFTUI_LLM_TIMEOUT"):
        OpenAIChatClient("gpt-test", base_url="http://127.0.0.1:9/v1")
