"""OpenAIChatClient through the real SDK against the local server."""

from __future__ import annotations

import pytest

from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from wftui.agents import ChatMessage, ConfigurationError, Role, describe_chat_client
from wftui.openai import OpenAIChatClient


def make_client(server: FakeLLMServer, **kwargs: object) -> OpenAIChatClient:
    options: dict[str, object] = {
        "model_id": "gpt-test",
        "api_key": SECRET_KEY,
        "base_url": server.openai_base_url,
        "max_retries": 0,
        **kwargs,
    }
    return OpenAIChatClient(**options)  # type: ignore[arg-type]


async def test_agent_reply_goes_through_the_chat_completions_api(
    llm_server: FakeLLMServer,
) -> None:
    agent = make_client(llm_server).create_agent(instructions="Lower-case it.", name="lower")

    response = await agent.run("Text: HELLO World")

    assert response.text == "hello world"
    assert response.messages[0].role is Role.ASSISTANT
    assert response.messages[0].author_name == "lower"
    assert response.usage is not None and response.usage.total_tokens == 9
    (request,) = llm_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.header("authorization") == f"Bearer {SECRET_KEY}"
    assert request.body["model"] == "gpt-test"
    assert request.body["messages"] == [
        {"role": "system", "content": "Lower-case it."},
        {"role": "user", "content": "Text: HELLO World"},
    ]


async def test_streamed_reply_arrives_in_chunks_that_join_to_the_text(
    llm_server: FakeLLMServer,
) -> None:
    agent = make_client(llm_server).create_agent()

    chunks = [update.text async for update in agent.run_stream("Text: ONE TWO THREE")]

    assert chunks == ["one ", "two ", "three"]
    assert llm_server.requests[0].body["stream"] is True


async def test_model_options_reach_the_server(llm_server: FakeLLMServer) -> None:
    agent = make_client(llm_server).create_agent(temperature=0.0, max_tokens=5)

    await agent.run("Text: A")
    await agent.run("Text: B", temperature=0.7)

    first, second = (request.body for request in llm_server.requests)
    assert (first["temperature"], first["max_tokens"]) == (0.0, 5)
    assert (second["temperature"], second["max_tokens"]) == (0.7, 5)


async def test_author_names_are_sent_in_the_api_alphabet(llm_server: FakeLLMServer) -> None:
    client = make_client(llm_server)

    await client.get_response([ChatMessage(Role.USER, text="Text: X", author_name="Ada L.")])

    assert llm_server.requests[0].body["messages"][0]["name"] == "Ada_L_"


async def test_local_server_without_a_key_gets_no_authorization_header(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    monkeypatch.setenv("OPENAI_CHAT_MODEL_ID", "gpt-test")
    client = OpenAIChatClient()

    assert (await client.get_response([ChatMessage(Role.USER, text="Text: Hi")])).text == "hi"
    assert llm_server.requests[0].header("authorization") is None
    assert describe_chat_client(client) == (
        f"OpenAI-compatible server at {llm_server.openai_base_url} (gpt-test)"
    )


async def test_environment_supplies_model_key_and_url(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    monkeypatch.setenv("OPENAI_CHAT_MODEL_ID", "gpt-test")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)

    await OpenAIChatClient().get_response([ChatMessage(Role.USER, text="Text: Hi")])

    assert llm_server.requests[0].header("authorization") == f"Bearer {SECRET_KEY}"


def test_openai_itself_is_named_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    client = OpenAIChatClient("gpt-4o-mini", api_key=SECRET_KEY)

    assert describe_chat_client(client) == "OpenAI (gpt-4o-mini)"


def test_displayed_url_drops_credentials_and_query() -> None:
    client = OpenAIChatClient("m", base_url="http://user:pw@127.0.0.1:9/v1/?key=abc")

    assert client.backend_name == "OpenAI-compatible server at http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"OPENAI_API_KEY": SECRET_KEY}, "OPENAI_CHAT_MODEL_ID"),
        ({"OPENAI_CHAT_MODEL_ID": "gpt-4o-mini"}, "OPENAI_API_KEY"),
    ],
)
def test_missing_configuration_names_the_variable(
    environment: dict[str, str], variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=variable) as raised:
        OpenAIChatClient()

    assert "\n" not in str(raised.value)
