"""FunctionChatClient: replies from a Python function, named as such, plain and streamed."""

from __future__ import annotations

from wftui.agents import ChatMessage, FunctionChatClient, Role, describe_chat_client


def shout(messages: list[ChatMessage]) -> str:
    return " | ".join(f"{m.role.value}:{m.text}" for m in messages).upper()


async def whisper(messages: list[ChatMessage]) -> str:
    return messages[-1].text.lower()


async def test_sync_function_sees_instructions_then_the_conversation() -> None:
    agent = FunctionChatClient(shout).create_agent(instructions="be loud", name="loud")

    response = await agent.run("hi there")

    assert response.text == "SYSTEM:BE LOUD | USER:HI THERE"
    assert response.messages[0].role is Role.ASSISTANT
    assert response.messages[0].author_name == "loud"
    assert response.usage is None


async def test_async_function_streams_word_chunks() -> None:
    agent = FunctionChatClient(whisper).create_agent()

    chunks = [update.text async for update in agent.run_stream("Dlrow  OLLEH ")]

    assert chunks == ["dlrow  ", "olleh "]


def test_it_is_shown_as_a_local_function_never_as_a_model() -> None:
    assert describe_chat_client(FunctionChatClient(shout)) == "local function (shout)"
    named = FunctionChatClient(lambda messages: "", name="echo")
    assert describe_chat_client(named) == "local function (echo)"


async def test_model_options_are_accepted_and_ignored() -> None:
    agent = FunctionChatClient(whisper).create_agent(temperature=0.0, max_tokens=3, timeout=1.0)

    assert (await agent.run([ChatMessage(Role.USER, text="ABC")], temperature=1.0)).text == "abc"
