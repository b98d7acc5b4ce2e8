"""WorkflowBuilder: declares the graph and checks it before anything runs."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeAlias, TypeVar, runtime_checkable

from wftui.bulk import no_cyclic_collection
from wftui.checkpoint.codec import register_type
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine.edges import (
    INPUT_SOURCE_ID,
    Case,
    Condition,
    Default,
    EdgeGroup,
    EdgeInfo,
    FanInEdgeGroup,
    FanOutEdgeGroup,
    SingleEdgeGroup,
    SwitchCaseEdgeGroup,
)
from wftui.engine.executor import Executor, WorkflowDefinitionError
from wftui.engine.saves import DEFAULT_DURABILITY, Durability, checked_durability
from wftui.engine.typing_utils import classes_in, could_match, is_catch_all, type_name
from wftui.engine.workflow import Workflow

DEFAULT_MAX_ITERATIONS = 100
_P = ParamSpec("_P")
_R = TypeVar("_R")


@runtime_checkable
class ExecutorProvider(Protocol):
    """Something that runs as a workflow step through an executor it makes, e.g. an agent.

    The builder takes these wherever it takes an executor and asks each object once, so the
    engine need not know the agents package that implements it."""

    def as_executor(self) -> Executor: ...


Node: TypeAlias = Executor | ExecutorProvider


def _checked_max_iterations(max_iterations: int) -> int:
    if max_iterations < 1:
        raise WorkflowDefinitionError(f"max_iterations must be at least 1, not {max_iterations}")
    return max_iterations


def _can_deliver(source: Executor, target: Executor, group: EdgeGroup) -> bool:
    """Whether some message ``source`` declares could reach a handler of ``target``."""
    sent = source.output_types
    accepted = target.input_types
    if sent is None or any(is_catch_all(t) for t in accepted):
        return True
    delivered = group.delivered_types(sent)
    return any(could_match(s, a) for s in delivered for a in accepted)


def _in_bulk(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """``method`` without the cyclic collector (``bulk.py``): a graph of thousands of executors
    makes that many objects per call, and the full collections they set off walked the whole
    heap (a build of 3,000 executors took 4-5 times one of 1,000, not 3)."""

    @functools.wraps(method)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with no_cyclic_collection():
            return method(*args, **kwargs)

    return paused


class WorkflowBuilder:
    """Fluent builder; ``build()`` raises WorkflowDefinitionError naming the executor or edge at fault."""

    def __init__(
        self, max_iterations: int = DEFAULT_MAX_ITERATIONS, name: str | None = None
    ) -> None:
        self._max_iterations = _checked_max_iterations(max_iterations)
        self._name = name
        self._executors: dict[str, Executor] = {}
        self._provided: dict[int, Executor] = {}  # id(provider) -> the executor it made
        self._edges: set[tuple[str, str]] = set()
        self._groups: list[EdgeGroup] = []
        self._group_edges: list[tuple[EdgeGroup, list[EdgeInfo]]] = []  # each group's, built once
        self._start: Executor | None = None
        self._storage: CheckpointStorage | None = None
        self._durability: Durability = DEFAULT_DURABILITY

    def _executor_of(self, node: Node) -> Executor:
        if isinstance(node, Executor) or not isinstance(node, ExecutorProvider):
            return node
        made = self._provided.get(id(node))
        if made is None:
            made = self._provided[id(node)] = node.as_executor()
        return made

    def _add_executor(self, node: Node) -> str:
        executor = self._executor_of(node)
        if not isinstance(executor, Executor):
            raise WorkflowDefinitionError(
                f"expected an Executor, got {type(executor).__name__}: {executor!r}"
            )
        if executor.id == INPUT_SOURCE_ID:
            raise WorkflowDefinitionError(
                f"the executor id {INPUT_SOURCE_ID!r} is reserved for the run's input; "
                f"rename the {type(executor).__name__}"
            )
        known = self._executors.get(executor.id)
        if known is not None and known is not executor:
            raise WorkflowDefinitionError(
                f"two different executors share the id {executor.id!r}; ids must be unique"
            )
        self._executors[executor.id] = executor
        return executor.id

    def _add_group(
        self,
        group_class: type[EdgeGroup],
        sources: Sequence[Node],
        branches: list[tuple[Node, Condition | None]],
    ) -> WorkflowBuilder:
        source_executor_ids = tuple(self._add_executor(source) for source in sources)
        group = group_class(
            source_executor_ids,
            tuple((self._add_executor(target), condition) for target, condition in branches),
        )
        edges = group.edges
        pairs = [(edge.source_id, edge.target_id) for edge in edges]
        for source_id, target_id in pairs:
            if (source_id, target_id) in self._edges:
                raise WorkflowDefinitionError(f"duplicate edge {source_id} -> {target_id}")
        self._edges.update(pairs)
        self._groups.append(group)
        self._group_edges.append((group, edges))
        return self

    def add_edge(
        self, source: Node, target: Node, condition: Condition | None = None
    ) -> WorkflowBuilder:
        return self._add_group(SingleEdgeGroup, [source], [(target, condition)])

    @_in_bulk
    def add_fan_out_edges(self, source: Node, targets: Sequence[Node]) -> WorkflowBuilder:
        """Every message from ``source`` goes to each target that can handle it."""
        if not targets:
            raise WorkflowDefinitionError(
                f"fan-out from {self._executor_of(source).id} needs at least one target"
            )
        return self._add_group(FanOutEdgeGroup, [source], [(target, None) for target in targets])

    @_in_bulk
    def add_fan_in_edges(self, sources: Sequence[Node], target: Node) -> WorkflowBuilder:
        """``target`` receives one list once every source has sent."""
        if not sources:
            raise WorkflowDefinitionError(
                f"fan-in to {self._executor_of(target).id} needs at least one source"
            )
        return self._add_group(FanInEdgeGroup, sources, [(target, None)])

    @_in_bulk
    def add_switch_case_edge_group(
        self, source: Executor, cases: Sequence[Case | Default]
    ) -> WorkflowBuilder:
        """The first case whose condition holds takes the message; Default takes the rest."""
        defaults = [case for case in cases if isinstance(case, Default)]
        if len(defaults) > 1 or (defaults and not isinstance(cases[-1], Default)):
            raise WorkflowDefinitionError(
                f"switch from {source.id}: at most one Default, and it must come last"
            )
        branches: list[tuple[Node, Condition | None]] = [
            (case.target, case.condition if isinstance(case, Case) else None) for case in cases
        ]
        return self._add_group(SwitchCaseEdgeGroup, [source], branches)

    @_in_bulk
    def add_chain(self, executors: Sequence[Node]) -> WorkflowBuilder:
        for source, target in itertools.pairwise(executors):
            self.add_edge(source, target)
        return self

    def set_start_executor(self, executor: Node) -> WorkflowBuilder:
        self._start = self._executors[self._add_executor(executor)]
        return self

    def set_max_iterations(self, max_iterations: int) -> WorkflowBuilder:
        """How many supersteps a run may take before it fails (agent-framework's spelling)."""
        self._max_iterations = _checked_max_iterations(max_iterations)
        return self

    def with_checkpointing(
        self, checkpoint_storage: CheckpointStorage, *, durability: Durability = DEFAULT_DURABILITY
    ) -> WorkflowBuilder:
        """``durability``: "sync" saves each checkpoint before the next superstep; "async"
        while it runs (see the README's Durability paragraph)."""
        self._storage = checkpoint_storage
        self._durability = checked_durability(durability)
        return self

    def _check_edge_types(self) -> None:
        # Executors of one class share their handler specs, so a big graph of few classes
        # checks each (sender, receiver, edge kind) once.
        fits: dict[tuple[int, int, type[EdgeGroup]], bool] = {}
        for group, edges in self._group_edges:
            for edge in edges:
                source = self._executors[edge.source_id]
                target = self._executors[edge.target_id]
                key = (id(source.handlers), id(target.handlers), type(group))
                if key not in fits:
                    fits[key] = _can_deliver(source, target, group)
                if not fits[key]:
                    sent = group.delivered_types(source.output_types or [])
                    accepted = target.input_types
                    raise WorkflowDefinitionError(
                        f"edge {edge.source_id} -> {edge.target_id} can never deliver: "
                        f"{edge.source_id} sends {' | '.join(type_name(t) for t in sent) or 'nothing'}"
                        f" but {edge.target_id} accepts "
                        f"{' | '.join(type_name(t) for t in accepted)}"
                    )

    def _register_declared_types(self) -> None:
        """Only types the workflow declares may be rebuilt from a checkpoint file."""
        specs = {id(e.handlers): e.handlers for e in self._executors.values()}  # once per class
        for handlers in specs.values():
            for spec in handlers:
                declared: list[Any] = [spec.message_type]
                declared.extend(spec.output_types or ())
                declared.extend(spec.workflow_output_types or ())
                for annotation in declared:
                    for cls in classes_in(annotation):
                        if cls.__module__ != "builtins" and not is_catch_all(cls):
                            register_type(cls)

    def _check_reachable(self, start_id: str) -> None:
        successors: dict[str, set[str]] = {}
        for _, edges in self._group_edges:
            for edge in edges:
                successors.setdefault(edge.source_id, set()).add(edge.target_id)
        reached, frontier = {start_id}, [start_id]
        while frontier:
            for target in successors.get(frontier.pop(), ()):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        unreachable = sorted(set(self._executors) - reached)
        if unreachable:
            raise WorkflowDefinitionError(
                f"executors not reachable from the start executor {start_id}: "
                + ", ".join(unreachable)
            )

    @_in_bulk
    def build(self) -> Workflow:
        if self._start is None:
            raise WorkflowDefinitionError("no start executor: call set_start_executor(...)")
        self._check_reachable(self._start.id)
        self._check_edge_types()
        self._register_declared_types()
        return Workflow(
            executors=dict(self._executors),
            groups=list(self._groups),
            start_executor_id=self._start.id,
            max_iterations=self._max_iterations,
            name=self._name or self._start.id,
            checkpoint_storage=self._storage,
            durability=self._durability,
        )
