"""Chat content types with agent-framework's names: text, a function call and its result, usage.

wftui's messages carry text; these let code written for agent-framework build, keep and
checkpoint the richer pieces (each is registered with the checkpoint codec). ``type`` names
the kind as agent-framework does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from wftui.agents.types import UsageDetails
from wftui.checkpoint.codec import register_type


@dataclass
class TextContent:
    text: str
    type: ClassVar[str] = "text"


@dataclass
class FunctionCallContent:
    """A model's request to call ``name``; ``arguments`` as the model sent them (JSON text or
    a dict)."""

    call_id: str
    name: str
    arguments: str | dict[str, Any] | None = None
    type: ClassVar[str] = "function_call"


@dataclass
class FunctionResultContent:
    """What the call ``call_id`` returned, to be sent back to the model."""

    call_id: str
    result: Any = None
    type: ClassVar[str] = "function_result"


@dataclass
class UsageContent:
    details: UsageDetails = field(default_factory=UsageDetails)
    type: ClassVar[str] = "usage"


for _type in (TextContent, FunctionCallContent, FunctionResultContent, UsageContent):
    register_type(_type)
