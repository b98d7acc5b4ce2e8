"""Errors that stop a run from starting or continuing; their messages are for the user."""

from __future__ import annotations


class WorkflowRunError(Exception):
    """A run cannot start or continue; the message is for the user."""


class CheckpointNotFoundError(WorkflowRunError):
    pass


class GraphMismatchError(WorkflowRunError):
    """The checkpoint was written by a different graph than this workflow's."""
