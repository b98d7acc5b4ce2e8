"""``from wftui.azure import AzureOpenAIChatClient``: the seed's import shape."""

from wftui.agents.azure_client import AzureOpenAIChatClient

__all__ = ["AzureOpenAIChatClient"]
