"""Edge groups and message routing: one class per edge kind, each with its own ``route``.

Routing is a pure function of the pending messages and the fan-in buffers, so the engine can
use it both to deliver and to say which executors a checkpoint will run next.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from wftui.engine.executor import Executor
from wftui.engine.records import Message
from wftui.engine.request_info import RequestResponse

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


@dataclass
class Routed:
    """The result of routing one superstep's messages."""

    deliveries: dict[str, list[Message]]
    fan_in_buffers: dict[str, dict[str, list[Any]]]


class RoutingError(Exception):
    """A message was addressed somewhere its sender has no edge to."""


class RoutingStep:
    """One superstep's routing in progress: deliveries so far and fan-in buffers (copies)."""

    def __init__(
        self,
        executors: Mapping[str, Executor],
        fan_in_buffers: Mapping[str, Mapping[str, list[Any]]],
    ) -> None:
        self.executors = executors
        self.deliveries: dict[str, list[Message]] = {}
        self.buffers = {
            group: {src: list(vals) for src, vals in by_src.items()}
            for group, by_src in fan_in_buffers.items()
        }
        # Fan-in groups that received something in this superstep, to check once all have.
        self.filled: dict[str, FanInEdgeGroup] = {}

    def deliver(self, target: str, message: Message) -> None:
        self.deliveries.setdefault(target, []).append(message)

    def offer(self, target: str, message: Message) -> bool:
        """Deliver ``message`` to ``target`` if it is addressed there (or to no one) and fits."""
        if message.target_id not in (None, target):
            return False
        if not self.executors[target].can_handle(message.data):
            return False
        self.deliver(target, message)
        return True

    def result(self) -> Routed:
        for group in self.filled.values():
            group.release(self)
        buffers = {group: by_src for group, by_src in self.buffers.items() if by_src}
        return Routed(self.deliveries, buffers)


@dataclass(frozen=True)
class EdgeGroup(ABC):
    """Edges that route together. ``branches`` holds (target, condition) in priority order."""

    kind: ClassVar[EdgeKind]
    source_executor_ids: tuple[str, ...]
    branches: tuple[tuple[str, Condition | None], ...]

    @property
    def id(self) -> str:
        """Stable across processes: fan-in buffers are saved under it."""
        targets = "+".join(self.target_executor_ids)
        return f"{self.kind}:{'+'.join(self.source_executor_ids)}->{targets}"

    @property
    def target_executor_ids(self) -> list[str]:
        return [target for target, _ in self.branches]

    @property
    def edges(self) -> list[EdgeInfo]:
        source = self.source_executor_ids[0]
        return [
            EdgeInfo(source, target, self.kind, _label(condition))
            for target, condition in self.branches
        ]

    def delivered_types(self, sent: list[Any]) -> list[Any]:
        """What reaches a target when the sources send ``sent`` (for checks at build)."""
        return sent

    @abstractmethod
    def route(self, message: Message, step: RoutingStep) -> list[str]:
        """Route one message from a source of this group; return the targets it reached."""


class SingleEdgeGroup(EdgeGroup):
    """One edge, optionally conditional."""

    kind = EdgeKind.DIRECT

    def route(self, message: Message, step: RoutingStep) -> list[str]:
        target, condition = self.branches[0]
        if condition is not None and not condition(message.data):
            return []
        return [target] if step.offer(target, message) else []


class FanOutEdgeGroup(EdgeGroup):
    """Every message goes to each target that can handle it."""

    kind = EdgeKind.FAN_OUT

    def route(self, message: Message, step: RoutingStep) -> list[str]:
        return [target for target, _ in self.branches if step.offer(target, message)]


class SwitchCaseEdgeGroup(EdgeGroup):
    """The first case whose condition holds takes the message; a default (no condition) the rest."""

    kind = EdgeKind.SWITCH

    @property
    def edges(self) -> list[EdgeInfo]:
        source = self.source_executor_ids[0]
        return [
            EdgeInfo(
                source, target, self.kind, "default" if condition is None else _label(condition)
            )
            for target, condition in self.branches
        ]

    def route(self, message: Message, step: RoutingStep) -> list[str]:
        for target, condition in self.branches:
            if condition is None or condition(message.data):
                return [target] if step.offer(target, message) else []
        return []


class FanInEdgeGroup(EdgeGroup):
    """The target receives one list, in source order, once every source has sent."""

    kind = EdgeKind.FAN_IN

    @property
    def target(self) -> str:
        return self.branches[0][0]

    @property
    def edges(self) -> list[EdgeInfo]:
        return [EdgeInfo(source, self.target, self.kind) for source in self.source_executor_ids]

    def delivered_types(self, sent: list[Any]) -> list[Any]:
        return [list[Any]]

    def route(self, message: Message, step: RoutingStep) -> list[str]:
        if message.target_id not in (None, self.target):
            return []
        buffer = step.buffers.setdefault(self.id, {})
        buffer.setdefault(message.source_id, []).append(message.data)
        step.filled[self.id] = self
        return [self.target]

    def release(self, step: RoutingStep) -> None:
        """Deliver the collected list if every source has sent, and empty the buffer."""
        buffer = step.buffers[self.id]
        if all(buffer.get(source) for source in self.source_executor_ids):
            collected = [value for source in self.source_executor_ids for value in buffer[source]]
            step.deliver(self.target, Message(collected, self.id, self.target))
            del step.buffers[self.id]


class Router:
    """Routes a run's pending messages along the workflow's edge groups."""

    def __init__(self, groups: Iterable[EdgeGroup], executors: Mapping[str, Executor]) -> None:
        self._executors = executors
        self._groups_by_source: dict[str, list[EdgeGroup]] = {}
        for group in groups:
            for source in group.source_executor_ids:
                self._groups_by_source.setdefault(source, []).append(group)

    def route(
        self, messages: Iterable[Message], fan_in_buffers: Mapping[str, Mapping[str, list[Any]]]
    ) -> Routed:
        """Turn pending messages into per-executor deliveries, in order, without mutating inputs."""
        step = RoutingStep(self._executors, fan_in_buffers)
        for message in messages:
            if message.source_id == INPUT_SOURCE_ID:
                start_id = message.target_id
                if start_id is None or start_id not in self._executors:
                    raise RoutingError(f"run input for unknown executor {start_id!r}")
                step.deliver(start_id, message)
                continue
            reached: list[str] = []
            for group in self._groups_by_source.get(message.source_id, []):
                reached.extend(group.route(message, step))
            if message.target_id is not None and message.target_id not in reached:
                if isinstance(message.data, RequestResponse) and message.target_id in (
                    self._executors
                ):
                    # A human's answer goes back to the executor that asked even with no edge
                    # there: the request was its way back, and an answer is never dropped.
                    step.deliver(message.target_id, message)
                    continue
                raise RoutingError(
                    f"{message.source_id} sent {type(message.data).__name__} to "
                    f"{message.target_id}, but no edge from {message.source_id} leads there"
                    " (or its handlers do not accept that type)"
                )
        return step.result()
