"""The seed's message and reply types, and their trip through the checkpoint codec."""

from __future__ import annotations

from typing import Any

import pytest

from wftui.agents import (
    AgentExecutorRequest,
    AgentExecutorResponse,
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
    UsageDetails,
)
from wftui.checkpoint.codec import decode_value, encode_value


def test_chat_message_takes_the_role_positionally_as_in_the_seed() -> None:
    message = ChatMessage(Role.USER, text="hello")

    assert (message.role, message.text, message.author_name) == (Role.USER, "hello", None)
    assert ChatMessage("assistant", "hi").role is Role.ASSISTANT  # type: ignore[arg-type]


def test_response_text_joins_its_messages() -> None:
    response = AgentRunResponse(
        messages=[ChatMessage(Role.ASSISTANT, text="dlrow "), ChatMessage(Role.ASSISTANT, "olleh")]
    )

    assert response.text == "dlrow olleh"
    assert AgentRunResponse().text == ""


def test_streamed_updates_join_into_one_assistant_message() -> None:
    updates = [AgentRunResponseUpdate("dlrow "), AgentRunResponseUpdate("olleh", author_name="a")]

    response = AgentRunResponse.from_updates(updates)

    assert response.messages == [ChatMessage(Role.ASSISTANT, text="dlrow olleh", author_name="a")]


@pytest.mark.parametrize(
    "value",
    [
        Role.TOOL,
        ChatMessage(Role.SYSTEM, text="be brief", author_name="lower_agent"),
        AgentExecutorRequest(
            messages=[ChatMessage(Role.USER, text="Text: X")], should_respond=False
        ),
        AgentExecutorResponse(
            executor_id="lower_agent",
            agent_run_response=AgentRunResponse(
                messages=[ChatMessage(Role.ASSISTANT, text="x")],
                usage=UsageDetails(input_tokens=3, output_tokens=1, total_tokens=4),
            ),
            full_conversation=[ChatMessage(Role.USER, "X"), ChatMessage(Role.ASSISTANT, "x")],
        ),
        AgentRunResponseUpdate("chunk"),
    ],
)
def test_types_come_back_from_a_checkpoint_as_themselves(value: Any) -> None:
    restored = decode_value(encode_value(value, "value"))

    assert type(restored) is type(value)
    assert restored == value
