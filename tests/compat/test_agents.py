"""Agents in workflows and workflows as agents, as agent-framework code uses them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.support import Emit
from wftui import (
    AgentExecutor,
    AgentExecutorResponse,
    AgentRunResponse,
    AgentRunResponseUpdate,
    AgentRunUpdateEvent,
    ChatAgent,
    ChatMessage,
    Executor,
    FunctionCallContent,
    FunctionChatClient,
    FunctionResultContent,
    RequestInfoExecutor,
    RequestInfoMessage,
    Role,
    TextContent,
    UsageContent,
    UsageDetails,
    WorkflowAgent,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)


def agent(name: str, reply: str) -> ChatAgent:
    """A real agent over the offline function client: says ``reply`` after the last message."""
    return ChatAgent(FunctionChatClient(lambda ms: f"{ms[-1].text}|{reply}"), name=name)


class Replies(Executor):
    """Answers each conversation with an update and passes the reply on."""

    def __init__(self, id: str, word: str) -> None:
        super().__init__(id=id)
        self.word = word

    @handler
    async def take(
        self, messages: list[ChatMessage], ctx: WorkflowContext[list[ChatMessage]]
    ) -> None:
        text = f"{self.word}: {messages[-1].text}"
        await ctx.add_event(
            AgentRunUpdateEvent(
                executor_id=self.id,
                data=AgentRunResponseUpdate(contents=[TextContent(text)], message_id=self.id),
            )
        )
        await ctx.send_message([ChatMessage(Role.ASSISTANT, contents=[TextContent(text)])])


class Final(Executor):
    """Passes an agent's reply text on."""

    @handler
    async def take(self, response: AgentExecutorResponse, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(response.agent_run_response.text)


class AsksOnce(Executor):
    @handler
    async def take(
        self, messages: list[ChatMessage], ctx: WorkflowContext[RequestInfoMessage]
    ) -> None:
        await ctx.send_message(RequestInfoMessage())

    @handler
    async def answered(self, answer: Any, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"got {answer.data}")


async def test_agents_given_to_the_builder_become_streaming_executors_named_after_them() -> None:
    writer, reviewer = agent("writer", "draft"), agent("reviewer", "ok")
    out, final = Emit(id="out"), Final(id="final")
    workflow = (
        WorkflowBuilder()
        .add_chain([writer, reviewer, final, out])
        .set_start_executor(writer)
        .build()
    )
    assert workflow.start_executor_id == "writer"
    start = workflow.get_start_executor()
    assert isinstance(start, AgentExecutor) and start.streaming and start.agent is writer
    assert isinstance(workflow.executors["reviewer"], AgentExecutor)
    # The reviewer takes over the writer's conversation, so it answers the writer's reply.
    assert (await workflow.run("topic")).get_outputs() == ["topic|draft|ok"]


def test_one_agent_used_twice_is_one_executor_and_two_with_one_name_are_refused() -> None:
    writer = agent("writer", "draft")
    builder = WorkflowBuilder().add_edge(writer, Final(id="a")).add_edge(writer, Final(id="b"))
    assert list(builder.set_start_executor(writer).build().executors).count("writer") == 1
    with pytest.raises(ValueError, match="two different executors share the id 'writer'"):
        WorkflowBuilder().add_edge(writer, agent("writer", "other"))


async def test_a_workflow_as_agent_answers_with_each_executors_update() -> None:
    first, second = Replies("first", "one"), Replies("second", "two")
    workflow = WorkflowBuilder().add_edge(first, second).set_start_executor(first).build()
    as_agent = workflow.as_agent(name="pair")
    assert isinstance(as_agent, WorkflowAgent) and as_agent.workflow is workflow
    assert as_agent.name == "pair"
    response = await as_agent.run("hello")
    assert [m.text for m in response.messages] == ["one: hello", "two: one: hello"]
    chunks = [u async for u in as_agent.run_stream("again")]
    assert [c.contents[0].text for c in chunks] == ["one: again", "two: one: again"]


def test_a_workflow_whose_start_cannot_take_chat_messages_is_no_agent() -> None:
    with pytest.raises(
        ValueError,
        match=r"Workflow's start executor cannot handle list\[ChatMessage\]: out accepts",
    ):
        WorkflowBuilder().set_start_executor(Emit(id="out")).build().as_agent()


async def test_a_human_request_is_a_function_call_answered_by_a_function_result() -> None:
    asker = AsksOnce(id="asker")
    workflow = (
        WorkflowBuilder().add_edge(asker, RequestInfoExecutor(id="human")).set_start_executor(asker)
    ).build()
    as_agent = WorkflowAgent(workflow)
    asked = await as_agent.run("start")
    (message,) = asked.messages
    (call,) = message.contents
    assert isinstance(call, FunctionCallContent) and call.name == "request_info"
    assert isinstance(call.arguments, dict) and call.arguments["request_id"] == call.call_id
    assert list(as_agent.pending_requests) == [call.call_id]
    with pytest.raises(ValueError, match="waits for answers to"):
        await as_agent.run("something else")
    answer = ChatMessage(Role.USER, contents=[FunctionResultContent(call.call_id, result="yes")])
    await as_agent.run(answer)
    assert as_agent.pending_requests == {}
    assert workflow.status is not None and workflow.status.value == "IDLE"


def test_merge_updates_groups_by_response_then_message_in_time_order() -> None:
    def update(
        text: str, response: str | None, message: str, at: str, **extra: Any
    ) -> AgentRunResponseUpdate:
        return AgentRunResponseUpdate(
            contents=[TextContent(text)], response_id=response, message_id=message, created_at=at,
            additional_properties=extra or None,
        )  # fmt: skip

    usage = UsageContent(
        UsageDetails(input_token_count=2, output_token_count=1, total_token_count=3)
    )
    updates = [
        update("b2", "b", "m2", "2024-01-01T12:02:00Z", side="b"),
        update("a1", "a", "m1", "2024-01-01T12:00:00Z", side="a", only="a1"),
        update("b1", "b", "m1", "2024-01-01T12:01:00Z"),
        update("a2", "a", "m2", "2024-01-01T11:00:00+00:00", side="old", gone=True),
        update("loose", None, "m9", "2024-01-01T10:00:00Z"),
        AgentRunResponseUpdate(contents=[usage], response_id="a", message_id="m1"),
        AgentRunResponseUpdate(contents=[usage], response_id="b", message_id="m1"),
    ]
    merged = WorkflowAgent.merge_updates(updates, "final")
    assert isinstance(merged, AgentRunResponse) and merged.response_id == "final"
    assert [m.text for m in merged.messages] == ["b1", "b2", "a2", "a1", "loose"]
    assert merged.created_at == "2024-01-01T12:02:00Z"
    assert merged.usage_details == UsageDetails(4, 2, 6)
    # each response keeps its latest message's properties; later responses win
    assert merged.additional_properties == {"side": "a", "only": "a1"}
