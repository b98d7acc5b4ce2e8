"""wftui: an async workflow engine with durable checkpoints and resume, and a terminal app.

The names here are the seed notebook's (agent-framework's), so its code runs with only its
imports changed. The Azure and OpenAI clients live in ``wftui.azure`` and ``wftui.openai``.

Names are imported when first used (module ``__getattr__``), so ``import wftui`` costs nothing
and a script that only builds a workflow never loads an SDK, Textual or the file library.
"""

# The type-checking imports exist for type checkers only; __getattr__ serves them at run time.
# ruff: noqa: F401

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wftui.agents import (
        AgentExecutor,
        AgentExecutorRequest,
        AgentExecutorResponse,
        AgentRunEvent,
        AgentRunResponse,
        AgentRunResponseUpdate,
        AgentRunUpdateEvent,
        AgentThread,
        BaseAgent,
        ChatAgent,
        ChatClient,
        ChatClientError,
        ChatMessage,
        ConfigurationError,
        FunctionCallContent,
        FunctionChatClient,
        FunctionResultContent,
        Role,
        TextContent,
        UsageContent,
        UsageDetails,
        WorkflowAgent,
    )
    from wftui.checkpoint import (
        CheckpointError,
        CheckpointStatus,
        CheckpointStorage,
        CheckpointSummary,
        FileCheckpointStorage,
        InMemoryCheckpointStorage,
        ListingProblem,
        WorkflowCheckpoint,
        register_type,
    )
    from wftui.engine import (
        Case,
        CheckpointNotFoundError,
        CheckpointSavedEvent,
        Default,
        EdgeGroup,
        EnvelopeInputError,
        Executor,
        ExecutorCompletedEvent,
        ExecutorEvent,
        ExecutorFailedEvent,
        ExecutorInvokedEvent,
        ExecutorInvokeEvent,
        ExecutorProvider,
        FanInEdgeGroup,
        FanOutEdgeGroup,
        FunctionExecutor,
        GraphMismatchError,
        Message,
        NoCheckpointStorageError,
        RequestInfoEvent,
        RequestInfoExecutor,
        RequestInfoMessage,
        RequestResponse,
        SingleEdgeGroup,
        SuperStepCompletedEvent,
        SuperStepStartedEvent,
        SwitchCaseEdgeGroup,
        Workflow,
        WorkflowAlreadyRunningError,
        WorkflowBuilder,
        WorkflowCheckpointSummary,
        WorkflowContext,
        WorkflowDefinitionError,
        WorkflowErrorDetails,
        WorkflowEvent,
        WorkflowEventSource,
        WorkflowFailedError,
        WorkflowFailedEvent,
        WorkflowOutputEvent,
        WorkflowRunError,
        WorkflowRunResult,
        WorkflowRunState,
        WorkflowStartedEvent,
        WorkflowStatusEvent,
        WorkflowWarningEvent,
        executor,
        handler,
    )

# Where each public name lives; the type-checking imports above list the same names.
_HOMES: dict[str, tuple[str, ...]] = {
    "wftui.agents": (
        "WorkflowAgent",
        "UsageDetails",
        "UsageContent",
        "TextContent",
        "FunctionResultContent",
        "FunctionCallContent",
        "BaseAgent",
        "AgentThread",
        "AgentExecutor",
        "AgentExecutorRequest",
        "AgentExecutorResponse",
        "AgentRunEvent",
        "AgentRunResponse",
        "AgentRunResponseUpdate",
        "AgentRunUpdateEvent",
        "ChatAgent",
        "ChatClient",
        "ChatClientError",
        "ChatMessage",
        "ConfigurationError",
        "FunctionChatClient",
        "Role",
    ),
    "wftui.checkpoint": (
        "CheckpointError",
        "CheckpointStatus",
        "CheckpointStorage",
        "CheckpointSummary",
        "FileCheckpointStorage",
        "InMemoryCheckpointStorage",
        "ListingProblem",
        "WorkflowCheckpoint",
        "register_type",
    ),
    "wftui.engine": (
        "EdgeGroup",
        "EnvelopeInputError",
        "ExecutorProvider",
        "FanInEdgeGroup",
        "FanOutEdgeGroup",
        "FunctionExecutor",
        "Message",
        "NoCheckpointStorageError",
        "SingleEdgeGroup",
        "SwitchCaseEdgeGroup",
        "WorkflowAlreadyRunningError",
        "WorkflowEventSource",
        "WorkflowFailedError",
        "WorkflowWarningEvent",
        "executor",
        "Case",
        "CheckpointNotFoundError",
        "CheckpointSavedEvent",
        "Default",
        "Executor",
        "ExecutorCompletedEvent",
        "ExecutorEvent",
        "ExecutorFailedEvent",
        "ExecutorInvokedEvent",
        "ExecutorInvokeEvent",
        "GraphMismatchError",
        "RequestInfoEvent",
        "RequestInfoExecutor",
        "RequestInfoMessage",
        "RequestResponse",
        "SuperStepCompletedEvent",
        "SuperStepStartedEvent",
        "Workflow",
        "WorkflowBuilder",
        "WorkflowCheckpointSummary",
        "WorkflowContext",
        "WorkflowDefinitionError",
        "WorkflowErrorDetails",
        "WorkflowEvent",
        "WorkflowFailedEvent",
        "WorkflowOutputEvent",
        "WorkflowRunError",
        "WorkflowRunResult",
        "WorkflowRunState",
        "WorkflowStartedEvent",
        "WorkflowStatusEvent",
        "handler",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'wftui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
