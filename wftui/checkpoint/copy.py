"""Copying checkpoints between any two stores, as the very documents stored.

Documents move verbatim (``load_document`` -> ``save_document``): nothing is decoded, so a copy
needs none of a pipeline's types and a checkpoint reads the same in its new store. A document the
destination already holds byte for byte is left alone, which makes copying again cheap and
idempotent. What else lives beside checkpoints (run journals, cassettes) is copied by the
``steps`` a caller passes, after the checkpoints, with the same promise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from wftui.checkpoint.capabilities import DocumentStorage
from wftui.checkpoint.errors import CheckpointDecodingError, CheckpointError
from wftui.checkpoint.storage import CheckpointStorage

# Called after each checkpoint with (done, total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Copied:
    """What one step copied: ``copied`` written, ``unchanged`` already there as they are."""

    what: str  # "journals", "cassettes", ...
    copied: int = 0
    unchanged: int = 0
    skipped: tuple[str, ...] = ()  # why something was not copied, one line each


# A step copies something else that lives beside the checkpoints, for one run (or all).
CopyStep = Callable[[CheckpointStorage, CheckpointStorage, str | None], Awaitable[Copied]]


@dataclass
class CopyReport:
    copied: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # "id: why", for documents that do not parse
    beside: list[Copied] = field(default_factory=list)  # what each step copied


async def copy_checkpoints(
    source: CheckpointStorage,
    destination: CheckpointStorage,
    *,
    run: str | None = None,
    progress: Progress | None = None,
    steps: Sequence[CopyStep] = (),
) -> CopyReport:
    """Every checkpoint of ``source`` (of one run if given) into ``destination``, oldest first,
    then whatever ``steps`` copy."""
    if not isinstance(destination, DocumentStorage):
        raise CheckpointError(
            f"the destination store ({type(destination).__name__}) cannot take documents verbatim"
        )
    report = CopyReport()
    ids = await source.list_checkpoint_ids(run)
    for problem in source.problems:
        report.skipped.append(f"{problem.path}: {problem.reason}")
    for done, checkpoint_id in enumerate(ids, start=1):
        data = await source.load_document(checkpoint_id)
        if data is not None:  # deleted since it was listed: nothing to copy
            if await destination.load_document(checkpoint_id) == data:
                report.unchanged += 1
            else:
                try:
                    await destination.save_document(data)
                    report.copied += 1
                except CheckpointDecodingError as error:
                    report.skipped.append(f"{checkpoint_id}: {error}")
        if progress is not None:
            progress(done, len(ids))
    for step in steps:
        report.beside.append(await step(source, destination, run))
    return report
