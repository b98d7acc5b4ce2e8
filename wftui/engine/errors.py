"""Errors that stop a run from starting or continuing; their messages are for the user."""

from __future__ import annotations

from collections.abc import Sequence

from wftui.engine.events import WorkflowErrorDetails


class WorkflowRunError(Exception):
    """A run cannot start or continue; the message is for the user."""


# Each also subclasses the builtin agent-framework raises in its place, so code written for it
# (``except ValueError``) still catches them.


class CheckpointNotFoundError(WorkflowRunError, RuntimeError):
    pass


class GraphMismatchError(WorkflowRunError, ValueError):
    """The checkpoint was written by a different graph than this workflow's.

    ``head`` says which checkpoint and graphs; ``differences`` lists what differs, one entry each,
    so a UI can show a list without parsing the message.
    """

    def __init__(self, head: str, differences: Sequence[str] = ()) -> None:
        self.head = head
        self.differences = list(differences)
        super().__init__(f"{head}: {'; '.join(self.differences)}" if self.differences else head)


class NoCheckpointStorageError(WorkflowRunError, ValueError):
    """A resume was asked of a workflow built without storage, and none was passed."""


class WorkflowAlreadyRunningError(WorkflowRunError, RuntimeError):
    """A second run of one workflow instance while its first is still going."""


class WorkflowFailedError(WorkflowRunError, RuntimeError):
    """A run failed; its failure events and failed checkpoint were emitted before this.

    Raised at the end of the stream unless the caller passed ``raise_on_failure=False``."""

    def __init__(self, details: WorkflowErrorDetails | None) -> None:
        if details is None:
            super().__init__("workflow run failed (no details were reported)")
        else:
            where = f" in {details.executor_id}" if details.executor_id else ""
            super().__init__(f"workflow run failed{where}: {details.error_type}: {details.message}")
        self.details = details


class EnvelopeInputError(WorkflowRunError, ValueError):
    """``run()`` was handed a ``Message`` envelope instead of the payload it carries."""
