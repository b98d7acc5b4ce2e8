"""The allow-list of classes a checkpoint may rebuild, and what the codec needs to know of each.

Nothing named in a file is imported: a tag is looked up here, and only classes the workflow
declared (or the user registered) are found.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum, IntEnum
from typing import Any, NamedTuple

from pydantic import BaseModel


class Kind(IntEnum):
    """How the codec writes and rebuilds a class."""

    ENUM = 0
    MODEL = 1
    DATACLASS = 2
    OTHER = 3


class ClassInfo(NamedTuple):
    name: str
    kind: Kind
    fields: tuple[str, ...]


_REGISTRY: dict[str, type] = {}
_CLASS_INFO: dict[type, ClassInfo] = {}


def type_name(cls: type) -> str:
    """The name a file uses for a class: ``module:QualName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def class_info(cls: type) -> ClassInfo:
    """Kind and field names of ``cls``, computed once per class."""
    info = _CLASS_INFO.get(cls)
    if info is None:
        if issubclass(cls, Enum):
            info = ClassInfo(type_name(cls), Kind.ENUM, ())
        elif issubclass(cls, BaseModel):
            info = ClassInfo(type_name(cls), Kind.MODEL, tuple(cls.model_fields))
        elif dataclasses.is_dataclass(cls):
            names = tuple(field.name for field in dataclasses.fields(cls))
            info = ClassInfo(type_name(cls), Kind.DATACLASS, names)
        else:
            info = ClassInfo(type_name(cls), Kind.OTHER, ())
        _CLASS_INFO[cls] = info
    return info


def register_type(tp: Any) -> Any:
    """Allow checkpoints to rebuild ``tp`` and every class reachable from it.

    Accepts a class or a typing form (``list[X]``, ``X | None``, ``Annotated``...). Enums,
    dataclasses and pydantic models are registered, and the types of their fields are walked;
    anything else (builtins, ``Any``, plain classes) is ignored. Returns ``tp`` so it can be
    used as a class decorator.
    """
    _walk(tp, set())
    return tp


def _walk(tp: Any, seen: set[int]) -> None:
    if id(tp) in seen:
        return
    seen.add(id(tp))
    args = typing.get_args(tp)
    if args or typing.get_origin(tp) is not None:
        for arg in (typing.get_origin(tp), *args):
            _walk(arg, seen)
        return
    if not isinstance(tp, type):
        return
    kind = class_info(tp).kind
    if kind is Kind.OTHER:
        return
    _REGISTRY[type_name(tp)] = tp
    if kind is Kind.MODEL:
        for field in typing.cast(type[BaseModel], tp).model_fields.values():
            _walk(field.annotation, seen)
    elif kind is Kind.DATACLASS:
        for annotation in _dataclass_annotations(tp):
            _walk(annotation, seen)


def _dataclass_annotations(cls: type) -> list[Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable forward references: walk what is already a type
        return [field.type for field in dataclasses.fields(cls) if not isinstance(field.type, str)]
    return [hints.get(field.name) for field in dataclasses.fields(cls)]


def lookup(name: str) -> type | None:
    """A registered class, or a loaded subclass of one (a handler taking ``Base`` accepts ``Sub``)."""
    cls = _REGISTRY.get(name)
    if cls is not None:
        return cls
    stack = list(_REGISTRY.values())
    seen: set[type] = set()
    while stack:
        candidate = stack.pop()
        if candidate in seen:
            continue
        seen.add(candidate)
        if type_name(candidate) == name:
            _REGISTRY[name] = candidate
            return candidate
        stack.extend(candidate.__subclasses__())
    return None
