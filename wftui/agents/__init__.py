"""Agents: chat messages, the chat-client protocol, agents, the AgentExecutor and backends.

The OpenAI and Azure clients are imported from ``wftui.openai`` / ``wftui.azure`` (or
``wftui.agents.openai_client`` / ``azure_client``), not from here: their SDKs take half a
second to import, which the offline default and the app's start-up should not pay.
"""

from wftui.agents.agent import ChatAgent, ChatClientBase
from wftui.agents.backends import (
    ChatBackend,
    ChatSettings,
    chat_backend_names,
    find_chat_backend,
    resolve_backend,
)
from wftui.agents.base import AgentInput, AgentThread, BaseAgent
from wftui.agents.client import ChatClient, ChatOptions, describe_chat_client
from wftui.agents.config import load_env_file, select_chat_client
from wftui.agents.contents import (
    FunctionCallContent,
    FunctionResultContent,
    TextContent,
    UsageContent,
)
from wftui.agents.errors import ChatClientError, ConfigurationError
from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.agents.executor import AgentExecutor
from wftui.agents.function_client import FunctionChatClient
from wftui.agents.types import (
    AgentExecutorRequest,
    AgentExecutorResponse,
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
    UsageDetails,
)
from wftui.agents.workflow_agent import WorkflowAgent

__all__ = [
    "AgentExecutor",
    "AgentExecutorRequest",
    "AgentExecutorResponse",
    "AgentInput",
    "AgentRunEvent",
    "AgentRunResponse",
    "AgentRunResponseUpdate",
    "AgentRunUpdateEvent",
    "AgentThread",
    "BaseAgent",
    "ChatAgent",
    "ChatBackend",
    "ChatClient",
    "ChatClientBase",
    "ChatClientError",
    "ChatMessage",
    "ChatOptions",
    "ChatSettings",
    "ConfigurationError",
    "FunctionCallContent",
    "FunctionChatClient",
    "FunctionResultContent",
    "Role",
    "TextContent",
    "UsageContent",
    "UsageDetails",
    "WorkflowAgent",
    "chat_backend_names",
    "describe_chat_client",
    "find_chat_backend",
    "load_env_file",
    "resolve_backend",
    "select_chat_client",
]
