"""Executors written with ``from __future__ import annotations``: every annotation is a string."""

from __future__ import annotations

from dataclasses import dataclass

from wftui import Executor, WorkflowContext, handler


@dataclass
class Parcel:
    label: str


class StringAnnotated(Executor):
    """Handlers whose types exist only as strings until the engine resolves them."""

    @handler
    async def a_parcel(self, parcel: Parcel, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(f"parcel:{parcel.label}")

    @handler
    async def b_text_or_number(self, value: str | int, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(f"text-or-number:{value}")
