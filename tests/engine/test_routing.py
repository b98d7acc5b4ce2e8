"""Routing: a message goes to the most specific handler, never by method-name order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.engine.future_handlers import Parcel, StringAnnotated
from wftui import (
    Executor,
    RequestInfoMessage,
    RequestResponse,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    WorkflowRunState,
    handler,
)
from wftui.engine import WorkflowDefinitionError


class GeneralFirst(Executor):
    """The least specific handler is defined first and sorts first by name."""

    @handler
    async def a_anything(self, value: object, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"object:{value!r}")

    @handler
    async def b_number(self, value: int, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"int:{value!r}")

    @handler
    async def c_flag(self, value: bool, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"bool:{value!r}")

    @handler
    async def d_text(self, value: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"str:{value!r}")


class SpecificFirst(Executor):
    """The same handlers in the opposite order."""

    @handler
    async def a_text(self, value: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"str:{value!r}")

    @handler
    async def b_flag(self, value: bool, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"bool:{value!r}")

    @handler
    async def c_number(self, value: int, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"int:{value!r}")

    @handler
    async def d_anything(self, value: object, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"object:{value!r}")


async def only_output(executor: Executor, message: Any) -> Any:
    """Run a one-executor workflow on ``message`` and return its single output."""
    result = await WorkflowBuilder().set_start_executor(executor).build().run(message)
    assert result.get_final_state() is WorkflowRunState.IDLE, result
    (output,) = result.get_outputs()
    return output


@pytest.mark.parametrize("cls", [GeneralFirst, SpecificFirst])
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (True, "bool:True"),
        (7, "int:7"),
        ("hi", "str:'hi'"),
        (2.5, "object:2.5"),
        (None, "object:None"),
    ],
)
async def test_most_specific_handler_wins_whatever_the_order(
    cls: type[Executor], message: Any, expected: str
) -> None:
    assert await only_output(cls(id="probe"), message) == expected


class UnionOrText(Executor):
    """A union handler defined before an exact one: the exact one still wins for its type."""

    @handler
    async def a_union(self, value: str | int, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"union:{value!r}")

    @handler
    async def b_text(self, value: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"str:{value!r}")


async def test_union_handler_takes_each_member_and_loses_to_an_exact_match() -> None:
    assert await only_output(UnionOrText(id="u"), 3) == "union:3"
    assert await only_output(UnionOrText(id="u"), "x") == "str:'x'"


async def test_a_message_no_handler_accepts_fails_the_run_naming_the_executor() -> None:
    workflow = WorkflowBuilder().set_start_executor(UnionOrText(id="u")).build()
    result = await workflow.run(1.5, raise_on_failure=False)
    assert result.get_final_state() is WorkflowRunState.FAILED
    (failed,) = [e for e in result if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    assert "u" in failed.details.message
    assert "float" in failed.details.message


async def test_string_annotations_from_future_import_are_resolved() -> None:
    probe = StringAnnotated(id="strings")
    assert probe.input_types == [Parcel, str | int]
    for message, expected in [
        (Parcel("box"), "parcel:box"),
        ("a", "text-or-number:a"),
        (4, "text-or-number:4"),
    ]:
        workflow = (
            WorkflowBuilder().add_edge(probe, Sink(id="sink")).set_start_executor(probe).build()
        )
        assert (await workflow.run(message)).get_outputs() == [expected]


class Sink(Executor):
    @handler
    async def take(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(text)


@dataclass
class ApprovalA(RequestInfoMessage):
    draft: str = ""


@dataclass
class ApprovalB(RequestInfoMessage):
    amount: int = 0


class Replies(Executor):
    """Routes answers by the request's type and the answer's type; the bare class catches the rest."""

    @handler
    async def a_any_reply(self, reply: RequestResponse, ctx: WorkflowContext[Any, str]) -> None:
        await ctx.yield_output(f"any:{reply.data!r}")

    @handler
    async def b_a_text(
        self, reply: RequestResponse[ApprovalA, str], ctx: WorkflowContext[Any, str]
    ) -> None:
        await ctx.yield_output(f"A/str:{reply.original_request.draft}:{reply.data}")

    @handler
    async def c_b_text(
        self, reply: RequestResponse[ApprovalB, str], ctx: WorkflowContext[Any, str]
    ) -> None:
        await ctx.yield_output(f"B/str:{reply.original_request.amount}:{reply.data}")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (RequestResponse("ok", ApprovalA(draft="d"), "r1"), "A/str:d:ok"),
        (RequestResponse("ok", ApprovalB(amount=3), "r2"), "B/str:3:ok"),
        (RequestResponse(5, ApprovalA(draft="d"), "r3"), "any:5"),
    ],
)
async def test_request_response_routes_by_its_type_arguments(
    reply: RequestResponse[Any, Any], expected: str
) -> None:
    assert await only_output(Replies(id="replies"), reply) == expected


def test_two_handlers_for_one_type_are_a_definition_error() -> None:
    class Twice(Executor):
        @handler
        async def one(self, value: str, ctx: WorkflowContext[str]) -> None: ...

        @handler
        async def two(self, value: str, ctx: WorkflowContext[str]) -> None: ...

    with pytest.raises(WorkflowDefinitionError, match=r"Twice.*two handlers for str.*one.*two"):
        Twice(id="twice")


def test_handler_must_be_async() -> None:
    with pytest.raises(WorkflowDefinitionError, match="async def"):

        class Sync(Executor):
            @handler  # type: ignore[type-var]
            def step(self, value: str, ctx: WorkflowContext[str]) -> None: ...


class Liar(Executor):
    """Declares it sends str but sends an int."""

    @handler
    async def step(self, value: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(42)


async def test_sending_an_undeclared_type_fails_naming_handler_and_types() -> None:
    liar = Liar(id="liar")
    workflow = WorkflowBuilder().add_edge(liar, Sink(id="sink")).set_start_executor(liar).build()
    result = await workflow.run("x", raise_on_failure=False)
    (failed,) = [e for e in result if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    assert failed.details.executor_id == "liar"
    assert "liar.step sent int" in failed.details.message
    assert "declares str" in failed.details.message
