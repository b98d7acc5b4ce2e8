"""Errors a chat backend raises, worded for the person who has to fix the cause.

Both are one line and never carry a key or token: the engine copies an executor's error (message
and traceback) into events and checkpoints, so anything said here is written to disk.
"""

from __future__ import annotations


class ConfigurationError(Exception):
    """A backend cannot be built; the message names the variable or argument to set."""


class ChatClientError(Exception):
    """A chat request failed; the message says what happened and what to check.

    ``status_code`` is the HTTP status when the server answered, so callers can tell a refusal
    (401/403/404) from a transient failure (429/5xx/network) without parsing text.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
