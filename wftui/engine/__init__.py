"""The workflow engine: executors, edges, supersteps, checkpoints, resume. No UI, no I/O."""

from wftui.engine.builder import WorkflowBuilder
from wftui.engine.context import WorkflowContext
from wftui.engine.edges import Case, Default, EdgeInfo, EdgeKind, RoutingError
from wftui.engine.errors import CheckpointNotFoundError, GraphMismatchError, WorkflowRunError
from wftui.engine.events import (
    AgentRunEvent,
    AgentRunUpdateEvent,
    CheckpointSavedEvent,
    ExecutorCompletedEvent,
    ExecutorEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    ExecutorInvokeEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowErrorDetails,
    WorkflowEvent,
    WorkflowFailedEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)
from wftui.engine.executor import Executor, WorkflowDefinitionError, handler
from wftui.engine.graph import ExecutorInfo, WorkflowGraph
from wftui.engine.request_info import (
    RequestInfoExecutor,
    RequestInfoMessage,
    RequestResponse,
    WorkflowCheckpointSummary,
)
from wftui.engine.workflow import Workflow, WorkflowRunResult

__all__ = [
    "AgentRunEvent",
    "AgentRunUpdateEvent",
    "Case",
    "CheckpointNotFoundError",
    "CheckpointSavedEvent",
    "Default",
    "EdgeInfo",
    "EdgeKind",
    "Executor",
    "ExecutorCompletedEvent",
    "ExecutorEvent",
    "ExecutorFailedEvent",
    "ExecutorInfo",
    "ExecutorInvokeEvent",
    "ExecutorInvokedEvent",
    "GraphMismatchError",
    "RequestInfoEvent",
    "RequestInfoExecutor",
    "RequestInfoMessage",
    "RequestResponse",
    "RoutingError",
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
    "WorkflowGraph",
    "WorkflowOutputEvent",
    "WorkflowRunError",
    "WorkflowRunResult",
    "WorkflowRunState",
    "WorkflowStartedEvent",
    "WorkflowStatusEvent",
    "handler",
]
