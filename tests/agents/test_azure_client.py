"""AzureOpenAIChatClient through the real SDK: URL shape, api-key, refreshing bearer tokens."""

from __future__ import annotations

import pytest

from tests.agents.llm_doubles import (
    SECRET_KEY,
    AsyncCountingCredential,
    CountingCredential,
    FakeLLMServer,
    LoggedOutCredential,
)
from wftui.agents import ChatClientError, ChatMessage, ConfigurationError, Role
from wftui.agents.azure_client import COGNITIVE_SERVICES_SCOPE, DEFAULT_AZURE_API_VERSION
from wftui.azure import AzureOpenAIChatClient

HELLO = [ChatMessage(Role.USER, text="Text: DLROW OLLEH")]


async def test_key_goes_in_the_api_key_header_on_the_deployment_url(
    llm_server: FakeLLMServer,
) -> None:
    client = AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=llm_server.url, api_key=SECRET_KEY
    )

    assert (await client.get_response(HELLO)).text == "dlrow olleh"

    (request,) = llm_server.requests
    assert request.path == "/openai/deployments/gpt-test/chat/completions"
    assert request.query == {"api-version": DEFAULT_AZURE_API_VERSION}
    assert request.header("api-key") == SECRET_KEY
    assert request.header("authorization") is None


async def test_environment_supplies_every_setting(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", llm_server.url)
    monkeypatch.setenv("AZURE_OPENAI_CHAT_DEPLOYMENT_NAME", "gpt-test")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_VERSION", "2025-01-01-preview")
    client = AzureOpenAIChatClient()

    await client.get_response(HELLO)

    assert llm_server.requests[0].query == {"api-version": "2025-01-01-preview"}
    assert llm_server.requests[0].header("api-key") == SECRET_KEY
    assert client.backend_name == f"Azure OpenAI at {llm_server.url}"
    assert client.model_name == "gpt-test"


async def test_seed_shape_with_a_credential_sends_a_bearer_token(
    llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A key in the environment must not override the credential the code passes.
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET_KEY)
    credential = CountingCredential(lifetime=3600)
    chat_client = AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=llm_server.url, credential=credential
    )
    agent = chat_client.create_agent(
        instructions="You transform text to lowercase. Reply with ONLY the transformed text."
    )

    for _ in range(3):
        assert (await agent.run(HELLO)).text == "dlrow olleh"

    assert credential.calls == 1
    assert credential.scopes == [(COGNITIVE_SERVICES_SCOPE,)]
    assert {r.header("authorization") for r in llm_server.requests} == {"Bearer eyJtoken.1.SECRET"}
    assert all(r.header("api-key") is None for r in llm_server.requests)


@pytest.mark.parametrize("credential_type", [CountingCredential, AsyncCountingCredential])
async def test_short_lived_tokens_are_renewed_not_reused(
    llm_server: FakeLLMServer, credential_type: type[CountingCredential]
) -> None:
    # Tokens valid for a minute are inside azure-core's refresh window: each request renews.
    credential = credential_type(lifetime=60)
    client = AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=llm_server.url, credential=credential
    )

    await client.get_response(HELLO)
    async for _ in client.get_streaming_response(HELLO):
        pass
    await client.get_response(HELLO)

    assert credential.calls == 3
    assert [r.header("authorization") for r in llm_server.requests] == [
        "Bearer eyJtoken.1.SECRET",
        "Bearer eyJtoken.2.SECRET",
        "Bearer eyJtoken.3.SECRET",
    ]


async def test_logged_out_credential_says_to_log_in(llm_server: FakeLLMServer) -> None:
    client = AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=llm_server.url, credential=LoggedOutCredential()
    )

    with pytest.raises(ChatClientError) as raised:
        await client.get_response(HELLO)

    message = str(raised.value)
    assert "az login" in message and "LoggedOutCredential" in message
    assert "\n" not in message
    assert llm_server.requests == []


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({}, "AZURE_OPENAI_ENDPOINT"),
        (
            {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"},
            "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME",
        ),
        (
            {
                "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com",
                "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME": "gpt-4o",
            },
            "AZURE_OPENAI_API_KEY",
        ),
    ],
)
def test_missing_configuration_names_the_variable(
    environment: dict[str, str], variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=variable) as raised:
        # The seed passes os.getenv(...) results, which are None when unset.
        AzureOpenAIChatClient(deployment_name=None, endpoint=None)

    assert "\n" not in str(raised.value)


def test_key_and_credential_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="either api_key or credential"):
        AzureOpenAIChatClient(
            deployment_name="d",
            endpoint="https://x.openai.azure.com",
            api_key=SECRET_KEY,
            credential=CountingCredential(),
        )
