"""The file work of one group of saves: every file written (temp file and rename, no sync),
then made durable by one commit of the folder's log.

Kept apart from the storage object, with plain data in and out, so that it runs the same in
the save thread or in the save worker process (``worker.py``), which does it without ever
waiting for this process's GIL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wftui.checkpoint.file import osio
from wftui.checkpoint.file.cache import Link
from wftui.checkpoint.file.commitlog import commit_log
from wftui.checkpoint.file.recent import FolderWitness
from wftui.checkpoint.file.spares import Spares


@dataclass(slots=True)
class GroupJob:
    """One save as the file work needs it."""

    checkpoint_id: str
    path: str
    data: bytes
    parent_id: str | None
    # The checkpoints whose values it refers to: it is written only once they are durable.
    refers: frozenset[str]
    # The checkpoint it follows failed to save in an earlier group: it fails too, unwritten.
    parent_unsaved: bool = False


@dataclass(slots=True)
class Outcome:
    """What became of one job: written and durable (with the file's size and ctime), or why
    not (``where``: the reason is about the folder, so the message names it)."""

    size: int = 0
    ctime_ns: int = 0
    failure: str | None = None
    where: bool = False


# Jobs made durable by one commit, by their index in the group, and the link the folder's
# witness saw around their renames (``recent.py``).
Segment = tuple[Link | None, list[tuple[int, Outcome]]]


def write_group(
    folder: str, max_file_size: int, jobs: list[GroupJob], spares: Spares
) -> list[Segment]:
    """Write and commit ``jobs`` in order. A job fails alone if its file cannot be written or
    the checkpoint it follows was not saved (it may refer to that one); all of a commit fail if
    the commit does. A job referring to a checkpoint of the group is written after a commit of
    the jobs before it, so no file can outlive, in a power cut, one it refers to. Files made
    ahead (``spares``: the worker's or the save thread's) are filled when there are some."""
    segments: list[Segment] = []
    outcomes: list[tuple[int, Outcome]] = []
    written: list[GroupJob] = []
    unsaved: set[str | None] = {job.parent_id for job in jobs if job.parent_unsaved}
    witness = FolderWitness(folder)
    spares.expect(folder, len(jobs))
    for index, job in enumerate(jobs):
        if job.refers and any(done.checkpoint_id in job.refers for done in written):
            segments.append(_committed(folder, max_file_size, written, outcomes, witness, unsaved))
            outcomes, written, witness = [], [], FolderWitness(folder)
        if job.parent_id is not None and job.parent_id in unsaved:
            reason = f"the checkpoint it follows, {job.parent_id}, was not saved"
            outcomes.append((index, Outcome(failure=reason)))
            unsaved.add(job.checkpoint_id)
            continue
        try:
            with witness:
                spares.place(folder, job.path, job.data)
            changed = os.lstat(job.path)  # the link (or rename) changed its ctime
        except OSError as error:
            outcomes.append((index, Outcome(failure=f"{error.strerror or error}", where=True)))
            unsaved.add(job.checkpoint_id)
            continue
        outcomes.append((index, Outcome(changed.st_size, changed.st_ctime_ns)))
        written.append(job)
    segments.append(_committed(folder, max_file_size, written, outcomes, witness, unsaved))
    return segments


def _committed(
    folder: str,
    max_file_size: int,
    written: list[GroupJob],
    outcomes: list[tuple[int, Outcome]],
    witness: FolderWitness,
    unsaved: set[str | None],
) -> Segment:
    """Make the written jobs durable by one commit: through the commit log, or (if the log is
    unusable, e.g. a link was put in its place) by syncing the files and the folder."""
    if not written:
        return witness.link(), outcomes
    try:
        try:
            log = commit_log(folder, max_file_size)
            log.commit_saves([(job.checkpoint_id, job.data) for job in written])
        except osio.UnsafeFileError:
            for job in written:
                osio.sync_file(job.path)
    except OSError as error:
        for job in written:
            osio.discard(job.path)  # not durable: never leave it to look saved
            unsaved.add(job.checkpoint_id)
        failed = Outcome(failure=f"{error.strerror or error}", where=True)
        outcomes = [(index, failed if ok.failure is None else ok) for index, ok in outcomes]
    return witness.link(), outcomes
