"""Every way a backend call fails gives one readable line that names what to check, no secrets.

Both SDK-backed clients are exercised against the local server; the messages must survive
being copied into events and checkpoints, so the traceback is checked for secrets too.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.agents.llm_doubles import SECRET_KEY, CountingCredential, FakeLLMServer
from wftui.agents import ChatClient, ChatClientError, ChatMessage, Role
from wftui.azure import AzureOpenAIChatClient
from wftui.openai import OpenAIChatClient

HELLO = [ChatMessage(Role.USER, text="Text: HELLO")]
MakeClient = Callable[..., ChatClient]


def openai_client(url: str, model: str = "gpt-test", **kwargs: object) -> ChatClient:
    return OpenAIChatClient(model, api_key=SECRET_KEY, base_url=f"{url}/v1", **kwargs)  # type: ignore[arg-type]


def azure_key_client(url: str, model: str = "gpt-test", **kwargs: object) -> ChatClient:
    return AzureOpenAIChatClient(deployment_name=model, endpoint=url, api_key=SECRET_KEY, **kwargs)  # type: ignore[arg-type]


def azure_token_client(url: str, model: str = "gpt-test", **kwargs: object) -> ChatClient:
    return AzureOpenAIChatClient(
        deployment_name=model,
        endpoint=url,
        credential=CountingCredential(),
        **kwargs,  # type: ignore[arg-type]
    )


BACKENDS = {
    "openai": (openai_client, "OPENAI_API_KEY", "OPENAI_CHAT_MODEL_ID", "OPENAI_BASE_URL"),
    "azure-key": (
        azure_key_client,
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME",
        "AZURE_OPENAI_ENDPOINT",
    ),
    "azure-token": (
        azure_token_client,
        "az login",
        "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME",
        "AZURE_OPENAI_ENDPOINT",
    ),
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> tuple[MakeClient, str, str, str]:
    return BACKENDS[request.param]


async def failure_of(client: ChatClient, *, stream: bool = False) -> ChatClientError:
    with pytest.raises(ChatClientError) as raised:
        if stream:
            async for _ in client.get_streaming_response(HELLO):
                pass
        else:
            await client.get_response(HELLO)
    error = raised.value
    text = "".join(traceback.format_exception(error))
    assert "SECRET" not in text, text
    assert "\n" not in str(error)
    return error


@pytest.mark.parametrize("stream", [False, True])
async def test_401_names_the_credential_and_hides_an_echoed_key(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str], stream: bool
) -> None:
    make, credential_hint, _, _ = backend
    # OpenAI echoes part of a wrong key; Azure may quote the token. Neither may get through.
    llm_server.fail(401, message=f"Incorrect API key {SECRET_KEY}; Bearer eyJtoken.1.SECRET")

    error = await failure_of(make(llm_server.url, max_retries=0), stream=stream)

    assert error.status_code == 401
    assert "HTTP 401" in str(error) and credential_hint in str(error)
    assert "Incorrect API key ***" in str(error)


async def test_403_says_access_is_refused(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    make = backend[0]
    llm_server.fail(403, message="Principal does not have access")

    error = await failure_of(make(llm_server.url, max_retries=0))

    assert error.status_code == 403
    assert "HTTP 403" in str(error) and "Principal does not have access" in str(error)


async def test_unknown_model_or_deployment_names_its_variable(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    make, _, model_variable, _ = backend

    error = await failure_of(make(llm_server.url, model="no-such-model", max_retries=0))

    assert error.status_code == 404
    assert "HTTP 404" in str(error) and model_variable in str(error)
    assert "no-such-model" in str(error)


@pytest.mark.parametrize("stream", [False, True])
async def test_429_fails_only_after_the_sdk_retries(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str], stream: bool
) -> None:
    make = backend[0]
    llm_server.fail(429, times=3, message="Rate limit reached")

    error = await failure_of(make(llm_server.url, max_retries=2), stream=stream)

    assert len(llm_server.requests) == 3
    assert error.status_code == 429
    assert "HTTP 429" in str(error) and "after 2 retries" in str(error)
    assert "resume" in str(error)


async def test_429_that_clears_within_the_retries_is_not_an_error(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    llm_server.fail(429, times=2)

    response = await backend[0](llm_server.url, max_retries=2).get_response(HELLO)

    assert response.text == "hello"
    assert len(llm_server.requests) == 3


async def test_server_error_after_retries(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    llm_server.fail(500, times=2, message="Internal error")

    error = await failure_of(backend[0](llm_server.url, max_retries=1))

    assert error.status_code == 500
    assert "HTTP 500 after 1 retry" in str(error)


async def test_connection_refused_says_is_the_server_running(
    closed_port_url: str, backend: tuple[MakeClient, str, str, str]
) -> None:
    make, _, _, url_variable = backend

    error = await failure_of(make(closed_port_url, max_retries=0))

    assert error.status_code is None
    assert "connection refused" in str(error) and url_variable in str(error)
    assert closed_port_url in str(error)


async def test_timeout_uses_the_timeout_option(
    llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    llm_server.hang = True
    agent = backend[0](llm_server.url, max_retries=0).create_agent(timeout=0.2)

    with pytest.raises(ChatClientError, match=r"did not answer within 0\.2 s"):
        await agent.run(HELLO)


async def test_untrusted_certificate_points_at_ssl_cert_file(
    tls_llm_server: FakeLLMServer, backend: tuple[MakeClient, str, str, str]
) -> None:
    # The machine's own bundle does not include the test CA, as with a re-signing proxy.
    error = await failure_of(backend[0](tls_llm_server.url, max_retries=0))

    assert "TLS certificate check failed" in str(error) and "SSL_CERT_FILE" in str(error)


async def test_ssl_cert_file_makes_a_private_ca_trusted(
    tls_llm_server: FakeLLMServer,
    test_ca_file: Path,
    backend: tuple[MakeClient, str, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(test_ca_file))

    response = await backend[0](tls_llm_server.url, max_retries=0).get_response(HELLO)

    assert response.text == "hello"
    assert tls_llm_server.requests[0].path.endswith("/chat/completions")
