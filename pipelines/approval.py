"""Human in the loop: a drafter asks a person to approve its draft, then finishes with the answer.

Drafter -> RequestInfoExecutor -> Drafter. The run pauses ``IDLE_WITH_PENDING_REQUESTS`` until
the request is answered: in the app's dialog, or headless with
``wftui resume ID pipelines/approval.py --respond REQUEST_ID=VALUE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wftui import (
    CheckpointStorage,
    Executor,
    RequestInfoExecutor,
    RequestInfoMessage,
    RequestResponse,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)
from wftui.agents import ChatClient
from wftui.engine.saves import DEFAULT_DURABILITY, Durability

DESCRIPTION = "Drafts an upper-cased reply and asks a person to approve it."
DEFAULT_INPUT = "hello"


@dataclass
class ApprovalRequest(RequestInfoMessage):
    """The question put to the person: the draft to approve."""

    draft: str = ""


class Drafter(Executor):
    """Drafts from the input, then yields the draft with the person's answer."""

    @handler
    async def draft(self, text: str, ctx: WorkflowContext[ApprovalRequest]) -> None:
        await ctx.send_message(ApprovalRequest(draft=text.upper()))

    @handler
    async def on_reply(
        self, reply: RequestResponse[ApprovalRequest, str], ctx: WorkflowContext[str, str]
    ) -> None:
        await ctx.yield_output(f"{reply.original_request.draft}:{reply.data}")


def create_workflow(
    checkpoint_storage: CheckpointStorage | None,
    chat_client: ChatClient | None = None,
    *,
    durability: Durability = DEFAULT_DURABILITY,
) -> Workflow:
    """Build the pipeline; it has no agent, so ``chat_client`` is accepted and unused."""
    drafter, rie = Drafter(id="drafter"), RequestInfoExecutor(id="request_info")
    builder = (
        WorkflowBuilder(name="approval")
        .set_start_executor(drafter)
        .add_edge(drafter, rie)
        .add_edge(rie, drafter)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage, durability=durability)
    return builder.build()
