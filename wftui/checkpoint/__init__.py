"""Checkpoints: the model, the typed-JSON codec, the storage protocol and its backends."""

from wftui.checkpoint.codec import register_type
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.model import (
    CheckpointStatus,
    CheckpointSummary,
    ListingProblem,
    WorkflowCheckpoint,
)
from wftui.checkpoint.storage import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointError,
    CheckpointStorage,
    InvalidCheckpointIdError,
)

__all__ = [
    "CheckpointDecodingError",
    "CheckpointEncodingError",
    "CheckpointError",
    "CheckpointStatus",
    "CheckpointStorage",
    "CheckpointSummary",
    "FileCheckpointStorage",
    "InMemoryCheckpointStorage",
    "InvalidCheckpointIdError",
    "ListingProblem",
    "WorkflowCheckpoint",
    "register_type",
]
