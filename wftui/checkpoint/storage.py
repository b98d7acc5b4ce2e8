"""The storage protocol the engine is handed; backends live beside it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from wftui.checkpoint.errors import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointError,
    InvalidCheckpointIdError,
)
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint

__all__ = [
    "CheckpointDecodingError",
    "CheckpointEncodingError",
    "CheckpointError",
    "CheckpointStorage",
    "InvalidCheckpointIdError",
    "validate_checkpoint_id",
]


@runtime_checkable
class CheckpointStorage(Protocol):
    """Async storage of checkpoints. Every method is safe to call with untrusted ids."""

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        """Persist durably; raise ``CheckpointError`` (never warn) when it cannot.

        ``encoded`` offers typed JSON already made for some values; a fragment is used only
        while the checkpoint still holds the very object it was made from.
        """
        ...

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        """The checkpoint, or None when missing; ``CheckpointDecodingError`` when unusable."""
        ...

    async def load_document(self, checkpoint_id: str) -> bytes | None:
        """The stored document verbatim (values still typed JSON), or None when missing: for
        showing or comparing a checkpoint without importing its pipeline's types."""
        ...

    async def load_with_fragments(self, checkpoint_id: str) -> LoadedCheckpoint | None:
        """As ``load_checkpoint``, with the stored typed JSON of its state values, so the
        next save of a resumed run need not encode unchanged state again."""
        ...

    async def list_checkpoints(self, workflow_id: str | None = None) -> list[WorkflowCheckpoint]:
        """Every readable checkpoint, oldest first; unreadable files are skipped and reported."""
        ...

    async def list_checkpoint_ids(self, workflow_id: str | None = None) -> list[str]: ...

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        """Newest first, without decoding values; ``limit`` keeps the newest N."""
        ...

    async def delete_checkpoint(self, checkpoint_id: str) -> bool: ...

    async def get_latest(self, workflow_id: str | None = None) -> WorkflowCheckpoint | None:
        """The newest valid checkpoint, never an older one because a newer file is corrupt."""
        ...

    @property
    def problems(self) -> list[ListingProblem]:
        """Files the last listing skipped, with the reason."""
        ...
