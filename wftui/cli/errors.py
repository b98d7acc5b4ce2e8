"""What the CLI treats as the user's problem (one line, or a short list where there are several
things to say) rather than a bug (a traceback hint)."""

from __future__ import annotations

EXIT_FAILED_RUN = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def user_message(error: BaseException) -> str:
    """What the user reads: the error's line, or for a graph that changed under a checkpoint,
    a head line and one line per difference."""
    from wftui.engine.errors import GraphMismatchError
    from wftui.tui.graph_changes import mismatch_text

    return mismatch_text(error) if isinstance(error, GraphMismatchError) else str(error)


def user_errors() -> tuple[type[BaseException], ...]:
    from wftui.agents.errors import ChatClientError, ConfigurationError
    from wftui.checkpoint.storage import CheckpointError
    from wftui.engine.executor import WorkflowDefinitionError
    from wftui.engine.workflow import WorkflowRunError
    from wftui.loader import PipelineLoadError

    return (
        CliError,
        CheckpointError,
        PipelineLoadError,
        WorkflowRunError,
        WorkflowDefinitionError,
        ConfigurationError,
        ChatClientError,
    )
