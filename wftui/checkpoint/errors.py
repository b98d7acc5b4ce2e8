"""What can go wrong with a checkpoint; every message is one line for the user."""

from __future__ import annotations


class CheckpointError(Exception):
    """A checkpoint could not be saved, loaded or trusted; the message is for the user."""


class CheckpointEncodingError(CheckpointError):
    """A value cannot be written as typed JSON; the message names its path."""


class CheckpointDecodingError(CheckpointError):
    """A stored checkpoint is corrupt, foreign or names a type that may not be rebuilt."""


class InvalidCheckpointIdError(CheckpointError, ValueError):
    """An id with separators, ``..`` or other characters that could escape the store."""
