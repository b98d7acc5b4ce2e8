"""Checkpoint ids are file names and database keys: only characters that cannot escape a store."""

from __future__ import annotations

import re

from wftui.checkpoint.errors import InvalidCheckpointIdError

_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def validate_checkpoint_id(checkpoint_id: object) -> str:
    """The id itself if it is safe as a file name; ``InvalidCheckpointIdError`` otherwise."""
    if isinstance(checkpoint_id, str) and _VALID_ID.fullmatch(checkpoint_id):
        return checkpoint_id
    raise InvalidCheckpointIdError(
        f"invalid checkpoint id {checkpoint_id!r}: use 1-128 letters, digits, '-' or '_' "
        "(no paths, separators or '..')"
    )
