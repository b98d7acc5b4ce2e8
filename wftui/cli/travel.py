"""Time travel from the command line: fork with edits, rerun one executor, diff two
checkpoints, and the runs and their branches as a tree.

Every command that takes a checkpoint loads the pipeline the checkpoint records
(``metadata["execution"]["pipeline"]``) unless PIPELINE is given.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from wftui.checkpoint.codec import parse_checkpoint
from wftui.checkpoint.diff import diff
from wftui.checkpoint.model import CheckpointSummary
from wftui.checkpoint.references import whole_document
from wftui.checkpoint.storage import CheckpointStorage
from wftui.cli.costs import add_cost_options
from wftui.cli.errors import CliError
from wftui.cli.output import print_events, store_names
from wftui.engine.execution import recorded_pipeline
from wftui.ids import IdNames, display_id
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.text import counted

TRAVEL_COMMANDS = ("fork", "rerun")


async def run_travel(args: argparse.Namespace) -> int:
    """``fork`` or ``rerun``."""
    if args.command == "fork":
        return await fork_command(args)
    return await rerun_command(args)


# ----- the parser -----


def add_travel_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Any,
    chat: Any,
) -> None:
    """``fork`` and ``rerun``; ``common`` and ``chat`` add the shared options."""
    fork = commands.add_parser("fork", help="save a copy of a checkpoint with edited values")
    fork.add_argument(
        "checkpoint_id", help="checkpoint id: a unique suffix of 4+ characters (as shown) or prefix"
    )
    _pipeline_argument(fork)
    fork.add_argument(
        "--set",
        action="append",
        default=[],
        dest="edits",
        metavar="PATH=JSON",
        help="replace the value at PATH (as errors name it: shared_state.draft, "
        "messages.upper[0].data) with JSON (repeatable)",
    )
    fork.add_argument("--note", help="why this fork exists (kept in its metadata)")
    fork.add_argument(
        "--json", action="store_true", help="print the new and the original id in full, as JSON"
    )
    common(fork)
    chat(fork)
    rerun = commands.add_parser(
        "rerun", help="run one executor again on its pending messages, saving a child checkpoint"
    )
    rerun.add_argument(
        "checkpoint_id", help="checkpoint id: a unique suffix of 4+ characters (as shown) or prefix"
    )
    rerun.add_argument("executor", help="the executor to run")
    _pipeline_argument(rerun)
    rerun.add_argument("--json", action="store_true", help="print events as JSON lines")
    common(rerun)
    chat(rerun)


def steps_count(text: str) -> int:
    """``--steps N``: a whole number of supersteps, at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _pipeline_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pipeline",
        nargs="?",
        default=None,
        help="pipeline file path or module name (default: the one the checkpoint records)",
    )


def add_checkpoint_actions(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    listing: argparse.ArgumentParser,
    common: Any,
) -> None:
    """``checkpoints diff`` and ``checkpoints list --tree``."""
    listing.add_argument(
        "--tree", action="store_true", help="runs and their branches as a tree, newest run first"
    )
    add_cost_options(listing, limits=False)  # --json prices each checkpoint's ledger
    compare = actions.add_parser("diff", help="what changed between two checkpoints")
    compare.add_argument(
        "a",
        metavar="A",
        help="checkpoint id: a unique suffix of 4+ characters (as shown) or prefix",
    )
    compare.add_argument("b", metavar="B", nargs="?", help="default: compare A with its parent")
    compare.add_argument("--json", action="store_true", help="stable JSON for scripts")
    common(compare)


# ----- pipelines a checkpoint records -----


async def document_of(storage: CheckpointStorage, checkpoint_id: str) -> dict[str, Any]:
    """A checkpoint's typed-JSON document, values referred to elsewhere filled in (not decoded)."""
    document = await whole_document(storage, checkpoint_id, parse_checkpoint)
    if document is None:
        raise CliError(f"no checkpoint {display_id(checkpoint_id)!r}")
    return document


async def pipeline_for(
    storage: CheckpointStorage, checkpoint_id: str, given: str | None
) -> PipelineSpec:
    """The pipeline named on the command line, else the one the checkpoint records."""
    if given:
        return load_pipeline(given)
    document = await document_of(storage, checkpoint_id)
    return load_pipeline(recorded_pipeline(document.get("metadata")))


# ----- the commands -----


def _parse_edits(pairs: Sequence[str]) -> dict[str, Any]:
    edits: dict[str, Any] = {}
    for pair in pairs:
        path, separator, text = pair.partition("=")
        if not separator or not path:
            raise CliError(f"--set takes PATH=JSON, not {pair!r}")
        try:
            edits[path] = json.loads(text)
        except json.JSONDecodeError as error:
            raise CliError(f"--set {path}: the value is not JSON ({error.msg}): {text!r}") from None
    return edits


async def fork_command(args: argparse.Namespace) -> int:
    from wftui.cli.stores import opened

    edits = _parse_edits(args.edits)
    async with opened(args, create=False) as storage:
        return await _fork_in(args, storage, edits)


async def _fork_in(
    args: argparse.Namespace, storage: CheckpointStorage, edits: dict[str, Any]
) -> int:
    from wftui.cli.commands import at_checkpoint

    at = await at_checkpoint(args, storage)
    new_id = await at.workflow.fork(at.checkpoint_id, edits=edits, note=args.note)
    if args.json:
        print(json.dumps({"checkpoint_id": new_id, "forked_from": at.checkpoint_id}))
    else:
        print((await store_names(storage)).name(new_id))
    return 0


async def rerun_command(args: argparse.Namespace) -> int:
    from wftui.cli.stores import opened

    async with opened(args, create=False) as storage:
        return await _rerun_in(args, storage)


async def _rerun_in(args: argparse.Namespace, storage: CheckpointStorage) -> int:
    from wftui.cli.commands import _header, at_checkpoint

    at = await at_checkpoint(args, storage)
    names = await store_names(storage)
    shown = names.name(at.checkpoint_id)
    _header(args, f"pipeline: {at.pipeline.name} | rerunning {args.executor} at {shown}")
    events = at.workflow.rerun_stream(at.checkpoint_id, args.executor, raise_on_failure=False)
    return await print_events(args, events, names, resumed_from=at.checkpoint_id)


async def diff_command(storage: CheckpointStorage, args: argparse.Namespace) -> int:
    from wftui.cli.commands import _resolve_id

    first = await document_of(storage, await _resolve_id(args, storage, args.a))
    if args.b is None:
        parent = first.get("parent_checkpoint_id")
        if not isinstance(parent, str):
            raise CliError(f"checkpoint {display_id(args.a)} has no parent; name B")
        before, after = await document_of(storage, parent), first
    else:
        before, after = first, await document_of(storage, await _resolve_id(args, storage, args.b))
    result = diff(before, after)
    print(result.to_json() if args.json else str(result))
    return 0


# ----- the tree -----


@dataclass
class _Node:
    summary: CheckpointSummary
    name: str  # the id as shown
    kind: str = ""  # the execution that wrote it: run, resume, fork, step, rerun, answer
    execution: str = ""
    children: list[_Node] = field(default_factory=list)


async def _executions(storage: CheckpointStorage, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """{checkpoint id: (execution kind, execution id)} from each document's metadata."""
    found: dict[str, tuple[str, str]] = {}
    for checkpoint_id in ids:
        data = await storage.load_document(checkpoint_id)
        if data is None:
            continue
        metadata = orjson.loads(data).get("metadata")
        execution = metadata.get("execution") if isinstance(metadata, dict) else None
        if isinstance(execution, dict):
            found[checkpoint_id] = (str(execution.get("kind", "")), str(execution.get("id", "")))
    return found


async def tree_lines(
    storage: CheckpointStorage,
    summaries: Sequence[CheckpointSummary],
    names: IdNames,
    runs_names: IdNames,
) -> list[str]:
    """The runs newest first; in a run, checkpoints by superstep, each branch (a checkpoint a
    later execution continued from, or a fork) indented under the checkpoint it came from.
    Checkpoints and runs are shown by their names in the store (``wftui.ids``)."""
    executions = await _executions(storage, [s.checkpoint_id for s in summaries])
    runs: dict[str, list[_Node]] = {}
    for summary in sorted(summaries, key=lambda s: (s.iteration_count, s.timestamp)):
        kind, execution = executions.get(summary.checkpoint_id, ("", ""))
        node = _Node(summary, names.name(summary.checkpoint_id), kind, execution)
        runs.setdefault(summary.workflow_id, []).append(node)
    newest_first = sorted(runs.values(), key=lambda nodes: max(n.summary.timestamp for n in nodes))
    lines: list[str] = []
    for nodes in reversed(newest_first):
        body, last = _run_lines(nodes)
        lines.append(_run_header(nodes, last, runs_names.name(nodes[0].summary.workflow_id)))
        lines.extend(body)
    return lines


def _run_header(nodes: list[_Node], last: _Node, run_name: str) -> str:
    """The run's id, name, start, outcome (where its main line ended) and size."""
    from wftui.tui.status import CHECKPOINT_LOOK  # the app's own words for a status

    first = nodes[0].summary
    started = min(n.summary.timestamp for n in nodes)[:19].replace("T", " ")
    outcome = CHECKPOINT_LOOK[last.summary.status][0]
    count = len(nodes)
    name = first.workflow_name or "(unnamed)"
    return (
        f"run {run_name}  {name}  started {started} UTC  {outcome}  {counted(count, 'checkpoint')}"
    )


def _run_lines(nodes: list[_Node]) -> tuple[list[str], _Node]:
    """The run's lines, and the last checkpoint of its main line (its outcome)."""
    by_id = {node.summary.checkpoint_id: node for node in nodes}
    roots: list[_Node] = []
    for node in nodes:
        parent = by_id.get(node.summary.parent_checkpoint_id or "")
        (parent.children if parent is not None else roots).append(node)
    lines: list[str] = []
    last = roots[0]
    # (node, depth, parent, starts a branch): iterative, so a run of thousands of supersteps
    # cannot overflow; a node's branches are printed before the line it continues.
    stack: list[tuple[_Node, int, _Node | None, bool]] = [
        (root, 1, None, False) for root in reversed(roots)
    ]
    while stack:
        node, depth, parent, starts = stack.pop()
        lines.append(_node_line(node, depth, parent, starts=starts))
        if depth == 1:
            last = node
        ordered = sorted(node.children, key=lambda child: child.summary.timestamp)
        line = ordered[0] if ordered and ordered[0].kind not in _ALWAYS_BRANCH else None
        if line is not None:
            stack.append((line, depth, node, False))
        branches = [child for child in ordered if child is not line]
        stack.extend((child, depth + 1, node, True) for child in reversed(branches))
    return lines, last


# A fork or a rerun holds state no run reached, so it branches even from the newest checkpoint.
_ALWAYS_BRANCH = ("fork", "rerun")


def _node_line(node: _Node, depth: int, parent: _Node | None, *, starts: bool) -> str:
    summary = node.summary
    # A branch's first line is marked; the lines continuing it align with its text.
    indent = "  " * depth + ("└ " if starts else "  " if depth > 1 else "")
    # The kind shows where a new execution took over (a resume, step, fork, rerun).
    new_execution = parent is not None and node.kind and node.execution != parent.execution
    kind = f"[{node.kind}] " if new_execution else ""
    from wftui.tui.status import CHECKPOINT_LOOK

    status = CHECKPOINT_LOOK[summary.status][0]
    next_ids = ", ".join(summary.next_executor_ids)
    return f"{indent}{kind}superstep {summary.iteration_count}  {node.name}  {status}" + (
        f"  next: {next_ids}" if next_ids else ""
    )
