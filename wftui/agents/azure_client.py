"""Azure OpenAI chat client, with an API key or any azure-identity credential.

With a credential, tokens come from azure-identity's bearer-token provider, which caches a token
and fetches a new one before it expires, so a long run never sends a stale token. Sync
credentials (the seed's ``AzureCliCredential()``) are asked in a worker thread because they may
run the ``az`` CLI; async ones (``azure.identity.aio``) are awaited.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import openai
from azure.core.credentials import SupportsTokenInfo, TokenCredential
from azure.core.credentials_async import AsyncSupportsTokenInfo, AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError

from wftui.agents.client import ChatOptions
from wftui.agents.errors import ChatClientError, ConfigurationError
from wftui.agents.openai_client import OpenAIBackendBase
from wftui.agents.openai_failures import display_url

# Azure OpenAI's generally available data-plane version with chat completions.
DEFAULT_AZURE_API_VERSION = "2024-10-21"
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"

AzureCredential: TypeAlias = (
    TokenCredential | SupportsTokenInfo | AsyncTokenCredential | AsyncSupportsTokenInfo
)


def _is_async_credential(credential: AzureCredential) -> bool:
    method = getattr(credential, "get_token_info", None) or getattr(credential, "get_token", None)
    return inspect.iscoroutinefunction(method)


def bearer_token_provider(
    credential: AzureCredential, scope: str = COGNITIVE_SERVICES_SCOPE
) -> Callable[[], Awaitable[str]]:
    """An async callable giving a current token, refreshed by azure-identity before expiry."""
    if _is_async_credential(credential):
        from azure.identity.aio import get_bearer_token_provider as get_async_provider

        return get_async_provider(credential, scope)  # type: ignore[arg-type]

    from azure.identity import get_bearer_token_provider

    sync_provider = get_bearer_token_provider(credential, scope)  # type: ignore[arg-type]

    async def provide() -> str:
        return await asyncio.to_thread(sync_provider)

    return provide


class AzureOpenAIChatClient(OpenAIBackendBase):
    """A deployment on Azure OpenAI, the seed's ``AzureOpenAIChatClient``.

    Arguments fall back to ``AZURE_OPENAI_CHAT_DEPLOYMENT_NAME``, ``AZURE_OPENAI_ENDPOINT``,
    ``AZURE_OPENAI_API_VERSION`` and ``AZURE_OPENAI_API_KEY``. A ``credential`` wins over a key
    from the environment; passing both ``api_key`` and ``credential`` is refused.
    """

    def __init__(
        self,
        *,
        deployment_name: str | None = None,
        endpoint: str | None = None,
        api_version: str | None = None,
        api_key: str | None = None,
        credential: AzureCredential | None = None,
        token_scope: str = COGNITIVE_SERVICES_SCOPE,
        max_retries: int = 2,
        timeout: float | None = None,
    ) -> None:
        endpoint = endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ConfigurationError(
                "no Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT "
                "(https://<resource>.openai.azure.com)"
            )
        deployment = deployment_name or os.environ.get("AZURE_OPENAI_CHAT_DEPLOYMENT_NAME")
        if not deployment:
            raise ConfigurationError(
                "no Azure OpenAI deployment: set AZURE_OPENAI_CHAT_DEPLOYMENT_NAME"
            )
        if api_key and credential is not None:
            raise ConfigurationError("pass either api_key or credential to AzureOpenAIChatClient")
        self._api_key = (
            None
            if credential is not None
            else (api_key or os.environ.get("AZURE_OPENAI_API_KEY") or None)
        )
        if self._api_key is None and credential is None:
            raise ConfigurationError(
                "no Azure OpenAI credential: set AZURE_OPENAI_API_KEY, "
                "or run `az login` and pass credential=AzureCliCredential()"
            )
        self._endpoint = endpoint
        self._api_version = (
            api_version or os.environ.get("AZURE_OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
        )
        self._credential_name = type(credential).__name__ if credential is not None else None
        self._token_provider = (
            bearer_token_provider(credential, token_scope) if credential is not None else None
        )
        self._last_token = ""
        super().__init__(model=deployment, url=endpoint, max_retries=max_retries, timeout=timeout)

    @property
    def credential_name(self) -> str | None:
        """The credential's class (``AzureCliCredential``), or None with an API key."""
        return self._credential_name

    @property
    def backend_name(self) -> str:
        return f"Azure OpenAI at {display_url(self._endpoint)}"

    async def _token(self) -> str:
        assert self._token_provider is not None
        self._last_token = await self._token_provider()
        return self._last_token

    def _create_sdk_client(self) -> openai.AsyncOpenAI:
        auth: dict[str, Any] = (
            {"api_key": self._api_key}
            if self._api_key is not None
            else {"azure_ad_token_provider": self._token}
        )
        return openai.AsyncAzureOpenAI(
            azure_endpoint=self._endpoint,
            azure_deployment=self._model,
            api_version=self._api_version,
            max_retries=self._max_retries,
            timeout=self._timeout,
            **auth,
        )

    def _translate(self, error: Exception, options: ChatOptions) -> Exception:
        # azure-identity failures (not logged in, no az CLI, expired refresh token).
        if isinstance(error, ClientAuthenticationError):
            text = str(error).strip()
            reason = self._scrub(text.splitlines()[0]) if text else "no reason given"
            return ChatClientError(
                f"{self._credential_name} could not get a token for {self.backend_name} "
                f"({reason}): run `az login` (with the Azure CLI installed), "
                "or set AZURE_OPENAI_API_KEY"
            )
        return super()._translate(error, options)

    def _secrets(self) -> list[str]:
        return [secret for secret in (self._api_key, self._last_token) if secret]

    def _hint_credentials(self) -> str:
        if self._credential_name is None:
            return "AZURE_OPENAI_API_KEY (Keys and Endpoint in the Azure portal)"
        return f"the {self._credential_name} login (`az login`, and the right tenant)"

    def _hint_forbidden(self) -> str:
        if self._credential_name is None:
            return "check that AZURE_OPENAI_API_KEY belongs to this resource"
        return (
            f"the identity behind {self._credential_name} needs the "
            "'Cognitive Services OpenAI User' role on this resource"
        )

    def _hint_not_found(self) -> str:
        return (
            f"check AZURE_OPENAI_CHAT_DEPLOYMENT_NAME ({self._model!r}), "
            f"AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION ({self._api_version})"
        )

    def _hint_url(self) -> str:
        return "AZURE_OPENAI_ENDPOINT"
