"""Which run and executor the current task works for, for code an executor calls.

The runner sets it at the start of each executor's task (a task has its own copy of context
variables), so a chat client deep inside a handler can name the executor in an error or file a
recording under its run without being handed either.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallSite:
    """The run (``workflow_id``) and the executor whose handler is running."""

    workflow_id: str
    executor_id: str


_CURRENT: ContextVar[CallSite | None] = ContextVar("wftui_call_site", default=None)


def current_call_site() -> CallSite | None:
    """The executor running in this task, or None outside a workflow's executor."""
    return _CURRENT.get()


def enter_call_site(site: CallSite) -> None:
    """Mark this task as ``site``'s; meant for the runner, once per executor task."""
    _CURRENT.set(site)
