"""The command line's side of the ledger: price and budget options, the spending limits of the
runs a command starts, and what a run or a checkpoint cost."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from wftui.agents.budget import Budget, spending_limits
from wftui.agents.costs import CostSettings, Spend, ledger_totals, load_cost_settings
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.events import CheckpointSavedEvent, WorkflowEvent


def add_cost_options(parser: argparse.ArgumentParser, *, limits: bool = True) -> None:
    parser.add_argument(
        "--prices",
        metavar="FILE",
        help="TOML table of model -> input/output/cached US dollars per million tokens "
        "(env WFTUI_PRICES; default: prices in wftui's settings; without a price, tokens are "
        "shown without a cost)",
    )
    if not limits:
        return
    parser.add_argument(
        "--max-tokens",
        type=_whole,
        metavar="N",
        help="stop the run before a model call once it has used N tokens (resumable; "
        "env WFTUI_MAX_TOKENS)",
    )
    parser.add_argument(
        "--max-cost",
        type=_dollars,
        metavar="USD",
        help="stop the run before a model call once it has cost this much by the prices "
        "(resumable; env WFTUI_MAX_COST)",
    )


def _whole(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def _dollars(text: str) -> float:
    try:
        amount = float(text.lstrip("$"))
    except ValueError:
        amount = -1.0
    if not 0 < amount < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of US dollars above 0")
    return amount


def cost_settings(args: argparse.Namespace) -> CostSettings:
    return load_cost_settings(
        prices_file=getattr(args, "prices", None),
        max_tokens=getattr(args, "max_tokens", None),
        max_cost=getattr(args, "max_cost", None),
    )


def cost_flags(args: argparse.Namespace) -> list[str]:
    """This invocation's price and budget flags, for a command that starts another wftui."""
    words: list[str] = []
    for flag, name in (
        ("--prices", "prices"),
        ("--max-tokens", "max_tokens"),
        ("--max-cost", "max_cost"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            words += [flag, str(value)]
    return words


@contextlib.contextmanager
def run_budget(args: argparse.Namespace) -> Iterator[None]:
    """Commands that run a workflow keep to the budget of settings, environment and flags."""
    if not hasattr(args, "max_tokens"):
        yield
        return
    settings = cost_settings(args)
    with spending_limits(Budget(settings.max_tokens, settings.max_cost, settings.prices)):
        yield


async def report_spending(
    args: argparse.Namespace, storage: CheckpointStorage, events: AsyncIterator[WorkflowEvent]
) -> AsyncIterator[WorkflowEvent]:
    """Pass the events on; after the run, one line on stderr of what it spent and what
    resuming saved (stderr, as the other after-run hints: stdout stays the events)."""
    last = ""
    async for event in events:
        if isinstance(event, CheckpointSavedEvent):
            last = event.checkpoint_id
        yield event
    checkpoint = await storage.load_checkpoint(last) if last else None
    if checkpoint is None:
        return
    line = spending_line(checkpoint.metadata, cost_settings(args))
    if line:
        print(line, file=sys.stderr, flush=True)


def spending_line(metadata: dict[str, Any], settings: CostSettings) -> str:
    """``spent: 18 tok $0.0190 2.1s | saved by resuming: 9 tok $0.0095``, or nothing for a run
    that reported no tokens (local functions)."""
    totals = Spend.of(metadata.get("ledger", {}).get("totals", {}), settings.prices)
    saved = Spend.of(metadata.get("ledger", {}).get("saved", {}), settings.prices)
    if not (totals.tokens or saved.tokens):
        return ""
    line = f"spent: {totals.short()}"
    return f"{line} | saved by resuming: {saved.short()}" if saved.short() else line


def with_ledger(document: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``checkpoints show``: the document plus its ledger summed up (tokens, calls, seconds,
    cost when priced) for the run, per executor and for the checkpoint's superstep."""
    metadata = document.get("metadata")
    prices = cost_settings(args).prices
    return {
        **document,
        "ledger": ledger_totals(metadata if isinstance(metadata, dict) else {}, prices),
    }
