"""The seed notebook's text pipeline: upper-case, reverse, ask an agent to lower-case, finish.

UpperCase -> ReverseText -> SubmitToLowerAgent -> LowerAgent -> FinalizeFromAgent, with the
seed's executor ids. With no chat client the LowerAgent is a local function that lower-cases
the text after ``Text:`` (shown as such, never passed off as an LLM).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wftui import (
    AgentExecutor,
    AgentExecutorRequest,
    AgentExecutorResponse,
    ChatMessage,
    CheckpointStorage,
    Executor,
    FunctionChatClient,
    Role,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)
from wftui.agents import ChatClient

DESCRIPTION = "Upper-case, reverse, then an agent lower-cases the text (the seed notebook)."
DEFAULT_INPUT = "hello world"
LOWER_AGENT_INSTRUCTIONS = "You transform text to lowercase. Reply with ONLY the transformed text."
# Answers recorded from the Azure OpenAI client, so `wftui run --llm replay` runs offline.
CASSETTE = Path(__file__).with_name("cassettes") / "text_processing.jsonl"


class UpperCaseExecutor(Executor):
    """Uppercases the input text and persists both local and shared state."""

    @handler
    async def to_upper_case(self, text: str, ctx: WorkflowContext[str]) -> None:
        result = text.upper()
        prev = await ctx.get_state() or {}
        await ctx.set_state(
            {"count": int(prev.get("count", 0)) + 1, "last_input": text, "last_output": result}
        )
        await ctx.set_shared_state("original_input", text)
        await ctx.set_shared_state("upper_output", result)
        await ctx.send_message(result)


class ReverseTextExecutor(Executor):
    """Reverses the input text and persists local state."""

    @handler
    async def reverse_text(self, text: str, ctx: WorkflowContext[str]) -> None:
        result = text[::-1]
        prev = await ctx.get_state() or {}
        await ctx.set_state(
            {"count": int(prev.get("count", 0)) + 1, "last_input": text, "last_output": result}
        )
        await ctx.send_message(result)


class SubmitToLowerAgent(Executor):
    """Builds the agent request from the text and what UpperCase shared."""

    def __init__(self, id: str, agent_id: str) -> None:
        super().__init__(id=id)
        self._agent_id = agent_id

    @handler
    async def submit(self, text: str, ctx: WorkflowContext[AgentExecutorRequest]) -> None:
        # Read what UpperCase shared; it is committed at the superstep boundary, so it is here.
        await ctx.get_shared_state("original_input")
        await ctx.get_shared_state("upper_output")
        prompt = (
            "Convert the following text to lowercase. Return ONLY the transformed text."
            f"\n\nText: {text}"
        )
        await ctx.send_message(
            AgentExecutorRequest(
                messages=[ChatMessage(Role.USER, text=prompt)], should_respond=True
            ),
            target_id=self._agent_id,
        )


class FinalizeFromAgent(Executor):
    """Consumes the agent's response and yields the final result."""

    @handler
    async def finalize(
        self, response: AgentExecutorResponse, ctx: WorkflowContext[Any, str]
    ) -> None:
        result = response.agent_run_response.text or ""
        prev = await ctx.get_state() or {}
        await ctx.set_state(
            {"count": int(prev.get("count", 0)) + 1, "last_output": result, "final": True}
        )
        await ctx.yield_output(result)


def lowercase_after_text(messages: list[ChatMessage]) -> str:
    """The offline LowerAgent: lower-case what follows ``Text:`` in the last message."""
    prompt = messages[-1].text if messages else ""
    _, _, text = prompt.rpartition("Text:")
    return text.strip().lower()


def default_chat_client() -> ChatClient:
    """The offline backend the CLI and the app use unless told to use an LLM."""
    return FunctionChatClient(lowercase_after_text)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: ChatClient | None = None
) -> Workflow:
    """Build the pipeline; ``chat_client`` backs the LowerAgent (a local function by default)."""
    client = chat_client or default_chat_client()
    upper_case_executor = UpperCaseExecutor(id="upper_case_executor")
    reverse_text_executor = ReverseTextExecutor(id="reverse_text_executor")
    lower_agent = AgentExecutor(
        client.create_agent(instructions=LOWER_AGENT_INSTRUCTIONS, name="lower_agent"),
        id="lower_agent",
    )
    submit_lower = SubmitToLowerAgent(id="submit_lower", agent_id=lower_agent.id)
    finalize = FinalizeFromAgent(id="finalize")
    builder = (
        WorkflowBuilder(max_iterations=5, name="text_processing")
        .add_edge(upper_case_executor, reverse_text_executor)
        .add_edge(reverse_text_executor, submit_lower)
        .add_edge(submit_lower, lower_agent)
        .add_edge(lower_agent, finalize)
        .set_start_executor(upper_case_executor)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
