"""``@executor``: a plain function as a workflow step, its types read from its signature."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable
from typing import Any, overload

from wftui.engine.context import WorkflowContext
from wftui.engine.executor import (
    Executor,
    HandlerSpec,
    WorkflowDefinitionError,
    context_arguments,
)
from wftui.engine.typing_utils import type_name

_SHAPE = "(message: T) or (message: T, ctx: WorkflowContext[U])"


def _function_spec(
    func: Callable[..., Any], parameters: list[inspect.Parameter], is_async: bool
) -> HandlerSpec:
    """Check the function's shape and read its handler types, as ``@handler`` does for methods."""
    name = getattr(func, "__name__", "function")
    if len(parameters) not in (1, 2):
        names = ", ".join(parameter.name for parameter in parameters)
        raise WorkflowDefinitionError(f"function {name} must have {_SHAPE}, not ({names})")
    try:
        hints = typing.get_type_hints(func)
    except NameError as error:
        raise WorkflowDefinitionError(
            f"cannot resolve the annotations of function {name}: {error}"
        ) from error
    message_name = parameters[0].name
    if message_name not in hints:
        raise WorkflowDefinitionError(
            f"function {name} needs a type annotation for the message parameter '{message_name}'"
        )
    sent: tuple[Any, ...] | None = ()  # without a context it can neither send nor yield
    yielded: tuple[Any, ...] | None = ()
    if len(parameters) == 2:
        ctx_name = parameters[1].name
        annotation = hints.get(ctx_name)
        if annotation is None:
            raise WorkflowDefinitionError(
                f"function {name} must have a WorkflowContext annotation on '{ctx_name}'"
            )
        if (typing.get_origin(annotation) or annotation) is not WorkflowContext:
            raise WorkflowDefinitionError(
                f"parameter '{ctx_name}' of function {name} must be annotated as "
                f"WorkflowContext[...], not {type_name(annotation)}"
            )
        sent, yielded = context_arguments(annotation)
    takes_context = len(parameters) == 2

    async def call(_executor: Any, message: Any, ctx: WorkflowContext[Any, Any]) -> None:
        arguments = (message, ctx) if takes_context else (message,)
        if is_async:
            await func(*arguments)
        else:
            # In a worker thread, so a blocking function does not stall the other executors.
            await asyncio.to_thread(func, *arguments)

    return HandlerSpec(name, call, hints[message_name], sent, yielded)


class FunctionExecutor(Executor):
    """Runs one function ``(message: T)`` or ``(message: T, ctx: WorkflowContext[...])``.

    Async or not (a plain function runs in a worker thread); its return value is ignored —
    send with ``ctx.send_message`` as in a handler.
    """

    def __init__(self, func: Callable[..., Any], id: str | None = None) -> None:
        parameters = list(inspect.signature(func).parameters.values())
        # agent-framework's private names for how the function is called.
        self._is_async = inspect.iscoroutinefunction(func)
        self._has_context = len(parameters) == 2
        self._spec = _function_spec(func, parameters, self._is_async)
        self.function = func
        super().__init__(id=id or getattr(func, "__name__", None))

    def _find_handlers(self) -> tuple[HandlerSpec, ...]:
        return (self._spec,)


@overload
def executor(func: Callable[..., Any], *, id: str | None = None) -> FunctionExecutor: ...


@overload
def executor(*, id: str | None = None) -> Callable[[Callable[..., Any]], FunctionExecutor]: ...


def executor(
    func: Callable[..., Any] | None = None, *, id: str | None = None
) -> FunctionExecutor | Callable[[Callable[..., Any]], FunctionExecutor]:
    """``@executor`` or ``@executor(id="...")``: the function becomes an executor (its id is
    the function's name unless given)."""

    def make(function: Callable[..., Any]) -> FunctionExecutor:
        return FunctionExecutor(function, id=id)

    return make if func is None else make(func)
