"""What the headless commands print: events as they happen, checkpoint rows and documents."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from wftui.checkpoint.codec import parse_checkpoint
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.storage import CheckpointDecodingError, validate_checkpoint_id
from wftui.cli.errors import EXIT_FAILED_RUN, CliError
from wftui.cli.parser import DEFAULT_CHECKPOINT_DIR
from wftui.engine.events import (
    CheckpointSavedEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)


def resume_command(args: argparse.Namespace, checkpoint_id: str) -> str:
    """The command that resumes ``checkpoint_id`` with this invocation's pipeline and folder."""
    words = ["wftui", "resume", checkpoint_id]
    if args.pipeline:
        words.append(args.pipeline)
    if args.checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        words += ["--checkpoint-dir", args.checkpoint_dir]
    return shlex.join(words)


async def print_events(args: argparse.Namespace, events: AsyncIterator[WorkflowEvent]) -> int:
    """Print events as they happen; the exit code says whether the run failed."""
    failed = False
    last_checkpoint = ""
    outputs: list[Any] = []
    async for event in events:
        print(event, flush=True)
        if isinstance(event, WorkflowFailedEvent):
            failed = True
            reason = event.details.one_line() if event.details else "unknown error"
            print(f"wftui: run failed: {reason}", file=sys.stderr)
        elif isinstance(event, CheckpointSavedEvent):
            last_checkpoint = event.checkpoint_id
        elif isinstance(event, WorkflowOutputEvent):
            outputs.append(event.data)
        elif (
            isinstance(event, WorkflowStatusEvent)
            and event.state is WorkflowRunState.IDLE_WITH_PENDING_REQUESTS
        ):
            print(
                "waiting for human input: answer with "
                f"{resume_command(args, last_checkpoint)} --respond REQUEST_ID=VALUE",
                file=sys.stderr,
            )
    for output in outputs:
        print(f"output: {output}")
    if failed and last_checkpoint:
        print(
            f"resume after fixing the cause: {resume_command(args, last_checkpoint)}",
            file=sys.stderr,
        )
    return EXIT_FAILED_RUN if failed else 0


def stored_document(storage_path: Path, checkpoint_id: str) -> dict[str, Any]:
    """The checkpoint file as stored, plus its status.

    Values stay typed JSON: rebuilding them would need the pipeline's types imported, and
    ``show`` must work for any run's checkpoint without naming its pipeline.
    """
    path = storage_path / f"{validate_checkpoint_id(checkpoint_id)}.json"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"no checkpoint {checkpoint_id!r}") from None
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    try:
        status = parse_checkpoint(data).status
    except CheckpointDecodingError as error:
        raise CheckpointDecodingError(f"checkpoint {checkpoint_id} ({path}): {error}") from None
    document: dict[str, Any] = json.loads(data)
    document["status"] = status.value
    return document


def summary_header() -> str:
    return (
        f"{'checkpoint':<24}  {'run':<8}  {'step':>4}  {'status':<20}  {'msg':>3}  "
        f"{'next':<24}  time (UTC)"
    )


def summary_row(summary: CheckpointSummary) -> str:
    return (
        f"{summary.checkpoint_id}  {summary.workflow_id[:8]}  {summary.iteration_count:>4}  "
        f"{summary.status.value:<20}  {summary.pending_message_count:>3}  "
        f"{','.join(summary.next_executor_ids) or '-':<24}  {summary.timestamp}"
    )
