"""``wftui checkpoints copy --from URL --to URL [--run ID]``: a store into another, with progress.

A progress bar on a terminal (rich, which Textual already brings); otherwise a plain counter on
stderr at most once a second, so logs stay short.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from wftui.checkpoint.copy import Progress as OnProgress
from wftui.checkpoint.copy import copy_checkpoints
from wftui.checkpoint.stores import display_url, open_store
from wftui.cli.errors import EXIT_FAILED_RUN
from wftui.cli.stores import close_store

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


async def copy_command(args: argparse.Namespace) -> int:
    source = open_store(args.source, create=False)
    try:
        destination = open_store(args.destination, create=True)
        try:
            what = f"copying {display_url(args.source)} -> {display_url(args.destination)}"
            with _progress(what) as progress:
                report = await copy_checkpoints(
                    source, destination, run=args.run, progress=progress
                )
        finally:
            await close_store(destination)
    finally:
        await close_store(source)
    for skipped in report.skipped:
        print(f"warning: not copied: {skipped}", file=sys.stderr)
    print(
        f"copied {report.copied} checkpoints, {report.unchanged} already there"
        + (f", {len(report.skipped)} unreadable (see above)" if report.skipped else "")
    )
    return EXIT_FAILED_RUN if report.skipped else 0
