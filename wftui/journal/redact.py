"""Keep secrets out of journals: the values of secret-looking environment variables, API-key
shapes and passwords in URLs are replaced before anything is written."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_SECRET_SHAPES = re.compile(
    r"\bsk-[A-Za-z0-9_-]{12,}"  # OpenAI-style keys
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{8,}"
    r"|(?<=:)[^\s/@:]+(?=@[^\s/@]+/)",  # the password of user:password@host/ in URLs
)
_MIN_SECRET = 6  # shorter values ("1", "yes") would blank out ordinary words
_SCALARS = frozenset((int, float, bool, type(None)))  # JSON values with no text in them
# Whether a variable's name looks secret, by name: a Redactor is made per execution, and a
# case-blind search of every name was most of its cost.
_secret_names: dict[str, bool] = {}


def _is_secret_name(name: str) -> bool:
    secret = _secret_names.get(name)
    if secret is None:
        secret = _secret_names[name] = _SECRET_NAME.search(name) is not None
    return secret


# The secrets of the process's environment as it last was (a copy of the mapping under
# ``os.environ``, undecoded): decoding every variable, or walking ``os.environ`` item by item,
# was most of a Redactor's cost, at every execution.
_known: tuple[dict[Any, Any], list[str]] = ({}, [])


def _secrets_in(environ: Mapping[str, str]) -> list[str]:
    values = {
        value
        for name, value in environ.items()
        if len(value) >= _MIN_SECRET and _is_secret_name(name)
    }
    # A secret may also appear JSON-escaped inside a text.
    values |= {json.dumps(value)[1:-1] for value in values}
    return sorted(values, key=len, reverse=True)


def _environment_secrets() -> list[str]:
    global _known
    raw = getattr(os.environ, "_data", None)  # CPython's: one dict, compared in C
    if not isinstance(raw, dict):
        return _secrets_in(os.environ)
    if raw != _known[0]:
        _known = (dict(raw), _secrets_in(os.environ))
    return _known[1]


class Redactor:
    """Replaces every secret it knows of; built once per execution from the environment."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._secrets = _environment_secrets() if environ is None else _secrets_in(environ)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        # Every shape has one of these in it; most texts have none, and a search costs more.
        if "sk-" in value or "Bearer " in value or "@" in value:
            return _SECRET_SHAPES.sub(REDACTED, value)
        return value

    def _suspect(self, value: str) -> bool:
        """Whether ``value`` may hold a secret (False: ``text`` would leave it as it is)."""
        for secret in self._secrets:
            if secret in value:
                return True
        return "sk-" in value or "Bearer " in value or "@" in value

    def line(self, text: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A journal line's text and fields, redacted. Both are returned as they are when none
        of their strings may hold a secret: one search of them all, joined, costs less than
        one per string (a secret in any of them is in the joined text too)."""
        strings = [text]
        for item in fields.values():
            if type(item) is str:
                strings.append(item)
            elif type(item) not in _SCALARS:
                break  # a container: every string in it is redacted
        else:
            if not self._suspect("\n".join(strings)):
                return text, fields
        return self.text(text), self.value(fields)

    def value(self, value: Any) -> Any:
        """A JSON value with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {
                key: self.text(item) if type(item) is str else self._nested(item)
                for key, item in value.items()
            }
        return value

    def _nested(self, value: Any) -> Any:
        """A field's value that is not plain text: only a container has strings to redact."""
        return self.value(value) if isinstance(value, list | dict | str) else value
