"""What the headless commands print: events as they happen, checkpoint rows and documents."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import AsyncIterator
from typing import Any

from wftui.agents.backends import AUTO
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointStorage
from wftui.cli.errors import EXIT_FAILED_RUN, CliError
from wftui.cli.stores import choose_store
from wftui.engine.events import (
    CheckpointSavedEvent,
    RequestInfoEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.events_text import event_json
from wftui.ids import IdNames, display_id


async def store_names(storage: CheckpointStorage) -> IdNames:
    """The names (``wftui.ids``) of the store's checkpoints, as the app and every listing show
    them: a printed name pasted back into a command names the same checkpoint."""
    return IdNames(await storage.list_checkpoint_ids())


def resume_command(
    args: argparse.Namespace, checkpoint_id: str, pipeline: str | None = None
) -> str:
    """The command that resumes ``checkpoint_id`` (a full id or its name) with this
    invocation's pipeline, store and chat backend (``pipeline`` overrides the invocation's)."""
    words = ["wftui", "resume", checkpoint_id]
    if pipeline or args.pipeline:
        words.append(pipeline or args.pipeline)
    return shlex.join([*words, *command_options(args)])


def command_options(args: argparse.Namespace) -> list[str]:
    """The options a printed command needs to reach this invocation's store with its chat
    backend (the app's ``Y`` copies them too)."""
    words = list(choose_store(args).words)
    if getattr(args, "chat", AUTO) != AUTO:
        words += ["--chat", args.chat]
    if getattr(args, "env_file", None):
        words += ["--env-file", args.env_file]
    if getattr(args, "llm", "call") != "call":  # a replayed run resumes replaying
        words += ["--llm", args.llm, *(f"--cassette={path}" for path in args.cassette)]
    return words


EXECUTOR_WIDTH = 20
KIND_WIDTH = 10


def event_line(event: WorkflowEvent, names: IdNames) -> str:
    """The app log's line for ``event`` (time, kind, executor, detail), as plain text.

    Checkpoint lines carry the checkpoint's name in the store, which ``resume`` takes.
    """
    # The log's own wording, so the app and a headless run read alike.
    from wftui.events_text import describe
    from wftui.tui.text import Clock

    record = describe(event)
    text = record.text
    if isinstance(event, CheckpointSavedEvent):
        text = f"{names.name(event.checkpoint_id)} superstep {event.iteration}"
    time_of_day = Clock().time_of_day(record.time)
    return f"{time_of_day} {record.kind:<{KIND_WIDTH}} {record.executor:<{EXECUTOR_WIDTH}} {text}".rstrip()


async def print_events(
    args: argparse.Namespace,
    events: AsyncIterator[WorkflowEvent],
    names: IdNames,
    *,
    resumed_from: str = "",
) -> int:
    """Print events as they happen; the exit code says whether the run failed.

    Checkpoints are named by ``names`` (the store's, taken before the run; each one saved is
    added), so the ids printed and the commands of the hints are as short as the app's.
    Hints come after the run, when the checkpoint to resume from and the open requests are
    known: a checkpoint may be saved after the status that says the run waits.
    """
    failed = False
    waiting = False
    last_checkpoint = resumed_from
    requests: dict[str, None] = {}
    outputs: list[Any] = []
    as_json = getattr(args, "json", False)
    async for event in events:
        print(event_json(event) if as_json else event_line(event, names), flush=True)
        if isinstance(event, WorkflowFailedEvent):
            failed = True
            reason = event.details.one_line() if event.details else "unknown error"
            print(f"wftui: run failed: {reason}", file=sys.stderr)
        elif isinstance(event, CheckpointSavedEvent):
            last_checkpoint = event.checkpoint_id
        elif isinstance(event, WorkflowOutputEvent):
            outputs.append(event.data)
        elif isinstance(event, RequestInfoEvent):
            requests[event.request_id] = None
        elif isinstance(event, WorkflowStatusEvent):
            waiting = event.state is WorkflowRunState.IDLE_WITH_PENDING_REQUESTS
    for output in [] if as_json else outputs:
        print(f"output: {output}")
    if waiting and last_checkpoint:
        answers = " ".join(
            f"--respond {shlex.quote(f'{request_id}=VALUE')}" for request_id in requests
        )
        print(
            f"waiting for human input: answer with "
            f"{resume_command(args, names.name(last_checkpoint))} "
            + (answers or "--respond REQUEST_ID=VALUE"),
            file=sys.stderr,
        )
    if failed and last_checkpoint:
        print(
            f"resume after fixing the cause: {resume_command(args, names.name(last_checkpoint))}",
            file=sys.stderr,
        )
    return EXIT_FAILED_RUN if failed else 0


async def stored_document(storage: CheckpointStorage, checkpoint_id: str) -> dict[str, Any]:
    """The checkpoint as stored, plus its status.

    Values stay typed JSON: rebuilding them would need the pipeline's types imported, and
    ``show`` must work for any run's checkpoint without naming its pipeline.
    """
    data = await storage.load_document(checkpoint_id)
    if data is None:
        raise CliError(f"no checkpoint {display_id(checkpoint_id)!r}")
    try:
        status = DEFAULT_SERIALIZER.parse(data).status
    except CheckpointDecodingError as error:
        raise CheckpointDecodingError(f"checkpoint {display_id(checkpoint_id)}: {error}") from None
    document: dict[str, Any] = json.loads(data)
    document["status"] = status.value
    return document


def summary_lines(summaries: list[CheckpointSummary], names: IdNames, runs: IdNames) -> list[str]:
    """``checkpoints list``: a header and a row per checkpoint, ids by their names."""
    width = max([len("checkpoint"), *(len(names.name(s.checkpoint_id)) for s in summaries)])
    run_width = max([len("run"), *(len(runs.name(s.workflow_id)) for s in summaries)])
    lines = [
        f"{'checkpoint':<{width}}  {'run':<{run_width}}  {'step':>4}  {'status':<20}  "
        f"{'msg':>3}  {'next':<24}  time (UTC)"
    ]
    for summary in summaries:
        lines.append(
            f"{names.name(summary.checkpoint_id):<{width}}  "
            f"{runs.name(summary.workflow_id):<{run_width}}  {summary.iteration_count:>4}  "
            f"{summary.status.value:<20}  {summary.pending_message_count:>3}  "
            f"{','.join(summary.next_executor_ids) or '-':<24}  {summary.timestamp}"
        )
    return lines
