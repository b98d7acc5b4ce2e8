"""The storage protocol the engine is handed; backends live beside it."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint


class CheckpointError(Exception):
    """A checkpoint could not be saved, loaded or trusted; the message is for the user."""


class CheckpointEncodingError(CheckpointError):
    """A value cannot be written as typed JSON; the message names its path."""


class CheckpointDecodingError(CheckpointError):
    """A stored checkpoint is corrupt, foreign or names a type that may not be rebuilt."""


class InvalidCheckpointIdError(CheckpointError, ValueError):
    """An id with separators, ``..`` or other characters that could escape the store."""


_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def validate_checkpoint_id(checkpoint_id: object) -> str:
    """The id itself if it is safe as a file name; ``InvalidCheckpointIdError`` otherwise."""
    if isinstance(checkpoint_id, str) and _VALID_ID.fullmatch(checkpoint_id):
        return checkpoint_id
    raise InvalidCheckpointIdError(
        f"invalid checkpoint id {checkpoint_id!r}: use 1-128 letters, digits, '-' or '_' "
        "(no paths, separators or '..')"
    )


@runtime_checkable
class CheckpointStorage(Protocol):
    """Async storage of checkpoints. Every method is safe to call with untrusted ids."""

    async def save_checkpoint(self, checkpoint: WorkflowCheckpoint) -> str:
        """Persist durably; raise ``CheckpointError`` (never warn) when it cannot."""
        ...

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        """The checkpoint, or None when missing; ``CheckpointDecodingError`` when unusable."""
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
