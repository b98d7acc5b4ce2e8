"""The run journal: every execution's events and heartbeat, kept beside its checkpoints.

Checkpoints alone resume a run; the journal is for seeing one, from any process: ``wftui runs``
lists executions, ``wftui attach`` tails one, the app follows runs that other processes drive,
and answers to human requests posted here reach the process that waits for them.
"""

from __future__ import annotations

import weakref

from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.storage import CheckpointStorage
from wftui.journal.files import FileJournal
from wftui.journal.memory import MemoryJournal
from wftui.journal.model import (
    HEARTBEAT_SECONDS,
    LOST,
    RUNNING,
    Entry,
    Execution,
    Journal,
    JournalChange,
)
from wftui.journal.transfer import copy_journals, delete_journals
from wftui.journal.writer import JournalWriter, journaled, run_of, stored_fields

_memory_journals: weakref.WeakKeyDictionary[CheckpointStorage, MemoryJournal] = (
    weakref.WeakKeyDictionary()
)


def journal_for(storage: CheckpointStorage) -> Journal:
    """The journal that lives beside ``storage``'s checkpoints.

    A storage of another kind (a third party's) gets one in this process's memory: its runs
    still run and show here, but other processes cannot see them.
    """
    if isinstance(storage, FileCheckpointStorage):
        return FileJournal(storage.storage_path / "journal")
    from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
    from wftui.journal.sql import PostgresJournal, SqliteJournal

    if isinstance(storage, SqliteCheckpointStorage):
        return SqliteJournal(storage)
    if isinstance(storage, PostgresCheckpointStorage):
        return PostgresJournal(storage)
    return _memory_journals.setdefault(storage, MemoryJournal())


__all__ = [
    "HEARTBEAT_SECONDS",
    "LOST",
    "RUNNING",
    "Entry",
    "Execution",
    "Journal",
    "JournalChange",
    "JournalWriter",
    "copy_journals",
    "delete_journals",
    "journal_for",
    "journaled",
    "run_of",
    "stored_fields",
]
