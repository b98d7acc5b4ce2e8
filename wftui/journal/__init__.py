"""The run journal: every execution's events and heartbeat, kept beside its checkpoints.

Checkpoints alone resume a run; the journal is for seeing one, from any process: ``wftui runs``
lists executions, ``wftui attach`` tails one, the app follows runs that other processes drive,
and answers to human requests posted here reach the process that waits for them.
"""

from __future__ import annotations

import weakref

from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.storage import CheckpointError, CheckpointStorage
from wftui.journal.files import FileJournal
from wftui.journal.memory import MemoryJournal
from wftui.journal.model import HEARTBEAT_SECONDS, LOST, RUNNING, Entry, Execution, Journal
from wftui.journal.writer import JournalWriter, journaled, run_of, stored_fields

_memory_journals: weakref.WeakKeyDictionary[InMemoryCheckpointStorage, MemoryJournal] = (
    weakref.WeakKeyDictionary()
)


def journal_for(storage: CheckpointStorage) -> Journal:
    """The journal that lives beside ``storage``'s checkpoints."""
    if isinstance(storage, FileCheckpointStorage):
        return FileJournal(storage.storage_path / "journal")
    if isinstance(storage, InMemoryCheckpointStorage):
        return _memory_journals.setdefault(storage, MemoryJournal())
    from wftui.checkpoint.sql import PostgresCheckpointStorage, SqliteCheckpointStorage
    from wftui.journal.sql import PostgresJournal, SqliteJournal

    if isinstance(storage, SqliteCheckpointStorage):
        return SqliteJournal(storage)
    if isinstance(storage, PostgresCheckpointStorage):
        return PostgresJournal(storage)
    raise CheckpointError(f"{type(storage).__name__} keeps no run journal")


__all__ = [
    "HEARTBEAT_SECONDS",
    "LOST",
    "RUNNING",
    "Entry",
    "Execution",
    "Journal",
    "JournalWriter",
    "journal_for",
    "journaled",
    "run_of",
    "stored_fields",
]
