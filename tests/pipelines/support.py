"""Running a shipped pipeline through the public API, and as a user's shell would."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from tests.cli.support import REPO, wftui
from wftui import (
    ExecutorInvokedEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowRunResult,
)


async def collect(stream: AsyncIterator[WorkflowEvent]) -> WorkflowRunResult:
    """Every event of a run, whether or not a failed run also raises at its end.

    Today a failed run only emits its failure events; agent-framework's ``run_stream`` also
    raises after them, and wftui may follow (issue 14). Either way the events are what the
    tests check, so an error raised after a WorkflowFailedEvent is not a second failure.
    """
    events: list[WorkflowEvent] = []
    try:
        async for event in stream:
            events.append(event)
    except Exception:
        if not any(isinstance(event, WorkflowFailedEvent) for event in events):
            raise
    return WorkflowRunResult(events)


def invoked_by_superstep(events: list[WorkflowEvent]) -> dict[int, list[str]]:
    """Which executors ran in each superstep, in the order they were invoked."""
    steps: dict[int, list[str]] = {}
    current = 0
    for event in events:
        if isinstance(event, SuperStepStartedEvent):
            current = event.iteration
            steps[current] = []
        elif isinstance(event, ExecutorInvokedEvent):
            steps[current].append(event.executor_id)
    return steps


def failures(events: list[WorkflowEvent]) -> list[WorkflowFailedEvent]:
    return [event for event in events if isinstance(event, WorkflowFailedEvent)]


def run_cli(
    *args: str, checkpoint_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m wftui ARGS --checkpoint-dir DIR`` from the repository root."""
    return wftui(*args, "--checkpoint-dir", str(checkpoint_dir), cwd=REPO, env=env)


def listed_checkpoints(checkpoint_dir: Path) -> list[dict[str, object]]:
    """``wftui checkpoints list --json``: the summaries a script would read, newest first."""
    listing = run_cli("checkpoints", "list", "--json", checkpoint_dir=checkpoint_dir)
    assert listing.returncode == 0, listing.stderr
    summaries: list[dict[str, object]] = json.loads(listing.stdout)
    return summaries
