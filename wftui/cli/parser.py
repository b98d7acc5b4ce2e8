"""The command line's shape: commands, options and their help."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from wftui.agents.backends import AUTO, chat_backend_names
from wftui.cli.costs import add_cost_options
from wftui.cli.journal_commands import add_journal_commands
from wftui.cli.llm import add_llm_options
from wftui.cli.stores import add_store_options
from wftui.cli.travel import (
    TRAVEL_COMMANDS,
    add_checkpoint_actions,
    add_travel_commands,
    steps_count,
)
from wftui.loader import DEFAULT_PIPELINE

COMMANDS = (
    "app",
    "run",
    "resume",
    "checkpoints",
    "serve",
    "graph",
    "runs",
    "attach",
    *TRAVEL_COMMANDS,
)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    _add_debug(parser)


def _add_debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _add_chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chat",
        default=AUTO,
        choices=(AUTO, *chat_backend_names()),
        help="chat backend for agents (auto: Azure if AZURE_OPENAI_ENDPOINT is set, "
        "else OpenAI if OPENAI_API_KEY or OPENAI_BASE_URL is set, else local)",
    )
    parser.add_argument("--env-file", help="read settings from this .env file (default ./.env)")
    parser.add_argument(
        "--llm-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="fail a model call that receives nothing for this long; a long answer that keeps "
        "arriving is not cut (env WFTUI_LLM_TIMEOUT; default 60)",
    )
    parser.add_argument(
        "--llm-retries",
        type=_count,
        default=2,
        metavar="N",
        help="retries of a model call that failed before answering (default %(default)s)",
    )
    add_cost_options(parser)
    add_llm_options(parser)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _add_json_events(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print each event as one JSON object per line"
    )


def _pipeline_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pipeline",
        nargs="?",
        default=None,
        help=f"pipeline file path or module name (default {DEFAULT_PIPELINE})",
    )


def _add_checkpoints(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    checkpoints = commands.add_parser("checkpoints", help="list, show or delete checkpoints")
    checkpoints.set_defaults(print_checkpoints_help=checkpoints.print_help)
    checkpoint_commands = checkpoints.add_subparsers(dest="checkpoints_command", metavar="ACTION")
    listing = checkpoint_commands.add_parser("list", help="list checkpoints, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON summaries")
    listing.add_argument("--run", help="only this run (workflow id or prefix)")
    _add_common(listing)
    add_checkpoint_actions(checkpoint_commands, listing, _add_common)
    show = checkpoint_commands.add_parser("show", help="print one checkpoint in full")
    show.add_argument("checkpoint_id")
    add_cost_options(show, limits=False)
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
    copy = checkpoint_commands.add_parser(
        "copy", help="copy checkpoints between two stores (again: only what changed)"
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help="store to read")
    copy.add_argument(
        "--to", dest="destination", required=True, metavar="URL", help="store to write (made)"
    )
    copy.add_argument("--run", help="only this run (workflow id)")
    _add_debug(copy)


def _version() -> str:
    try:
        return version("wftui")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wftui",
        description="Workflow engine with checkpoints and resume, and a terminal app to watch it.",
        epilog="With no command, opens the app: wftui [PIPELINE] [--store URL | --checkpoint-dir DIR]",
    )
    parser.add_argument("--version", action="version", version=f"wftui {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = commands.add_parser("app", help="open the terminal app (the default)")
    _pipeline_argument(app)
    _add_common(app)
    _add_chat(app)

    run = commands.add_parser("run", help="run a pipeline headless, printing events")
    _pipeline_argument(run)
    run.add_argument("--input", help="the run's input (default: the pipeline's own)")
    _add_json_events(run)
    _add_common(run)
    _add_chat(run)

    resume = commands.add_parser("resume", help="resume a checkpoint headless")
    resume.add_argument(
        "checkpoint_id", help="checkpoint id: a unique suffix of 4+ characters (as shown) or prefix"
    )
    _pipeline_argument(resume)
    resume.add_argument(
        "--respond",
        action="append",
        default=[],
        metavar="REQUEST_ID=VALUE",
        help="answer a pending human request (repeatable)",
    )
    resume.add_argument(
        "--steps", type=steps_count, metavar="N", help="run N supersteps, then pause (resumable)"
    )
    _add_json_events(resume)
    _add_common(resume)
    _add_chat(resume)

    _add_checkpoints(commands)
    add_travel_commands(commands, _add_common, _add_chat)
    for journal_parser in add_journal_commands(commands):
        _add_common(journal_parser)

    graph = commands.add_parser("graph", help="print a pipeline's graph (--mermaid for docs)")
    _pipeline_argument(graph)
    graph.add_argument(
        "--mermaid", action="store_true", help="print a Mermaid flowchart (the only format yet)"
    )

    serve = commands.add_parser("serve", help="serve the app in a browser (textual-serve)")
    _pipeline_argument(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    _add_common(serve)
    _add_chat(serve)
    return parser


def normalise(argv: Sequence[str]) -> list[str]:
    """``wftui [PIPELINE] [options]`` means ``wftui app ...``."""
    args = list(argv)
    if any(arg in ("-h", "--help", "--version") for arg in args[:1]):
        return args
    first = next((arg for arg in args if not arg.startswith("-")), None)
    if first not in COMMANDS:
        args.insert(0, "app")
    return args
