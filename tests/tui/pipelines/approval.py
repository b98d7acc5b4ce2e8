"""A drafter that asks a person to approve its draft (the engine issue's human-in-the-loop API)."""

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

DESCRIPTION = "Drafts an upper-cased reply and asks a person to approve it."
DEFAULT_INPUT = "hello"


@dataclass
class ApprovalRequest(RequestInfoMessage):
    draft: str = ""


class Drafter(Executor):
    @handler
    async def draft(self, text: str, ctx: WorkflowContext[ApprovalRequest]) -> None:
        await ctx.send_message(ApprovalRequest(draft=text.upper()))

    @handler
    async def on_reply(
        self, reply: RequestResponse[ApprovalRequest, str], ctx: WorkflowContext[str, str]
    ) -> None:
        await ctx.yield_output(f"{reply.original_request.draft}:{reply.data}")


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: object = None
) -> Workflow:
    drafter, request_info = Drafter(id="drafter"), RequestInfoExecutor(id="request_info")
    builder = (
        WorkflowBuilder()
        .set_start_executor(drafter)
        .add_edge(drafter, request_info)
        .add_edge(request_info, drafter)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
