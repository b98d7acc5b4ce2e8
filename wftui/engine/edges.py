"""Edge groups and message routing.

Routing is a pure function of the pending messages and the fan-in buffers, so the engine can
use it both to deliver and to say which executors a checkpoint will run next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wftui.engine.executor import Executor
from wftui.engine.records import Message

Condition = Callable[[Any], bool]


class EdgeKind(StrEnum):
    """How an edge group routes; public so UIs draw edges without copying the engine's names."""

    DIRECT = "direct"
    FAN_OUT = "fan_out"
    FAN_IN = "fan_in"
    SWITCH = "switch"


# Source id of the run's input message, addressed to the start executor.
INPUT_SOURCE_ID = "__input__"


def _label(condition: Condition | None) -> str:
    if condition is None:
        return ""
    name = getattr(condition, "__name__", type(condition).__name__)
    return "condition" if name == "<lambda>" else name


@dataclass(frozen=True)
class Case:
    """A switch branch: messages for which ``condition`` is true go to ``target``."""

    condition: Condition
    target: Executor


@dataclass(frozen=True)
class Default:
    """The switch branch taken when no case matches."""

    target: Executor


@dataclass(frozen=True)
class EdgeInfo:
    """One drawn edge, for UIs."""

    source_id: str
    target_id: str
    kind: EdgeKind
    label: str = ""


@dataclass(frozen=True)
class EdgeGroup:
    """Edges that route together. ``branches`` holds (target, condition) in priority order."""

    kind: EdgeKind
    source_ids: tuple[str, ...]
    branches: tuple[tuple[str, Condition | None], ...]

    @property
    def group_id(self) -> str:
        targets = "+".join(target for target, _ in self.branches)
        return f"{self.kind}:{'+'.join(self.source_ids)}->{targets}"

    @property
    def edges(self) -> list[EdgeInfo]:
        if self.kind is EdgeKind.FAN_IN:
            target = self.branches[0][0]
            return [EdgeInfo(source, target, EdgeKind.FAN_IN) for source in self.source_ids]
        source = self.source_ids[0]
        infos = []
        for target, condition in self.branches:
            label = _label(condition)
            if self.kind is EdgeKind.SWITCH and condition is None:
                label = "default"
            infos.append(EdgeInfo(source, target, self.kind, label))
        return infos

    def targets_for(self, message: Message) -> list[str]:
        """Where a non-fan-in group sends ``message`` (before type filtering)."""
        if self.kind is EdgeKind.SWITCH:
            for target, condition in self.branches:
                if condition is None or condition(message.data):
                    return [target]
            return []
        return [
            target
            for target, condition in self.branches
            if condition is None or condition(message.data)
        ]


@dataclass
class Routed:
    """The result of routing one superstep's messages."""

    deliveries: dict[str, list[Message]]
    fan_in_buffers: dict[str, dict[str, list[Any]]]


class RoutingError(Exception):
    """A message was addressed somewhere its sender has no edge to."""


class Router:
    """Routes a run's pending messages along the workflow's edge groups."""

    def __init__(self, groups: Iterable[EdgeGroup], executors: Mapping[str, Executor]) -> None:
        self._executors = executors
        self._groups_by_source: dict[str, list[EdgeGroup]] = {}
        for group in groups:
            for source in group.source_ids:
                self._groups_by_source.setdefault(source, []).append(group)

    def route(
        self, messages: Iterable[Message], fan_in_buffers: Mapping[str, Mapping[str, list[Any]]]
    ) -> Routed:
        return route(messages, self._groups_by_source, self._executors, fan_in_buffers)


def route(
    messages: Iterable[Message],
    groups_by_source: Mapping[str, list[EdgeGroup]],
    executors: Mapping[str, Executor],
    fan_in_buffers: Mapping[str, Mapping[str, list[Any]]],
) -> Routed:
    """Turn pending messages into per-executor deliveries, in order, without mutating inputs."""
    deliveries: dict[str, list[Message]] = {}
    buffers = {
        group: {src: list(vals) for src, vals in by_src.items()}
        for group, by_src in fan_in_buffers.items()
    }
    fan_in_groups: dict[str, EdgeGroup] = {}

    def deliver(target: str, message: Message) -> None:
        deliveries.setdefault(target, []).append(message)

    for message in messages:
        if message.source_id == INPUT_SOURCE_ID:
            start_id = message.target_id
            if start_id is None or start_id not in executors:
                raise RoutingError(f"run input for unknown executor {start_id!r}")
            deliver(start_id, message)
            continue
        reached: list[str] = []
        for group in groups_by_source.get(message.source_id, []):
            if group.kind is EdgeKind.FAN_IN:
                target = group.branches[0][0]
                if message.target_id in (None, target):
                    buffer = buffers.setdefault(group.group_id, {})
                    buffer.setdefault(message.source_id, []).append(message.data)
                    fan_in_groups[group.group_id] = group
                    reached.append(target)
                continue
            for target in group.targets_for(message):
                if message.target_id not in (None, target):
                    continue
                if executors[target].can_handle(message.data):
                    deliver(target, message)
                    reached.append(target)
        if message.target_id is not None and message.target_id not in reached:
            raise RoutingError(
                f"{message.source_id} sent {type(message.data).__name__} to "
                f"{message.target_id}, but no edge from {message.source_id} leads there"
                " (or its handlers do not accept that type)"
            )
    for group_id, group in fan_in_groups.items():
        buffer = buffers[group_id]
        if all(buffer.get(source) for source in group.source_ids):
            collected = [value for source in group.source_ids for value in buffer[source]]
            target = group.branches[0][0]
            deliver(target, Message(collected, group_id, target))
            del buffers[group_id]
    return Routed(deliveries, {group: by_src for group, by_src in buffers.items() if by_src})
