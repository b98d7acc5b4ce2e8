"""What each subcommand does; the parser and the printing live beside this."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wftui.checkpoint.capabilities import BulkDeletingStorage
from wftui.checkpoint.document import parse_checkpoint
from wftui.checkpoint.references import refuse_if_referenced, whole_document
from wftui.checkpoint.storage import CheckpointStorage, validate_checkpoint_id
from wftui.cli.costs import cost_flags, cost_settings, report_spending, with_ledger
from wftui.cli.errors import CliError, user_message
from wftui.cli.journal_commands import journal_command, journal_stream, posted_answers
from wftui.cli.ledgers import read_ledgers
from wftui.cli.llm import llm_flags, with_cassette
from wftui.cli.output import (
    command_options,
    print_events,
    resume_command,
    store_names,
    stored_document,
    summary_lines,
)
from wftui.cli.stores import DIR_VARIABLE, STORE_VARIABLE, choose_store, open_chosen, opened
from wftui.cli.travel import TRAVEL_COMMANDS, diff_command, pipeline_for, run_travel, tree_lines
from wftui.engine import Workflow
from wftui.engine.execution import ExecutionInfo, recorded_pipeline
from wftui.engine.workflow import GraphMismatchError
from wftui.ids import IdError, IdNames, resolve_id
from wftui.journal import Execution, run_of
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tracing import traced
from wftui.tui.text import counted, one_line


def _chat_client(args: argparse.Namespace, pipeline: PipelineSpec, storage: object) -> Any:
    from wftui.agents.backends import ChatSettings
    from wftui.agents.config import select_chat_client

    settings = ChatSettings(timeout=args.llm_timeout, retries=args.llm_retries)
    return with_cassette(
        args,
        storage,
        lambda: select_chat_client(
            args.chat, args.env_file, local=pipeline.default_chat_client(), settings=settings
        ),
        getattr(pipeline.module, "CASSETTE", None),
    )


def _describe(client: Any) -> str:
    if client is None:
        return "the pipeline's own"
    from wftui.agents.client import describe_chat_client

    return describe_chat_client(client)


async def _resolve_id(args: argparse.Namespace, storage: CheckpointStorage, typed: str) -> str:
    """The one id rule (``wftui.ids``): exact, a unique suffix of 4+ characters (what the app
    and the listings show) or a unique prefix; say why a matching file is unusable."""
    validate_checkpoint_id(typed)
    try:
        return resolve_id(typed, await storage.list_checkpoint_ids())
    except IdError as error:
        if not error.candidates:
            for problem in storage.problems:
                name = Path(problem.path).stem
                if name.startswith(typed) or (len(typed) >= 4 and name.endswith(typed)):
                    raise CliError(
                        f"checkpoint {problem.path} is unusable: {problem.reason}"
                    ) from None
            raise CliError(f"no checkpoint {typed!r} in {choose_store(args).display}") from None
        raise CliError(str(error)) from None


def _header(args: argparse.Namespace, line: str) -> None:
    """What runs where; on stderr with ``--json``, so stdout is JSON lines only."""
    print(line, file=sys.stderr if args.json else sys.stdout, flush=True)


async def _run(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args.pipeline)
    async with opened(args, create=True) as storage:
        client = _chat_client(args, pipeline, storage)
        workflow = pipeline.create_workflow(storage, client)
        text = args.input if args.input is not None else pipeline.default_input
        _header(
            args,
            f"pipeline: {pipeline.name} | chat: {_describe(client)} | "
            f"checkpoints: {choose_store(args).display}",
        )
        execution = Execution.here("run", args.pipeline, input=one_line(text, 500))
        # One id for the execution in the journal and in its checkpoints' metadata.
        same = ExecutionInfo(id=execution.id, pipeline=workflow.pipeline)
        names = await store_names(storage)
        events = report_spending(
            args, storage, workflow.run_stream(text, raise_on_failure=False, execution=same)
        )
        events = traced(events, name=workflow.name, chat_client=client)
        return await print_events(args, journal_stream(storage, events, execution), names)


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
    async with opened(args, create=False) as storage:
        return await _resume_in(args, storage, responses)


@dataclass(frozen=True)
class AtCheckpoint:
    """What every command that starts from a checkpoint needs: the id, the pipeline the
    checkpoint records (or the one named), its chat client and a fresh workflow."""

    checkpoint_id: str
    pipeline: PipelineSpec
    client: Any
    workflow: Workflow


async def at_checkpoint(args: argparse.Namespace, storage: CheckpointStorage) -> AtCheckpoint:
    checkpoint_id = await _resolve_id(args, storage, args.checkpoint_id)
    pipeline = await pipeline_for(storage, checkpoint_id, args.pipeline)
    client = _chat_client(args, pipeline, storage)
    return AtCheckpoint(checkpoint_id, pipeline, client, pipeline.create_workflow(storage, client))


async def _resume_in(
    args: argparse.Namespace, storage: CheckpointStorage, responses: dict[str, str]
) -> int:
    at = await at_checkpoint(args, storage)
    checkpoint_id, pipeline, client, workflow = (
        at.checkpoint_id,
        at.pipeline,
        at.client,
        at.workflow,
    )
    names = await store_names(storage)
    _header(
        args,
        f"pipeline: {pipeline.name} | chat: {_describe(client)} | "
        f"resuming {names.name(checkpoint_id)}",
    )
    responses = await posted_answers(storage, checkpoint_id) | responses
    kind = "step" if args.steps else "resume"
    execution = Execution.here(kind, args.pipeline, run=await run_of(storage, checkpoint_id))
    events = report_spending(
        args,
        storage,
        workflow.run_stream_from_checkpoint(
            checkpoint_id,
            checkpoint_storage=storage,
            responses=responses or None,
            max_supersteps=args.steps,
            raise_on_failure=False,  # print_events reports the failure and sets the exit code
            execution=ExecutionInfo(id=execution.id, pipeline=workflow.pipeline),
        ),
    )
    events = traced(events, name=workflow.name, chat_client=client)
    events = journal_stream(storage, events, execution)
    try:
        return await print_events(args, events, names, resumed_from=checkpoint_id)
    except GraphMismatchError as error:
        if args.pipeline:
            raise
        whose = await _whose(args, storage, checkpoint_id, names.name(checkpoint_id))
        raise CliError(f"{user_message(error)}\n{whose}") from error


async def _whose(
    args: argparse.Namespace, storage: CheckpointStorage, checkpoint_id: str, shown: str
) -> str:
    """Which pipeline a checkpoint needs, and the command (naming it by ``shown``) that resumes
    it with that pipeline.

    The pipeline is named when the checkpoint's metadata records it (``pipeline``); otherwise
    the command says PIPELINE and the workflow's name is the clue.
    """
    document = await stored_document(storage, checkpoint_id)
    metadata = document.get("metadata")
    pipeline = recorded_pipeline(metadata) or "PIPELINE"
    name = document.get("workflow_name") or "(unnamed)"
    return (
        f"the checkpoint belongs to workflow {name!r}, not the default pipeline's; "
        f"resume it with its pipeline: {resume_command(args, shown, pipeline)}"
    )


async def _prune(storage: CheckpointStorage, keep_runs: int, *, dry_run: bool) -> int:
    """Keep the newest ``keep_runs`` runs whole; a run is only ever removed entirely."""
    if keep_runs < 1:
        raise CliError("--keep-runs must be at least 1 (use 'checkpoints delete' for single ones)")
    newest_first = await storage.list_summaries()
    runs = list(dict.fromkeys(summary.workflow_id for summary in newest_first))
    old_runs = set(runs[keep_runs:])
    doomed = [summary for summary in newest_first if summary.workflow_id in old_runs]
    verb = "would delete" if dry_run else "deleted"
    from wftui.cli.copy import prune_beside

    # Journals and cassettes first: an interrupted prune leaves no journal without its run.
    beside = await prune_beside(storage, runs[keep_runs:], dry_run=dry_run)
    if not dry_run:
        await _delete_all(storage, [summary.checkpoint_id for summary in doomed])
    kept = len(newest_first) - len(doomed)
    print(
        f"{verb} {counted(len(doomed), 'checkpoint')} of "
        f"{counted(max(len(runs) - keep_runs, 0), 'run')}; "
        f"kept {kept} of {counted(min(len(runs), keep_runs), 'run')}"
    )
    if beside:
        print(f"{verb} with them: {beside}")
    # What could not be validated was never ranked, so never pruned: say so, so it is not a
    # surprise that it is still there.
    for problem in storage.problems:
        print(
            f"left untouched: {os.path.basename(problem.path)}: {problem.reason}", file=sys.stderr
        )
    return 0


async def _delete_all(storage: CheckpointStorage, checkpoint_ids: list[str]) -> None:
    """In one transaction where the store can; one by one where it cannot."""
    if isinstance(storage, BulkDeletingStorage):
        await storage.delete_checkpoints(checkpoint_ids)
        return
    for checkpoint_id in checkpoint_ids:
        await storage.delete_checkpoint(checkpoint_id)


async def _list(storage: CheckpointStorage, args: argparse.Namespace) -> int:
    every = await storage.list_summaries()
    names = IdNames(s.checkpoint_id for s in every)
    runs = IdNames(s.workflow_id for s in every)
    summaries = every
    if args.run:
        try:
            run = resolve_id(args.run, (s.workflow_id for s in every), kind="run")
        except IdError as error:
            raise CliError(str(error)) from None
        summaries = [s for s in every if s.workflow_id == run]
    if args.tree:
        print("\n".join(await tree_lines(storage, summaries, names, runs)) or "(no checkpoints)")
    elif args.json:
        ledgers = await read_ledgers(storage, [s.checkpoint_id for s in summaries])
        prices = cost_settings(args).prices
        listing = [
            s.model_dump(mode="json") | {"ledger": ledgers[s.checkpoint_id].as_json(prices)}
            for s in summaries
        ]
        print(json.dumps(listing, indent=2))
    else:
        print("\n".join(summary_lines(summaries, names, runs)))
        if not summaries:
            print(f"(no checkpoints in {choose_store(args).display})")
    for problem in storage.problems:
        print(f"warning: skipped {problem.path}: {problem.reason}", file=sys.stderr)
    return 0


async def _checkpoints(args: argparse.Namespace) -> int:
    action = args.checkpoints_command
    if action is None:
        args.print_checkpoints_help()
        return 0
    if action == "copy":
        from wftui.cli.copy import copy_command

        return await copy_command(args)
    async with opened(args, create=False) as storage:
        return await _checkpoint_action(args, action, storage)


async def _checkpoint_action(
    args: argparse.Namespace, action: str, storage: CheckpointStorage
) -> int:
    if action == "list":
        return await _list(storage, args)
    if action == "diff":
        return await diff_command(storage, args)
    if action == "prune":
        return await _prune(storage, args.keep_runs, dry_run=args.dry_run)
    checkpoint_id = await _resolve_id(args, storage, args.checkpoint_id)
    if action == "show":
        document = with_ledger(await stored_document(storage, checkpoint_id), args)
        document.update(await whole_document(storage, checkpoint_id, parse_checkpoint) or {})
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    await refuse_if_referenced(storage, checkpoint_id, parse_checkpoint)
    name = (await store_names(storage)).name(checkpoint_id)
    await storage.delete_checkpoint(checkpoint_id)
    print(f"deleted {name}")
    return 0


def _app(args: argparse.Namespace) -> int:
    from wftui.tui.app import KeymapError, SettingsError, run_app

    pipeline = load_pipeline(args.pipeline)
    choice = choose_store(args)
    storage = open_chosen(args, create=True)
    client = _chat_client(args, pipeline, storage)
    try:
        run_app(
            pipeline,
            storage,
            client,
            store_label=choice.display,
            command_options=command_options(args),
        )
    except (KeymapError, SettingsError) as error:
        raise CliError(str(error)) from error
    return 0


def _serve(args: argparse.Namespace) -> int:
    from wftui.tui.serve import serve

    # The app processes get the store through the environment: a password in a URL stays out
    # of their command lines (which any local user can list).
    os.environ[STORE_VARIABLE] = choose_store(args).url
    os.environ.pop(DIR_VARIABLE, None)
    command = [sys.executable, "-m", "wftui", "app"]
    command += ["--chat", args.chat, "--llm-retries", str(args.llm_retries)]
    if args.llm_timeout is not None:
        command += ["--llm-timeout", str(args.llm_timeout)]
    if args.pipeline:
        command.append(args.pipeline)
    if args.env_file:
        command += ["--env-file", args.env_file]
    command += cost_flags(args)
    command += llm_flags(args)
    serve(command, host=args.host, port=args.port)
    return 0


def _graph(args: argparse.Namespace) -> int:
    from wftui.tui.graph.mermaid import to_mermaid
    from wftui.tui.graph.model import graph_from_workflow

    pipeline = load_pipeline(args.pipeline)
    # The graph needs no store and no model: building the workflow runs no executor.
    workflow = pipeline.create_workflow(None, pipeline.default_chat_client())
    print(to_mermaid(graph_from_workflow(workflow), title=pipeline.name), end="")
    return 0


async def _journal(args: argparse.Namespace) -> int:
    async with opened(args, create=False) as storage:
        return await journal_command(args, storage)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return asyncio.run(_run(args))
    if args.command == "resume":
        return asyncio.run(_resume(args))
    if args.command in TRAVEL_COMMANDS:
        return asyncio.run(run_travel(args))
    if args.command == "checkpoints":
        return asyncio.run(_checkpoints(args))
    if args.command in ("runs", "attach"):
        return asyncio.run(_journal(args))
    if args.command == "serve":
        return _serve(args)
    if args.command == "graph":
        return _graph(args)
    return _app(args)
