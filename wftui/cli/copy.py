"""``wftui checkpoints copy --from URL --to URL [--run ID]``: a store into another, with progress,
and what ``prune`` removes beside a run's checkpoints.

Journals and cassettes live beside the checkpoints in every store, so they travel with a copy
and go with a pruned run. A progress bar on a terminal (rich, which Textual already brings);
otherwise a plain counter on stderr at most once a second, so logs stay short.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from wftui.checkpoint.copy import CopyStep, copy_checkpoints
from wftui.checkpoint.copy import Progress as OnProgress
from wftui.checkpoint.storage import CheckpointStorage
from wftui.checkpoint.stores import display_url, open_store
from wftui.cli.errors import EXIT_FAILED_RUN
from wftui.cli.stores import close_store
from wftui.tui.text import counted, plural_noun

_PLAIN_EVERY_S = 1.0


@contextmanager
def _progress(what: str) -> Iterator[OnProgress]:
    if sys.stderr.isatty():
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(what, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = 0.0

    def count(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done == total or now - last >= _PLAIN_EVERY_S:
            last = now
            print(f"{what}: {done}/{total}", file=sys.stderr, flush=True)

    yield count


def _beside() -> list[CopyStep]:
    """The copy steps for what lives beside checkpoints (imported only for a copy)."""
    from wftui.agents.cassette_stores import copy_cassettes
    from wftui.journal import copy_journals

    return [copy_journals, copy_cassettes]


async def copy_command(args: argparse.Namespace) -> int:
    source = open_store(args.source, create=False)
    try:
        destination = open_store(args.destination, create=True)
        try:
            what = f"copying {display_url(args.source)} -> {display_url(args.destination)}"
            with _progress(what) as progress:
                report = await copy_checkpoints(
                    source, destination, run=args.run, progress=progress, steps=_beside()
                )
        finally:
            await close_store(destination)
    finally:
        await close_store(source)
    skipped = [*report.skipped, *(why for step in report.beside for why in step.skipped)]
    for why in skipped:
        print(f"warning: not copied: {why}", file=sys.stderr)
    print(
        f"copied {counted(report.copied, 'checkpoint')}, {report.unchanged} already there"
        + (f", {len(report.skipped)} unreadable (see above)" if report.skipped else "")
    )
    for step in report.beside:
        if step.copied or step.unchanged:
            noun, nouns = plural_noun(step.what)
            print(f"copied {counted(step.copied, noun, nouns)}, {step.unchanged} already there")
    return EXIT_FAILED_RUN if skipped else 0


async def prune_beside(storage: CheckpointStorage, runs: list[str], *, dry_run: bool) -> str:
    """Remove (or with ``dry_run`` count) the journals and cassettes of pruned ``runs``; says
    what went, or "" when nothing did.

    A run's cassette holds every answer the run was given (replayed ones included), so no kept
    run's replay needs a pruned run's cassette.
    """
    from wftui.agents.cassette_stores import cassette_store_for, delete_cassettes
    from wftui.journal import delete_journals, journal_for

    if dry_run:
        journal = journal_for(storage)
        try:
            journals = sum(e.run in runs for e in await journal.executions())
        finally:
            await journal.close()
        cassettes = cassette_store_for(storage)
        held = set(await cassettes.run_ids()) if cassettes is not None else set()
        recorded = len(held & set(runs))
    else:
        journals = await delete_journals(storage, runs)
        recorded = await delete_cassettes(storage, runs)
    parts = [
        counted(journals, "journal") if journals else "",
        counted(recorded, "cassette") if recorded else "",
    ]
    return " and ".join(part for part in parts if part)
