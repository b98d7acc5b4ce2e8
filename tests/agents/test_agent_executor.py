"""AgentExecutor in real workflows: inputs, streaming events, history kept across a resume."""

from __future__ import annotations

from typing import Any

from wftui import (
    AgentExecutor,
    AgentExecutorRequest,
    AgentExecutorResponse,
    AgentRunEvent,
    AgentRunUpdateEvent,
    ChatMessage,
    Executor,
    ExecutorCompletedEvent,
    ExecutorInvokedEvent,
    FunctionChatClient,
    InMemoryCheckpointStorage,
    Role,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowOutputEvent,
    handler,
)
from wftui.agents import ChatAgent


def lower_last(messages: list[ChatMessage]) -> str:
    return messages[-1].text.rpartition("Text:")[2].strip().lower()


class Collect(Executor):
    """Yields the agent's whole response as the workflow output."""

    @handler
    async def collect(
        self, response: AgentExecutorResponse, ctx: WorkflowContext[Any, AgentExecutorResponse]
    ) -> None:
        await ctx.yield_output(response)


def agent_workflow(agent: AgentExecutor, storage: InMemoryCheckpointStorage | None = None) -> Any:
    builder = WorkflowBuilder().add_edge(agent, Collect(id="collect")).set_start_executor(agent)
    if storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=storage)
    return builder.build()


def lower_agent(streaming: bool = False) -> AgentExecutor:
    agent = FunctionChatClient(lower_last).create_agent(instructions="Lower-case the text.")
    return AgentExecutor(agent, id="lower_agent", streaming=streaming)


async def test_request_reply_and_conversation_reach_the_next_executor() -> None:
    request = AgentExecutorRequest(messages=[ChatMessage(Role.USER, text="Text: DLROW OLLEH")])

    (response,) = (await agent_workflow(lower_agent()).run(request)).get_outputs()

    assert response.executor_id == "lower_agent"
    assert response.agent_run_response.text == "dlrow olleh"
    assert response.full_conversation == [
        ChatMessage(Role.USER, text="Text: DLROW OLLEH"),
        ChatMessage(Role.ASSISTANT, text="dlrow olleh"),
    ]


async def test_text_message_and_message_list_inputs_are_answered_too() -> None:
    inputs: list[Any] = [
        "Text: ONE",
        ChatMessage(Role.USER, text="Text: ONE"),
        [ChatMessage(Role.SYSTEM, text="context"), ChatMessage(Role.USER, text="Text: ONE")],
    ]
    for value in inputs:
        (response,) = (await agent_workflow(lower_agent()).run(value)).get_outputs()
        assert response.agent_run_response.text == "one"


async def test_streaming_emits_each_chunk_then_the_whole_reply_then_sends() -> None:
    request = AgentExecutorRequest(messages=[ChatMessage(Role.USER, text="Text: A B C")])

    events = [
        event async for event in agent_workflow(lower_agent(streaming=True)).run_stream(request)
    ]

    updates = [e for e in events if isinstance(e, AgentRunUpdateEvent)]
    assert [(e.executor_id, e.data) for e in updates] == [
        ("lower_agent", "a "),
        ("lower_agent", "b "),
        ("lower_agent", "c"),
    ]
    (whole,) = [e for e in events if isinstance(e, AgentRunEvent)]
    assert whole.data.text == "a b c"
    done = next(
        e
        for e in events
        if isinstance(e, ExecutorCompletedEvent) and e.executor_id == "lower_agent"
    )
    collected = next(
        e for e in events if isinstance(e, ExecutorInvokedEvent) and e.executor_id == "collect"
    )
    order = [events.index(e) for e in (*updates, whole, done, collected)]
    assert order == sorted(order)
    (output,) = [e.data for e in events if isinstance(e, WorkflowOutputEvent)]
    assert output.agent_run_response.text == "a b c"


async def test_without_streaming_there_is_one_agent_run_event_and_no_updates() -> None:
    events = [event async for event in agent_workflow(lower_agent()).run_stream("Text: X")]

    assert not [e for e in events if isinstance(e, AgentRunUpdateEvent)]
    assert len([e for e in events if isinstance(e, AgentRunEvent)]) == 1


class Brief(Executor):
    """Gives the agent context it should not answer, then the question."""

    @handler
    async def brief(self, text: str, ctx: WorkflowContext[AgentExecutorRequest]) -> None:
        context = [ChatMessage(Role.USER, text="Remember: 42")]
        await ctx.send_message(AgentExecutorRequest(messages=context, should_respond=False))
        question = [ChatMessage(Role.USER, text=text)]
        await ctx.send_message(AgentExecutorRequest(messages=question))


async def test_messages_without_a_reply_join_the_history() -> None:
    seen: list[list[str]] = []

    def record(messages: list[ChatMessage]) -> str:
        seen.append([m.text for m in messages])
        return "ok"

    agent = AgentExecutor(FunctionChatClient(record).create_agent(), id="agent")
    brief = Brief(id="brief")
    workflow = (
        WorkflowBuilder()
        .add_chain([brief, agent, Collect(id="collect")])
        .set_start_executor(brief)
        .build()
    )

    (response,) = (await workflow.run("what was it?")).get_outputs()

    assert seen == [["Remember: 42", "what was it?"]]
    assert [m.text for m in response.full_conversation] == ["Remember: 42", "what was it?", "ok"]


class AskTwice(Executor):
    """After the agent's first answer asks a follow-up; after the second, yields the history."""

    @handler
    async def on_reply(
        self, response: AgentExecutorResponse, ctx: WorkflowContext[AgentExecutorRequest, list[str]]
    ) -> None:
        state = await ctx.get_state() or {}
        replies = int(state.get("replies", 0)) + 1
        await ctx.set_state({"replies": replies})
        if replies == 1:
            follow_up = [ChatMessage(Role.USER, text="and again?")]
            await ctx.send_message(AgentExecutorRequest(messages=follow_up))
        else:
            await ctx.yield_output([m.text for m in response.full_conversation or []])


def conversation_workflow(storage: InMemoryCheckpointStorage, seen: list[list[str]]) -> Any:
    """Built afresh for every run, as a new process would: no state survives on instances."""

    def count_users(messages: list[ChatMessage]) -> str:
        seen.append([m.text for m in messages])
        return f"answer {sum(m.role is Role.USER for m in messages)}"

    agent = AgentExecutor(
        ChatAgent(FunctionChatClient(count_users), instructions="Count."), id="agent"
    )
    ask = AskTwice(id="ask")
    return (
        WorkflowBuilder()
        .add_edge(agent, ask)
        .add_edge(ask, agent)
        .set_start_executor(agent)
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


async def test_resumed_agent_continues_its_conversation_from_the_checkpoint() -> None:
    storage = InMemoryCheckpointStorage()
    first_run: list[list[str]] = []
    (expected,) = (await conversation_workflow(storage, first_run).run("hello")).get_outputs()
    assert expected == ["hello", "answer 1", "and again?", "answer 2"]
    # The checkpoint where the follow-up waits for the agent: after `ask` answered once.
    checkpoints = await storage.list_checkpoints()
    before_follow_up = next(
        cp for cp in checkpoints if cp.next_executor_ids == ["agent"] and cp.iteration_count == 2
    )

    resumed: list[list[str]] = []
    result = await conversation_workflow(storage, resumed).run_from_checkpoint(
        before_follow_up.checkpoint_id
    )

    assert result.get_outputs() == [expected]
    assert resumed == [["Count.", "hello", "answer 1", "and again?"]]
