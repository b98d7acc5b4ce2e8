"""How a failed call on the ``openai`` SDK reads: one line, secret-free, with what to check.

Apart from the client machinery (``openai_client``) because wording failures is its own job
and the longest one: every SDK, HTTP, TLS and network failure becomes one ``ChatClientError``
that names the backend and never contains a key or token. The hints (which variable to check)
come from each backend.
"""

from __future__ import annotations

import re
import ssl
from abc import ABC, abstractmethod
from urllib.parse import urlsplit

import openai

from wftui.agents.client import ChatOptions
from wftui.agents.errors import ChatClientError
from wftui.agents.replies import RAISE_TIMEOUT, error_chain

# Key-looking text a server might echo back (OpenAI echoes part of a wrong key), and JWTs.
_SECRET_PATTERNS = re.compile(
    r"sk-[A-Za-z0-9_*\-]{6,}|Bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.[\w-]*|api-key[\"']?\s*[:=]\s*\S+",
    re.IGNORECASE,
)
_MAX_DETAIL = 200


def display_url(url: str) -> str:
    """``scheme://host[:port]/path`` only: user info and query strings may hold secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


class OpenAIFailureWording(ABC):
    """Turns an SDK-backed client's failures into readable errors; a backend says which
    secrets to scrub and which settings to hint at."""

    # Set by the client that mixes this in.
    _url: str
    _max_retries: int
    _timeout: float

    @property
    @abstractmethod
    def backend_name(self) -> str: ...

    @abstractmethod
    def _secrets(self) -> list[str]:
        """Every key or token this client has used, to scrub from error text."""

    @abstractmethod
    def _hint_credentials(self) -> str: ...

    @abstractmethod
    def _hint_not_found(self) -> str: ...

    @abstractmethod
    def _hint_forbidden(self) -> str: ...

    @abstractmethod
    def _hint_url(self) -> str: ...

    def _scrub(self, text: str) -> str:
        for secret in self._secrets():
            if secret:
                text = text.replace(secret, "***")
        text = _SECRET_PATTERNS.sub("***", text)
        text = " ".join(text.split())
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."

    def _server_detail(self, error: openai.APIStatusError) -> str:
        """``": <the server's own message>"``, scrubbed, or nothing."""
        body = error.body
        message: object = body.get("message") if isinstance(body, dict) else None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = body["error"].get("message")
        return f": {self._scrub(message)}" if isinstance(message, str) and message else ""

    @property
    def _subject(self) -> str:
        """The backend with its URL, once (most backend names already include it)."""
        where = display_url(self._url)
        return (
            self.backend_name if where in self.backend_name else f"{self.backend_name} at {where}"
        )

    def _translate(self, error: Exception, options: ChatOptions) -> Exception:
        """The one-line, secret-free error a user sees for any failed call."""
        if isinstance(error, ChatClientError):
            return error
        if isinstance(error, openai.APIStatusError):
            return self._status_error(error)
        count = self._max_retries
        retries = f"after {count} {'retry' if count == 1 else 'retries'}" if count else "no retries"
        if isinstance(error, openai.APITimeoutError):
            seconds = options.get("timeout", self._timeout)
            return ChatClientError(
                f"{self._subject} did not answer within {seconds:g} s ({retries}): "
                f"check the server and the network, or {RAISE_TIMEOUT}"
            )
        if isinstance(error, openai.APIConnectionError | ssl.SSLError):
            return ChatClientError(self._connection_message(error))
        if isinstance(error, openai.OpenAIError):
            return ChatClientError(f"{self.backend_name} call failed: {self._scrub(str(error))}")
        if isinstance(error, ValueError):  # the body was not JSON (json.JSONDecodeError)
            return ChatClientError(
                f"{self._subject} sent a malformed reply (not JSON: {self._scrub(str(error))})"
            )
        return error

    def _status_error(self, error: openai.APIStatusError) -> ChatClientError:
        status = error.status_code
        count = self._max_retries
        http = f"HTTP {status}"
        if status == 429 or status >= 500:
            http += f" after {count} {'retry' if count == 1 else 'retries'}" if count else ""
        http += self._server_detail(error)
        backend = self.backend_name
        if status == 401:
            text = f"{backend} rejected the credentials ({http}): check {self._hint_credentials()}"
        elif status == 403:
            text = f"{backend} refused access ({http}): {self._hint_forbidden()}"
        elif status == 404:
            text = f"{backend} has no such model or deployment ({http}): {self._hint_not_found()}"
        elif status == 429:
            text = (
                f"{backend} is rate limiting ({http}): "
                "wait or raise the quota, then resume from the last checkpoint"
            )
        elif status >= 500:
            text = (
                f"{backend} failed ({http}): try again later, then resume from the last checkpoint"
            )
        else:
            text = f"{backend} rejected the request ({http})"
        return ChatClientError(text, status_code=status)

    def _connection_message(self, error: Exception) -> str:
        where = display_url(self._url)
        for cause in error_chain(error):
            if isinstance(cause, ssl.SSLCertVerificationError):
                reason = cause.verify_message or "certificate not trusted"
                return (
                    f"TLS certificate check failed for {where} ({reason}): if a proxy or private "
                    "CA signs this server's certificate, set SSL_CERT_FILE to a CA bundle "
                    "that includes it"
                )
            if isinstance(cause, ssl.SSLError):
                return (
                    f"TLS handshake with {where} failed ({self._scrub(str(cause))}): "
                    "check the URL's scheme and port, and SSL_CERT_FILE"
                )
        for cause in error_chain(error):
            if isinstance(cause, ConnectionRefusedError):
                return (
                    f"cannot connect to {self._subject} (connection refused): "
                    f"is the server running? check {self._hint_url()}"
                )
        reason = next(
            (str(c) for c in error_chain(error) if isinstance(c, OSError) and str(c)),
            str(error),
        )
        return (
            f"cannot reach {self._subject} ({self._scrub(reason)}): "
            f"check {self._hint_url()} and the network"
        )
