"""Type matching for handler routing and edge checks.

Routing picks the handler whose declared type is closest to the message's class in its MRO,
so a ``bool`` handler beats an ``int`` handler beats ``object`` whatever the method names.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Never, Union

# Distance given to Any/object: farther than any real class in an MRO.
_CATCH_ALL_DISTANCE = 10_000
# One MRO step outweighs both tie-breaks, which prefer the narrower of two annotations of the
# same class: ``RequestResponse[A, str]`` over bare ``RequestResponse``, ``str`` over ``str | int``.
_MRO_STEP = 4
_UNION_PENALTY = 2
_UNPARAMETRISED_PENALTY = 1

_NEVER_TYPES: tuple[Any, ...] = (Never, typing.NoReturn)


def is_catch_all(annotation: Any) -> bool:
    return annotation is Any or annotation is object


def is_never(annotation: Any) -> bool:
    return any(annotation is never for never in _NEVER_TYPES)


def union_members(annotation: Any) -> tuple[Any, ...]:
    """The members of a Union / ``X | Y``, or the annotation alone."""
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return (annotation,)


def type_name(annotation: Any) -> str:
    """A short readable name: ``str``, ``list[int]``, ``RequestResponse[Approval, str]``."""
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    text = repr(annotation).replace("typing.", "")
    for module in ("builtins.", "__main__."):
        text = text.replace(module, "")
    return text


def match_distance(value: Any, annotation: Any) -> int | None:
    """How closely ``value`` matches ``annotation`` (smaller is closer), or None if it does not."""
    if type(value) is annotation and annotation is not object:
        # A plain class naming the value's own class: the common case (every message of a
        # chain of ``str`` handlers), and what the general path below would give it.
        return _UNPARAMETRISED_PENALTY
    if is_catch_all(annotation):
        return _CATCH_ALL_DISTANCE
    members = union_members(annotation)
    penalty = _UNION_PENALTY if len(members) > 1 else 0
    best: int | None = None
    for member in members:
        distance = _member_distance(value, member)
        if distance is None:
            continue
        if distance != _CATCH_ALL_DISTANCE:
            specific = any(not is_catch_all(arg) for arg in typing.get_args(member))
            distance = distance * _MRO_STEP + penalty + (0 if specific else _UNPARAMETRISED_PENALTY)
        if best is None or distance < best:
            best = distance
    return best


def _member_distance(value: Any, annotation: Any) -> int | None:
    if is_catch_all(annotation):
        return _CATCH_ALL_DISTANCE
    if annotation is None or annotation is type(None):
        return 0 if value is None else None
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return 0 if value in typing.get_args(annotation) else None
    base = origin if isinstance(origin, type) else annotation
    if not isinstance(base, type) or not isinstance(value, base):
        return None
    if origin is not None and not _args_match(value, base, typing.get_args(annotation)):
        return None
    mro = type(value).__mro__
    return mro.index(base) if base in mro else len(mro)


def _args_match(value: Any, base: type, args: tuple[Any, ...]) -> bool:
    """Check generic arguments of containers and of classes that say how (``__wftui_args_match__``)."""
    checker = getattr(base, "__wftui_args_match__", None)
    if checker is not None:
        return bool(checker(value, args))
    if not args:
        return True
    if issubclass(base, Mapping) and len(args) == 2:
        return all(
            match_distance(k, args[0]) is not None and match_distance(v, args[1]) is not None
            for k, v in value.items()
        )
    if issubclass(base, tuple):
        if len(args) == 2 and args[1] is Ellipsis:
            return all(match_distance(item, args[0]) is not None for item in value)
        return len(args) == len(value) and all(
            match_distance(item, arg) is not None for item, arg in zip(value, args, strict=True)
        )
    if issubclass(base, Sequence | set | frozenset) and len(args) == 1:
        return all(match_distance(item, args[0]) is not None for item in value)
    return True


def _runtime_class(annotation: Any) -> type | None:
    origin = typing.get_origin(annotation)
    base = origin if isinstance(origin, type) else annotation
    return base if isinstance(base, type) else None


def could_match(sent: Any, accepted: Any) -> bool:
    """Whether some value of declared type ``sent`` could be routed to a handler of ``accepted``."""
    if is_catch_all(sent) or is_catch_all(accepted):
        return True
    for sent_member in union_members(sent):
        for accepted_member in union_members(accepted):
            if is_catch_all(sent_member) or is_catch_all(accepted_member):
                return True
            sent_class = _runtime_class(sent_member)
            accepted_class = _runtime_class(accepted_member)
            if sent_class is None or accepted_class is None:
                return True  # a construct we cannot reason about: do not refuse the graph
            if issubclass(sent_class, accepted_class) or issubclass(accepted_class, sent_class):
                return True
    return False


def classes_in(annotation: Any) -> list[type]:
    """Every class an annotation names (for registering types the checkpoint may rebuild)."""
    found: list[type] = []
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and not typing.get_args(current):
            found.append(current)
            continue
        origin = typing.get_origin(current)
        if isinstance(origin, type):
            found.append(origin)
        stack.extend(arg for arg in typing.get_args(current) if arg is not Ellipsis)
    return found
