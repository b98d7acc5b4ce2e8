"""``wftui runs`` and ``wftui attach``: runs and their executions as the journal has them, and
one run's events tailed live from any terminal; plus journaling the headless run and resume."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from wftui.agents.costs import money
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.storage import CheckpointStorage
from wftui.cli.costs import add_cost_options, cost_settings
from wftui.cli.errors import EXIT_FAILED_RUN, CliError
from wftui.cli.ledgers import Ledger, read_ledgers, run_ledgers
from wftui.cli.output import store_names
from wftui.engine.events import WorkflowEvent
from wftui.ids import IdError, IdNames, resolve_id
from wftui.journal import (
    Entry,
    Execution,
    journal_for,
    journaled,
    run_of,
    stored_fields,
)
from wftui.journal.follow import follow
from wftui.tui.text import Clock, one_line, short_id

# ----- journaling the headless commands -----


def journal_stream(
    storage: CheckpointStorage,
    events: AsyncIterator[WorkflowEvent],
    execution: Execution,
) -> AsyncIterator[WorkflowEvent]:
    """``events`` with this execution journaled beside ``storage``'s checkpoints."""
    return journaled(events, journal_for(storage), execution, storage)


async def posted_answers(storage: CheckpointStorage, checkpoint_id: str) -> dict[str, str]:
    """Answers other terminals posted for the checkpoint's open requests (a resume takes them)."""
    fields = await stored_fields(storage, checkpoint_id)
    run, pending = fields.get("workflow_id"), fields.get("pending_requests")
    if not isinstance(run, str) or not isinstance(pending, dict) or not pending:
        return {}
    posted = await journal_for(storage).answers(run)
    return {key: posted[key] for key in pending if key in posted}


# ----- wftui runs -----


def _duration(execution: Execution) -> float:
    end = execution.ended if execution.ended is not None else time.time()
    return max(end - execution.started, 0.0)


def _run_rows(executions: list[Execution]) -> list[dict[str, Any]]:
    """One row per run, newest first, each with its executions oldest first."""
    runs: dict[str, list[Execution]] = {}
    for execution in executions:
        runs.setdefault(execution.run or f"(no checkpoint yet: {execution.id})", []).append(
            execution
        )
    rows = []
    for run, members in runs.items():
        first, last = members[0], members[-1]
        rows.append(
            {
                "run": run,
                "pipeline": first.pipeline,
                "input": next((m.input for m in members if m.input is not None), None),
                "status": last.status(),
                "started": first.started,
                "duration": sum(_duration(m) for m in members),
                "where": last.where,
                "executions": [m.to_json() | {"status": m.status()} for m in members],
            }
        )
    return sorted(rows, key=lambda row: row["started"], reverse=True)


async def _runs(args: argparse.Namespace, storage: CheckpointStorage) -> int:
    journal = journal_for(storage)
    try:
        rows = _run_rows(await journal.executions())
    finally:
        await journal.close()
    summaries = await storage.list_summaries()
    ledgers = run_ledgers(summaries, await read_ledgers(storage, _checkpoints_of(rows, summaries)))
    prices = cost_settings(args).prices
    for row in rows:
        row["ledger"] = ledgers.get(row["run"], Ledger()).as_json(prices)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("(no runs journaled in this store yet)")
        return 0
    runs = [row["run"] for row in rows if row["executions"][0]["run"]]
    for line in _runs_table(rows, IdNames([*runs, *(s.workflow_id for s in summaries)])):
        print(line)
    return 0


def _checkpoints_of(rows: list[dict[str, Any]], summaries: list[CheckpointSummary]) -> list[str]:
    """The checkpoints of the listed runs: only their ledgers are read."""
    listed = {row["run"] for row in rows}
    return [s.checkpoint_id for s in summaries if s.workflow_id in listed]


def _runs_table(rows: list[dict[str, Any]], names: IdNames) -> list[str]:
    """Runs by their names (as the app shows them) with what they spent, and below each its
    executions: which kind, how it ended, when and where it ran."""
    clock = Clock()
    executions = IdNames(execution["id"] for row in rows for execution in row["executions"])
    shown = {
        row["run"]: names.name(row["run"]) if row["executions"][0]["run"] else "-" for row in rows
    }
    width = max(len("run"), *(len(name) for name in shown.values()))
    lines = [
        f"{'run':<{width}}  {'pipeline':<20}  {'status':<9}  {'started':<14}  {'took':>7}  "
        f"{'tokens':>9}  {'cost':>9}  {'saved':>9}  input"
    ]
    for row in rows:
        spent, saved = row["ledger"]["spent"], row["ledger"]["saved"]
        lines.append(
            f"{shown[row['run']]:<{width}}  {one_line(row['pipeline'] or '-', 20):<20}  "
            f"{row['status']:<9}  {clock.when(row['started']):<14}  {row['duration']:>6.1f}s  "
            f"{_tokens(spent):>9}  {_cost(spent):>9}  {_tokens(saved):>9}  "
            f"{one_line(row['input'] or '-', 40)}"
        )
        for execution in row["executions"]:
            lines.append(
                f"  └ {executions.name(execution['id'])} {execution['kind']:<7} "
                f"{execution['status']:<9}  {clock.when(execution['started']):<14}  "
                f"{execution['host']}:{execution['pid']}"
            )
    return lines


def _tokens(spend: dict[str, Any]) -> str:
    """``1,234``; ``-`` for none; ``+?`` when a call reported no usage."""
    unknown = "+?" if spend["calls_without_usage"] else ""
    return f"{spend['tokens']:,}{unknown}" if spend["tokens"] or unknown else "-"


def _cost(spend: dict[str, Any]) -> str:
    """The cost when every model that used tokens has a price; ``-`` otherwise."""
    if not spend["tokens"] or spend["cost_usd"] is None:
        return "-"
    return money(spend["cost_usd"])


# ----- wftui attach -----


def entry_line(entry: Entry, clock: Clock, names: IdNames) -> str:
    """The line ``wftui run`` prints for the event; a checkpoint by its name in the store,
    which ``resume`` takes."""
    text = entry.text
    if entry.event.get("event") == "CheckpointSavedEvent":
        checkpoint = names.name(str(entry.event.get("checkpoint_id")))
        text = f"{checkpoint} superstep {entry.event.get('iteration')}"
    return f"{clock.time_of_day(entry.time)} {entry.kind:<10} {entry.executor:<20} {text}".rstrip()


async def _attach(args: argparse.Namespace, storage: CheckpointStorage) -> int:
    journal = journal_for(storage)
    try:
        executions = await journal.executions()
        runs = [e.run for e in executions if e.run]
        try:
            run = resolve_id(args.run, reversed(runs), kind="run")
        except IdError as error:
            raise CliError(str(error)) from None
        for pair in args.respond:
            request_id, separator, value = pair.partition("=")
            if not separator or not request_id:
                raise CliError(f"--respond takes REQUEST_ID=VALUE, not {pair!r}")
            await journal.post_answer(run, request_id, value)
            print(
                f"answer to {request_id} posted; the waiting run or its resume takes it",
                file=sys.stderr,
            )
        clock = Clock()
        names = await store_names(storage)
        last: Execution | None = None
        async for execution, entry in follow(journal, run):
            if last is None or execution.id != last.id:
                print(
                    f"# {execution.kind} {short_id(execution.id)} on {execution.where}",
                    flush=True,
                )
            last = execution
            print(
                json.dumps(entry.to_json()) if args.json else entry_line(entry, clock, names),
                flush=True,
            )
        final = (await journal.executions(run))[-1]
    finally:
        await journal.close()
    print(f"run {short_id(run)}: {final.status()}", file=sys.stderr)
    return EXIT_FAILED_RUN if final.status() == "failed" else 0


async def journal_command(args: argparse.Namespace, storage: CheckpointStorage) -> int:
    if args.command == "runs":
        return await _runs(args, storage)
    return await _attach(args, storage)


def add_journal_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> list[argparse.ArgumentParser]:
    """The ``runs`` and ``attach`` parsers (the caller adds the store options)."""
    runs = commands.add_parser(
        "runs", help="list runs and their executions, newest first, with what each spent"
    )
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    add_cost_options(runs, limits=False)
    attach = commands.add_parser(
        "attach", help="print a run's events from the start, then live until it ends"
    )
    attach.add_argument("run", help="run id (a unique prefix, or a suffix of 4+ characters)")
    attach.add_argument("--json", action="store_true", help="print each entry as JSON")
    attach.add_argument(
        "--respond",
        action="append",
        default=[],
        metavar="REQUEST_ID=VALUE",
        help="post an answer to the run's pending request for whoever resumes it (repeatable)",
    )
    return [runs, attach]


__all__ = ["add_journal_commands", "journal_command", "journal_stream", "posted_answers", "run_of"]
