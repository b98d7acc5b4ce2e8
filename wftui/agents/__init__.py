"""Agents: chat messages, the chat-client protocol, agents, the AgentExecutor and backends.

The OpenAI and Azure clients are imported from ``wftui.openai`` / ``wftui.azure`` (or
``wftui.agents.openai_client`` / ``azure_client``), not from here: their SDKs take half a
second to import, which the offline default and the app's start-up should not pay.
"""

from wftui.agents.agent import AgentInput, ChatAgent, ChatClientBase
from wftui.agents.client import ChatClient, ChatOptions, describe_chat_client
from wftui.agents.config import CHAT_CHOICES, load_env_file, resolve_backend, select_chat_client
from wftui.agents.errors import ChatClientError, ConfigurationError
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

__all__ = [
    "CHAT_CHOICES",
    "AgentExecutor",
    "AgentExecutorRequest",
    "AgentExecutorResponse",
    "AgentInput",
    "AgentRunResponse",
    "AgentRunResponseUpdate",
    "ChatAgent",
    "ChatClient",
    "ChatClientBase",
    "ChatClientError",
    "ChatMessage",
    "ChatOptions",
    "ConfigurationError",
    "FunctionChatClient",
    "Role",
    "UsageDetails",
    "describe_chat_client",
    "load_env_file",
    "resolve_backend",
    "select_chat_client",
]
