"""AgentExecutor: an agent as a workflow step, its conversation kept in checkpointed state.

The history lives in ``ctx.set_state`` rather than on the instance, so a run resumed in a fresh
process continues the same conversation. State is written only after the agent answered: a call
that fails leaves the history as it was, and resuming repeats exactly the failed call.
"""

from __future__ import annotations

from typing import Any

from wftui.agents.base import BaseAgent
from wftui.agents.events import AgentRunEvent, AgentRunUpdateEvent
from wftui.agents.types import (
    AgentExecutorRequest,
    AgentExecutorResponse,
    AgentRunResponse,
    AgentRunResponseUpdate,
    ChatMessage,
    Role,
)
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

    async def _run(
        self, conversation: list[ChatMessage], ctx: WorkflowContext[AgentExecutorResponse]
    ) -> AgentRunResponse:
        if not self.streaming:
            response = await self.agent.run(conversation)
        else:
            updates: list[AgentRunResponseUpdate] = []
            async for update in self.agent.run_stream(conversation):
                updates.append(update)
                await ctx.add_event(AgentRunUpdateEvent(executor_id=self.id, data=update.text))
            response = AgentRunResponse.from_updates(updates)
        await ctx.add_event(AgentRunEvent(executor_id=self.id, data=response))
        return response
