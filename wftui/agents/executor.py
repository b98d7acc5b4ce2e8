"""AgentExecutor: an agent as a workflow step, its conversation kept in checkpointed state.

The history lives in ``ctx.set_state`` rather than on the instance, so a run resumed in a fresh
process continues the same conversation. State is written only after the agent answered: a call
that fails leaves the history as it was, and resuming repeats exactly the failed call.
"""

from __future__ import annotations

import time
from typing import Any

from wftui.agents.base import BaseAgent
from wftui.agents.budget import current_budget
from wftui.agents.cassette import answer_was_replayed
from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.agents.types import (
    AgentExecutorRequest,
    AgentExecutorResponse,
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
)
from wftui.agents.usage import UNKNOWN_MODEL, call_counts
from wftui.engine import Executor, WorkflowContext, handler

_CONVERSATION = "conversation"


class AgentExecutor(Executor):
    """Runs ``agent`` on what it receives and sends an AgentExecutorResponse on.

    With ``streaming=True`` each chunk is emitted as an AgentRunUpdateEvent as it arrives; in
    both modes the whole reply follows as an AgentRunEvent, then the response is sent.
    """

    def __init__(self, agent: BaseAgent, *, id: str | None = None, streaming: bool = False) -> None:
        super().__init__(id=id or agent.name or "agent")
        self.agent = agent
        self._streaming = streaming  # agent-framework's attribute name, which its users read

    @property
    def streaming(self) -> bool:
        return self._streaming

    @handler
    async def handle_request(
        self, request: AgentExecutorRequest, ctx: WorkflowContext[AgentExecutorResponse]
    ) -> None:
        await self._receive(request.messages, request.should_respond, ctx)

    @handler
    async def handle_text(self, text: str, ctx: WorkflowContext[AgentExecutorResponse]) -> None:
        await self._receive([ChatMessage(Role.USER, text=text)], True, ctx)

    @handler
    async def handle_message(
        self, message: ChatMessage, ctx: WorkflowContext[AgentExecutorResponse]
    ) -> None:
        await self._receive([message], True, ctx)

    @handler
    async def handle_messages(
        self, messages: list[ChatMessage], ctx: WorkflowContext[AgentExecutorResponse]
    ) -> None:
        await self._receive(messages, True, ctx)

    @handler
    async def handle_response(
        self, prior: AgentExecutorResponse, ctx: WorkflowContext[AgentExecutorResponse]
    ) -> None:
        """Take over another agent's conversation, so agents chain by plain edges."""
        conversation = prior.full_conversation or prior.agent_run_response.messages
        await self._receive(list(conversation), True, ctx, continues=False)

    async def _receive(
        self,
        messages: list[ChatMessage],
        should_respond: bool,
        ctx: WorkflowContext[AgentExecutorResponse],
        *,
        continues: bool = True,
    ) -> None:
        """Add ``messages`` to this agent's history (or start it from them) and answer."""
        state: dict[str, Any] = await ctx.get_state() or {}
        earlier = state.get(_CONVERSATION, []) if continues else []
        conversation: list[ChatMessage] = [*earlier, *messages]
        if not should_respond:
            await ctx.set_state({**state, _CONVERSATION: conversation})
            return
        response = await self._run(conversation, ctx)
        conversation.extend(response.messages)
        await ctx.set_state({**state, _CONVERSATION: conversation})
        await ctx.send_message(
            AgentExecutorResponse(
                executor_id=self.id,
                agent_run_response=response,
                full_conversation=list(conversation),
            )
        )

    @property
    def model_name(self) -> str:
        """The model the agent's chat client calls, as prices name it."""
        client = getattr(self.agent, "chat_client", None)
        return str(getattr(client, "model_name", None) or UNKNOWN_MODEL)

    @property
    def spends_tokens(self) -> bool:
        """False for a local function's agent: it has no budget to keep."""
        return bool(getattr(getattr(self.agent, "chat_client", None), "spends_tokens", True))

    async def _run(
        self, conversation: list[ChatMessage], ctx: WorkflowContext[AgentExecutorResponse]
    ) -> AgentRunResponse:
        """One model call, made only while the run is within its budget, and recorded in the
        run's ledger (tokens, model, time) once answered."""
        model, spends = self.model_name, self.spends_tokens
        if spends:
            current_budget().check(ctx.run_usage(), model)
        started = time.monotonic()
        if not self.streaming:
            response = await self.agent.run(conversation)
        else:
            updates: list[AgentRunResponseUpdate] = []
            async for update in self.agent.run_stream(conversation):
                updates.append(update)
                if update.text:
                    await ctx.add_event(AgentRunUpdateEvent(executor_id=self.id, data=update.text))
            response = AgentRunResponse.from_updates(updates)
        duration = time.monotonic() - started
        elapsed_ms = round(duration * 1000)
        # The model again: a replaying client knows its recorded models once it has answered.
        counts = call_counts(self.model_name, response.usage, elapsed_ms, spends_tokens=spends)
        if answer_was_replayed():
            ctx.record_saved(counts)  # a recorded answer: nothing was paid for it this time
        else:
            ctx.record_usage(counts)
        await ctx.add_event(
            AgentRunEvent(
                executor_id=self.id,
                data=response,
                usage=response.usage,
                model=model,
                duration=duration,
            )
        )
        return response
