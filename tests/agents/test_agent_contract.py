"""agent-framework's agent-side names: usage details, chat content types, and agents defined by
subclassing ``BaseAgent`` (with an ``AgentThread``) that run as workflow steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import wftui
from wftui import (
    AgentExecutor,
    AgentExecutorResponse,
    AgentRunEvent,
    AgentRunResponse,
    AgentRunResponseUpdate,
    AgentRunUpdateEvent,
    AgentThread,
    BaseAgent,
    ChatMessage,
    Executor,
    FileCheckpointStorage,
    FunctionCallContent,
    FunctionChatClient,
    FunctionResultContent,
    Role,
    TextContent,
    UsageContent,
    UsageDetails,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowOutputEvent,
    handler,
)


class ShoutAgent(BaseAgent):
    """An agent written by hand: upper-cases the last message, in two chunks when streamed."""

    async def run(
        self, messages: Any = None, *, thread: AgentThread | None = None, **kwargs: Any
    ) -> AgentRunResponse:
        text = str(messages[-1].text).upper()
        return AgentRunResponse(messages=[ChatMessage(Role.ASSISTANT, text=text)])

    async def run_stream(
        self, messages: Any = None, *, thread: AgentThread | None = None, **kwargs: Any
    ) -> AsyncIterator[AgentRunResponseUpdate]:
        text = str(messages[-1].text).upper()
        half = len(text) // 2
        for piece in (text[:half], text[half:]):
            yield AgentRunResponseUpdate(text=piece)


class Collect(Executor):
    @handler
    async def collect(
        self, response: AgentExecutorResponse, ctx: WorkflowContext[Any, str]
    ) -> None:
        await ctx.yield_output(response.agent_run_response.text)


async def test_a_subclassed_agent_runs_as_a_workflow_step(tmp_path: Path) -> None:
    agent = ShoutAgent(name="shout")
    step = AgentExecutor(agent, streaming=True)
    workflow = (
        WorkflowBuilder()
        .add_edge(step, Collect(id="collect"))
        .set_start_executor(step)
        .with_checkpointing(FileCheckpointStorage(tmp_path))
        .build()
    )

    events = [event async for event in workflow.run_stream("quiet words")]

    assert step.id == "shout"
    assert [e.data for e in events if isinstance(e, AgentRunUpdateEvent)] == ["QUIET", " WORDS"]
    assert len([e for e in events if isinstance(e, AgentRunEvent)]) == 1
    assert [e.data for e in events if isinstance(e, WorkflowOutputEvent)] == ["QUIET WORDS"]


def test_a_base_agent_has_an_id_a_display_name_and_new_threads() -> None:
    named, unnamed = ShoutAgent(name="shout"), ShoutAgent()
    assert named.display_name == "shout"
    assert unnamed.id and unnamed.display_name == unnamed.id
    assert ShoutAgent().id != unnamed.id
    thread = named.get_new_thread()
    assert isinstance(thread, AgentThread) and thread.messages == []


async def test_a_thread_carries_the_conversation_between_runs() -> None:
    seen: list[list[str]] = []

    def count(messages: list[ChatMessage]) -> str:
        seen.append([message.text for message in messages])
        return f"reply {len(seen)}"

    agent = FunctionChatClient(count).create_agent(name="counter")
    thread = agent.get_new_thread()

    await agent.run("first", thread=thread)
    second = await agent.run("second", thread=thread)

    assert second.text == "reply 2"
    assert seen[1] == ["first", "reply 1", "second"]
    assert [m.text for m in thread.messages] == ["first", "reply 1", "second", "reply 2"]


def test_usage_details_take_agent_frameworks_names_and_add_up() -> None:
    usage = UsageDetails(input_token_count=20, output_token_count=8, total_token_count=28)
    assert usage == UsageDetails(input_tokens=20, output_tokens=8, total_tokens=28)
    assert usage.input_token_count == 20 and usage.total_token_count == 28
    total = usage + UsageDetails(input_tokens=5, output_tokens=3)
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (25, 11, 28)


class Remember(Executor):
    @handler
    async def remember(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.set_state(
            {
                "contents": [
                    TextContent(text=text),
                    FunctionCallContent(call_id="c1", name="lookup", arguments={"q": text}),
                    FunctionResultContent(call_id="c1", result={"hits": 2}),
                    UsageContent(details=UsageDetails(input_token_count=5, output_token_count=3)),
                ]
            }
        )
        await ctx.yield_output(text)


async def test_content_types_survive_a_checkpoint(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    step = Remember(id="remember")
    workflow = WorkflowBuilder().set_start_executor(step).with_checkpointing(storage).build()
    _ = [event async for event in workflow.run_stream("hello")]

    latest = await FileCheckpointStorage(tmp_path).get_latest()

    assert latest is not None
    contents = latest.executor_states["remember"]["contents"]
    assert contents == [
        TextContent(text="hello"),
        FunctionCallContent(call_id="c1", name="lookup", arguments={"q": "hello"}),
        FunctionResultContent(call_id="c1", result={"hits": 2}),
        UsageContent(details=UsageDetails(input_tokens=5, output_tokens=3)),
    ]
    assert [content.type for content in contents] == [
        "text",
        "function_call",
        "function_result",
        "usage",
    ]


def test_the_names_are_exported_at_the_top_level() -> None:
    for name in ("UsageDetails", "TextContent", "FunctionCallContent", "FunctionResultContent",
                 "UsageContent", "BaseAgent", "AgentThread"):  # fmt: skip
        assert name in wftui.__all__
