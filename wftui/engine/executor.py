"""Executors and their typed ``@handler`` methods."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from wftui.engine.typing_utils import (
    is_never,
    match_distance,
    type_name,
    union_members,
)

if TYPE_CHECKING:
    from wftui.engine.context import WorkflowContext

HandlerFunction = Callable[[Any, Any, "WorkflowContext[Any, Any]"], Awaitable[None]]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])

_HANDLER_MARK = "__wftui_handler__"


class WorkflowDefinitionError(ValueError):
    """The workflow as written cannot run; the message names what is at fault.

    A ValueError, as agent-framework raises for the same faults."""


def handler(func: F) -> F:
    """Mark an async method ``(self, message: T, ctx: WorkflowContext[...])`` as a handler of T.

    Its shape is checked here, so a mistake fails where the class is defined; the annotations
    themselves are resolved at first use, so forward references work.
    """
    is_async = inspect.iscoroutinefunction(func)  # kept apart: the check narrows func's type
    if not is_async:
        raise WorkflowDefinitionError(f"handler {func.__qualname__} must be 'async def'")
    parameters = list(inspect.signature(func).parameters.values())
    if len(parameters) != 3:
        names = ", ".join(parameter.name for parameter in parameters)
        raise WorkflowDefinitionError(
            f"handler {func.__qualname__} must take (self, message, ctx), not ({names})"
        )
    if parameters[1].annotation is inspect.Parameter.empty:
        raise WorkflowDefinitionError(
            f"handler {func.__qualname__} must annotate '{parameters[1].name}' with the type "
            "it handles"
        )
    setattr(func, _HANDLER_MARK, True)
    return func


@dataclass(frozen=True)
class HandlerSpec:
    """One handler as the router sees it."""

    name: str
    function: HandlerFunction
    message_type: Any
    # What the handler may send (WorkflowContext's first argument); None when undeclared.
    output_types: tuple[Any, ...] | None
    workflow_output_types: tuple[Any, ...] | None

    def as_dict(self) -> dict[str, Any]:
        """agent-framework's description of a handler (its private ``_handler_spec``)."""
        return {
            "name": self.name,
            "message_type": self.message_type,
            "output_types": list(self.output_types or ()),
            "workflow_output_types": list(self.workflow_output_types or ()),
        }


def context_arguments(annotation: Any) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """Read ``WorkflowContext[TOut, TWorkflowOut]`` into (sent types, yielded types).

    A bare ``WorkflowContext`` declares nothing (None: not checked); ``WorkflowContext[Any]``
    declares Any, which every value matches."""
    args = typing.get_args(annotation)
    if not args:
        return None, None

    def declared(arg: Any) -> tuple[Any, ...] | None:
        if is_never(arg) or arg is None or arg is type(None):
            return ()
        return union_members(arg)

    sent = declared(args[0])
    yielded = declared(args[1]) if len(args) > 1 else ()
    return sent, yielded


def _resolve_handler(cls: type, name: str, function: HandlerFunction) -> HandlerSpec:
    try:
        hints = typing.get_type_hints(function)
    except NameError as error:
        raise WorkflowDefinitionError(
            f"cannot resolve the annotations of handler {cls.__name__}.{name}: {error}"
        ) from error
    # ``handler`` checked the shape: three parameters, the message one annotated.
    _, message_param, ctx_param = inspect.signature(function).parameters
    sent, yielded = context_arguments(hints.get(ctx_param))
    return HandlerSpec(name, function, hints[message_param], sent, yielded)


_SPEC_CACHE: dict[type, tuple[HandlerSpec, ...]] = {}


def handler_specs(cls: type) -> tuple[HandlerSpec, ...]:
    """The handlers of an executor class, resolved once (lazily, so forward references work)."""
    cached = _SPEC_CACHE.get(cls)
    if cached is not None:
        return cached
    specs: list[HandlerSpec] = []
    seen: set[str] = set()
    for klass in cls.__mro__:
        for name, member in vars(klass).items():
            if name in seen or not getattr(member, _HANDLER_MARK, False):
                continue
            seen.add(name)
            specs.append(_resolve_handler(cls, name, member))
    by_type: dict[str, str] = {}
    for spec in specs:
        key = type_name(spec.message_type)
        if key in by_type:
            raise WorkflowDefinitionError(
                f"{cls.__name__} has two handlers for {key}: {by_type[key]} and {spec.name}"
            )
        by_type[key] = spec.name
    result = tuple(specs)
    _SPEC_CACHE[cls] = result
    return result


class Executor:
    """A unit of work: receives typed messages, keeps its own checkpointed state, sends on."""

    def __init__(self, id: str | None = None) -> None:
        if id == "":
            raise WorkflowDefinitionError(
                f"a {type(self).__name__}'s id must be a non-empty string (or left out)"
            )
        self.id: str = id or type(self).__name__
        self._specs = self._find_handlers()
        if not self._specs:
            raise WorkflowDefinitionError(f"executor {self.id} has no @handler methods")
        # agent-framework's private layout, which code written for it reads: message type ->
        # handler function (carrying ``_handler_spec``), and the specs as dicts. A view only.
        self._handler_specs = [spec.as_dict() for spec in self._specs]
        self._handlers: dict[Any, HandlerFunction] = {}
        for spec, described in zip(self._specs, self._handler_specs, strict=True):
            setattr(spec.function, "_handler_spec", described)  # noqa: B010 (mypy: a function)
            self._handlers[spec.message_type] = spec.function

    def _find_handlers(self) -> tuple[HandlerSpec, ...]:
        """The ``@handler`` methods of the class; an executor made otherwise says its own."""
        return handler_specs(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"

    @property
    def handlers(self) -> tuple[HandlerSpec, ...]:
        return self._specs

    @property
    def input_types(self) -> list[Any]:
        return [spec.message_type for spec in self._specs]

    def _declared(
        self, per_handler: Callable[[HandlerSpec], tuple[Any, ...] | None]
    ) -> list[Any] | None:
        """The union over handlers, or None when any handler leaves it undeclared."""
        found: list[Any] = []
        for spec in self._specs:
            declared = per_handler(spec)
            if declared is None:
                return None
            found.extend(t for t in declared if t not in found)
        return found

    @property
    def output_types(self) -> list[Any] | None:
        """Types this executor may send (None: undeclared, so edges are not type-checked)."""
        return self._declared(lambda spec: spec.output_types)

    @property
    def workflow_output_types(self) -> list[Any] | None:
        return self._declared(lambda spec: spec.workflow_output_types)

    def find_handler(self, message: Any) -> HandlerSpec | None:
        """The handler whose type is most specific for ``message``."""
        best: HandlerSpec | None = None
        best_distance = 0
        for spec in self._specs:
            distance = match_distance(message, spec.message_type)
            if distance is not None and (best is None or distance < best_distance):
                best, best_distance = spec, distance
        return best

    def can_handle(self, message: Any) -> bool:
        return self.find_handler(message) is not None
