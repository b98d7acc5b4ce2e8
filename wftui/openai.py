"""``from wftui.openai import OpenAIChatClient``: OpenAI and OpenAI-compatible servers."""

from wftui.agents.openai_client import OpenAIChatClient

__all__ = ["OpenAIChatClient"]
