"""``wftui``: the app by default, headless subcommands for scripts.

Errors are one line on stderr (``wftui: error: ...``) and a non-zero exit; ``--debug`` adds
the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import traceback
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from wftui.checkpoint.codec import parse_checkpoint
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.storage import (
    CheckpointDecodingError,
    CheckpointError,
    validate_checkpoint_id,
)
from wftui.engine.events import (
    CheckpointSavedEvent,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStatusEvent,
)
from wftui.engine.executor import WorkflowDefinitionError
from wftui.engine.workflow import WorkflowRunError
from wftui.loader import DEFAULT_PIPELINE, PipelineLoadError, PipelineSpec, load_pipeline

DEFAULT_CHECKPOINT_DIR = ".wftui/checkpoints"
COMMANDS = ("app", "run", "resume", "checkpoints", "serve")
EXIT_FAILED_RUN = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from wftui.agents.errors import ChatClientError, ConfigurationError

    return (
        CliError,
        CheckpointError,
        PipelineLoadError,
        WorkflowRunError,
        WorkflowDefinitionError,
        ConfigurationError,
        ChatClientError,
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint-dir",
        default=os.environ.get("WFTUI_CHECKPOINT_DIR", DEFAULT_CHECKPOINT_DIR),
        help="where checkpoints live (env WFTUI_CHECKPOINT_DIR; default %(default)s)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _add_chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chat",
        default="auto",
        choices=("auto", "local", "openai", "azure"),
        help="chat backend for agents (auto: Azure if AZURE_OPENAI_ENDPOINT is set, "
        "else OpenAI if OPENAI_API_KEY or OPENAI_BASE_URL is set, else local)",
    )
    parser.add_argument("--env-file", help="read settings from this .env file (default ./.env)")


def _pipeline_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pipeline",
        nargs="?",
        default=None,
        help=f"pipeline file path or module name (default {DEFAULT_PIPELINE})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wftui",
        description="Workflow engine with checkpoints and resume, and a terminal app to watch it.",
        epilog="With no command, opens the app: wftui [PIPELINE] [--checkpoint-dir DIR]",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = commands.add_parser("app", help="open the terminal app (the default)")
    _pipeline_argument(app)
    _add_common(app)
    _add_chat(app)

    run = commands.add_parser("run", help="run a pipeline headless, printing events")
    _pipeline_argument(run)
    run.add_argument("--input", help="the run's input (default: the pipeline's own)")
    _add_common(run)
    _add_chat(run)

    resume = commands.add_parser("resume", help="resume a checkpoint headless")
    resume.add_argument("checkpoint_id", help="checkpoint id (a unique prefix is enough)")
    _pipeline_argument(resume)
    resume.add_argument(
        "--respond",
        action="append",
        default=[],
        metavar="REQUEST_ID=VALUE",
        help="answer a pending human request (repeatable)",
    )
    _add_common(resume)
    _add_chat(resume)

    checkpoints = commands.add_parser("checkpoints", help="list, show or delete checkpoints")
    checkpoint_commands = checkpoints.add_subparsers(dest="checkpoints_command", metavar="ACTION")
    listing = checkpoint_commands.add_parser("list", help="list checkpoints, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON summaries")
    listing.add_argument("--run", help="only this run (workflow id or prefix)")
    _add_common(listing)
    show = checkpoint_commands.add_parser("show", help="print one checkpoint in full")
    show.add_argument("checkpoint_id")
    _add_common(show)
    delete = checkpoint_commands.add_parser("delete", help="delete one checkpoint")
    delete.add_argument("checkpoint_id")
    _add_common(delete)
    prune = checkpoint_commands.add_parser(
        "prune", help="delete the checkpoints of all but the newest runs"
    )
    prune.add_argument(
        "--keep-runs", type=int, required=True, metavar="N", help="runs to keep (newest first)"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    _add_common(prune)

    serve = commands.add_parser("serve", help="serve the app in a browser (textual-serve)")
    _pipeline_argument(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    _add_common(serve)
    _add_chat(serve)
    return parser


def _normalise(argv: Sequence[str]) -> list[str]:
    """``wftui [PIPELINE] [options]`` means ``wftui app ...``."""
    args = list(argv)
    if any(arg in ("-h", "--help") for arg in args[:1]):
        return args
    first = next((arg for arg in args if not arg.startswith("-")), None)
    if first not in COMMANDS:
        args.insert(0, "app")
    return args


def _storage(args: argparse.Namespace) -> FileCheckpointStorage:
    return FileCheckpointStorage(Path(args.checkpoint_dir))


def _chat_client(args: argparse.Namespace, pipeline: PipelineSpec) -> Any:
    from wftui.agents.config import select_chat_client

    return select_chat_client(args.chat, args.env_file, local=pipeline.default_chat_client())


def _describe(client: Any) -> str:
    if client is None:
        return "the pipeline's own"
    from wftui.agents.client import describe_chat_client

    return describe_chat_client(client)


async def _resolve_id(storage: FileCheckpointStorage, prefix: str) -> str:
    """Accept a unique prefix, as the seed notebook does; say why a matching file is unusable."""
    validate_checkpoint_id(prefix)
    ids = await storage.list_checkpoint_ids()
    if prefix in ids:
        return prefix
    matches = [checkpoint_id for checkpoint_id in ids if checkpoint_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        for problem in storage.problems:
            if Path(problem.path).name.startswith(prefix):
                raise CliError(f"checkpoint file {problem.path} is unusable: {problem.reason}")
        raise CliError(f"no checkpoint {prefix!r} in {storage.storage_path}")
    raise CliError(f"{prefix!r} matches {len(matches)} checkpoints; give more of the id")


def _resume_command(args: argparse.Namespace, checkpoint_id: str) -> str:
    """The command that resumes ``checkpoint_id`` with this invocation's pipeline and folder."""
    words = ["wftui", "resume", checkpoint_id]
    if args.pipeline:
        words.append(args.pipeline)
    if args.checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        words += ["--checkpoint-dir", args.checkpoint_dir]
    return shlex.join(words)


async def _print_events(args: argparse.Namespace, events: AsyncIterator[WorkflowEvent]) -> int:
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
                f"{_resume_command(args, last_checkpoint)} --respond REQUEST_ID=VALUE",
                file=sys.stderr,
            )
    for output in outputs:
        print(f"output: {output}")
    if failed and last_checkpoint:
        print(
            f"resume after fixing the cause: {_resume_command(args, last_checkpoint)}",
            file=sys.stderr,
        )
    return EXIT_FAILED_RUN if failed else 0


async def _run(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline)
    client = _chat_client(args, pipeline)
    storage = _storage(args)
    workflow = pipeline.create_workflow(storage, client)
    text = args.input if args.input is not None else pipeline.default_input
    print(
        f"pipeline: {pipeline.name} | chat: {_describe(client)} | checkpoints: {args.checkpoint_dir}"
    )
    return await _print_events(args, workflow.run_stream(text))


def _parse_responses(pairs: Sequence[str]) -> dict[str, str]:
    responses: dict[str, str] = {}
    for pair in pairs:
        request_id, separator, value = pair.partition("=")
        if not separator or not request_id:
            raise CliError(f"--respond takes REQUEST_ID=VALUE, not {pair!r}")
        responses[request_id] = value
    return responses


async def _resume(args: argparse.Namespace) -> int:
    responses = _parse_responses(args.respond)
    pipeline = load_pipeline(args.pipeline)
    storage = _storage(args)
    checkpoint_id = await _resolve_id(storage, args.checkpoint_id)
    client = _chat_client(args, pipeline)
    workflow = pipeline.create_workflow(storage, client)
    print(f"pipeline: {pipeline.name} | chat: {_describe(client)} | resuming {checkpoint_id}")
    events = workflow.run_stream_from_checkpoint(
        checkpoint_id, checkpoint_storage=storage, responses=responses or None
    )
    return await _print_events(args, events)


def _stored_document(storage: FileCheckpointStorage, checkpoint_id: str) -> dict[str, Any]:
    """The checkpoint file as stored, plus its status.

    Values stay typed JSON: rebuilding them would need the pipeline's types imported, and
    ``show`` must work for any run's checkpoint without naming its pipeline.
    """
    path = storage.storage_path / f"{validate_checkpoint_id(checkpoint_id)}.json"
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


def _summary_row(summary: CheckpointSummary) -> str:
    return (
        f"{summary.checkpoint_id}  {summary.workflow_id[:8]}  {summary.iteration_count:>4}  "
        f"{summary.status.value:<20}  {summary.pending_message_count:>3}  "
        f"{','.join(summary.next_executor_ids) or '-':<24}  {summary.timestamp}"
    )


async def _prune(storage: FileCheckpointStorage, keep_runs: int, *, dry_run: bool) -> int:
    """Keep the newest ``keep_runs`` runs whole; a run is only ever removed entirely."""
    if keep_runs < 1:
        raise CliError("--keep-runs must be at least 1 (use 'checkpoints delete' for single ones)")
    newest_first = await storage.list_summaries()
    runs = list(dict.fromkeys(summary.workflow_id for summary in newest_first))
    old_runs = set(runs[keep_runs:])
    doomed = [summary for summary in newest_first if summary.workflow_id in old_runs]
    verb = "would delete" if dry_run else "deleted"
    if not dry_run:
        for summary in doomed:
            await storage.delete_checkpoint(summary.checkpoint_id)
    kept = len(newest_first) - len(doomed)
    print(
        f"{verb} {len(doomed)} checkpoints of {max(len(runs) - keep_runs, 0)} runs; "
        f"kept {kept} of {min(len(runs), keep_runs)} runs"
    )
    return 0


async def _checkpoints(args: argparse.Namespace) -> int:
    storage = _storage(args)
    action = args.checkpoints_command
    if action is None:
        raise CliError("say what to do: wftui checkpoints list | show ID | delete ID | prune")
    if action == "list":
        summaries = await storage.list_summaries()
        if args.run:
            summaries = [s for s in summaries if s.workflow_id.startswith(args.run)]
        if args.json:
            print(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
        else:
            print(
                f"{'checkpoint':<24}  {'run':<8}  {'step':>4}  {'status':<20}  {'msg':>3}  "
                f"{'next':<24}  time (UTC)"
            )
            for summary in summaries:
                print(_summary_row(summary))
            if not summaries:
                print(f"(no checkpoints in {storage.storage_path})")
        for problem in storage.problems:
            print(f"warning: skipped {problem.path}: {problem.reason}", file=sys.stderr)
        return 0
    if action == "prune":
        return await _prune(storage, args.keep_runs, dry_run=args.dry_run)
    checkpoint_id = await _resolve_id(storage, args.checkpoint_id)
    if action == "show":
        print(json.dumps(_stored_document(storage, checkpoint_id), indent=2, ensure_ascii=False))
        return 0
    await storage.delete_checkpoint(checkpoint_id)
    print(f"deleted {checkpoint_id}")
    return 0


def _app(args: argparse.Namespace) -> int:
    from wftui.tui.app import KeymapError, run_app

    pipeline = load_pipeline(args.pipeline)
    client = _chat_client(args, pipeline)
    try:
        run_app(pipeline, _storage(args), client)
    except KeymapError as error:
        raise CliError(str(error)) from error
    return 0


def _serve(args: argparse.Namespace) -> int:
    from wftui.tui.serve import serve

    command = [sys.executable, "-m", "wftui", "app", "--checkpoint-dir", args.checkpoint_dir]
    command += ["--chat", args.chat]
    if args.pipeline:
        command.append(args.pipeline)
    if args.env_file:
        command += ["--env-file", args.env_file]
    serve(command, host=args.host, port=args.port)
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return asyncio.run(_run(args))
    if args.command == "resume":
        return asyncio.run(_resume(args))
    if args.command == "checkpoints":
        return asyncio.run(_checkpoints(args))
    if args.command == "serve":
        return _serve(args)
    return _app(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_normalise(sys.argv[1:] if argv is None else argv))
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # The reader went away (``wftui run | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("wftui: interrupted; the last checkpoint is resumable", file=sys.stderr)
        return 130
    except Exception as error:
        if getattr(args, "debug", False):
            traceback.print_exc()
        if isinstance(error, _user_errors()):
            print(f"wftui: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wftui: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        print("run again with --debug for the traceback", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
