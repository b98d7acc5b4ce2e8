"""The graph as data: what UIs draw, what a checkpoint's signature hashes, and what a mismatch
on resume says differs."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter

from wftui.checkpoint.model import CheckpointSummary, WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointError, CheckpointStorage
from wftui.checkpoint.values import encode_value
from wftui.engine.edges import EdgeGroup, EdgeInfo
from wftui.engine.errors import GraphMismatchError
from wftui.engine.executor import Executor
from wftui.engine.records import Id, validated
from wftui.engine.typing_utils import type_name
from wftui.ids import display_id


@dataclass(frozen=True)
class ExecutorInfo:
    id: str
    type_name: str
    input_types: list[str]


@dataclass(frozen=True)
class WorkflowGraph:
    """The graph as data, for UIs and for the signature."""

    executors: list[ExecutorInfo]
    edges: list[EdgeInfo]
    start_executor_id: str

    @classmethod
    def of(
        cls, executors: Mapping[str, Executor], groups: Iterable[EdgeGroup], start_executor_id: str
    ) -> WorkflowGraph:
        return cls(
            executors=[
                ExecutorInfo(e.id, type(e).__name__, [type_name(t) for t in e.input_types])
                for e in executors.values()
            ],
            edges=[edge for group in groups for edge in group.edges],
            start_executor_id=start_executor_id,
        )

    def describe(self) -> dict[str, Any]:
        """A compact, stable description (stored on a run's first checkpoint): the signature's
        part, plus each executor's handler input types, so a mismatch can name what changed."""
        return {
            **self._shape(),
            "inputs": {info.id: sorted(info.input_types) for info in self.executors},
        }

    def _shape(self) -> dict[str, Any]:
        return {
            "start": self.start_executor_id,
            "executors": {info.id: info.type_name for info in self.executors},
            "edges": sorted([e.source_id, e.target_id, e.kind.value] for e in self.edges),
        }

    def signature(self) -> str:
        """A short hash of the executors, their classes, their handler input types and the
        edges; a checkpoint resumes only on the same signature (or on the shape signature of a
        checkpoint written before handler types were signed: ``check_signature``)."""
        return self._signature

    def shape_signature(self) -> str:
        """The signature as it was before handler types were part of it."""
        return self._shape_signature

    def stored(self) -> tuple[dict[str, Any], Any]:
        """The description a run's first checkpoint holds, and its typed JSON: made once per
        signature in this process, as each run builds its workflow anew. Shared, so never to be
        changed (the checkpoint's values are not)."""
        signature = self.signature()
        known = _STORED.get(signature)
        if known is None:
            description = self.describe()
            known = (description, encode_value(description, "graph"))
            if len(_STORED) >= _STORED_KEPT:
                del _STORED[next(iter(_STORED))]  # the oldest: a process rarely has many graphs
            _STORED[signature] = known
        return known

    # Computed once per graph (a build, then every restore, asks).
    @cached_property
    def _signature(self) -> str:
        return _digest(self.describe())

    @cached_property
    def _shape_signature(self) -> str:
        return _digest(self._shape())


# {signature: (description, its typed JSON)}, see ``WorkflowGraph.stored``.
_STORED: dict[str, tuple[dict[str, Any], Any]] = {}
_STORED_KEPT = 64


def _digest(described: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class GraphRecord:
    """A checkpoint's ``graph`` section (the form :meth:`WorkflowGraph.describe` writes);
    ``inputs`` is absent from checkpoints written before handler types were recorded."""

    start: Id
    executors: dict[Id, Id]
    edges: list[tuple[Id, Id, Id]]
    inputs: dict[Id, list[Id]] = field(default_factory=dict)


_GRAPH_RECORD = TypeAdapter(GraphRecord)


async def check_signature(
    graph: WorkflowGraph, name: str, checkpoint: WorkflowCheckpoint, storage: CheckpointStorage
) -> None:
    """Raise ``GraphMismatchError`` unless ``graph`` may resume ``checkpoint``.

    A checkpoint signed before handler types were part of the signature carries the shape
    signature; it resumes when the shape matches and the handler types its run recorded (on
    its first checkpoint) are still the same, or were never recorded.
    """
    signature = checkpoint.graph_signature
    if signature == graph.signature():
        return
    if signature != graph.shape_signature():
        raise await describe_mismatch(graph, name, checkpoint, storage)
    source, stored = await _recorded_graph(checkpoint, storage)
    if stored is None or not stored.get("inputs"):
        return
    theirs = validated(_GRAPH_RECORD, stored, f"checkpoint {display_id(source)}: graph")
    ours = validated(_GRAPH_RECORD, graph.describe(), "this workflow's graph")
    differences = graph_differences(theirs, ours)
    if differences:
        raise GraphMismatchError(_head(checkpoint, name), differences)


def _head(checkpoint: WorkflowCheckpoint | CheckpointSummary, name: str) -> str:
    """Starts with agent-framework's words, which code written for it matches on."""
    return (
        f"Workflow graph has changed: checkpoint {display_id(checkpoint.checkpoint_id)} was "
        f"written by a different graph (workflow {checkpoint.workflow_name!r}) than {name!r}"
    )


async def _recorded_graph(
    checkpoint: WorkflowCheckpoint | CheckpointSummary, storage: CheckpointStorage
) -> tuple[str, Any]:
    """The graph section the checkpoint's run recorded (on its first checkpoint), and the id
    of the checkpoint holding it; ``None`` when it is gone."""
    stored = getattr(checkpoint, "graph", None)
    if stored is not None:
        return checkpoint.checkpoint_id, stored
    ids = await storage.list_checkpoint_ids(checkpoint.workflow_id)
    first = None
    with contextlib.suppress(CheckpointError):
        first = await storage.load_checkpoint(ids[0]) if ids else None
    if first is None:
        return checkpoint.checkpoint_id, None
    return first.checkpoint_id, first.graph


async def describe_mismatch(
    graph: WorkflowGraph,
    name: str,
    checkpoint: WorkflowCheckpoint | CheckpointSummary,
    storage: CheckpointStorage,
) -> GraphMismatchError:
    """Say what differs, using the graph kept on the run's first checkpoint."""
    if not checkpoint.graph_signature:
        return GraphMismatchError(
            f"checkpoint {display_id(checkpoint.checkpoint_id)} has no graph signature (it was"
            " not written by a wftui run), so it cannot be checked against this workflow's"
            " graph; resume only from checkpoints a run saved"
        )
    head = _head(checkpoint, name)
    source, stored = await _recorded_graph(checkpoint, storage)
    if stored is None:
        return GraphMismatchError(head)
    theirs = validated(_GRAPH_RECORD, stored, f"checkpoint {display_id(source)}: graph")
    ours = validated(_GRAPH_RECORD, graph.describe(), "this workflow's graph")
    return GraphMismatchError(head, graph_differences(theirs, ours) or ["signatures differ"])


def graph_differences(theirs: GraphRecord, ours: GraphRecord) -> list[str]:
    """What changed from the checkpoint's graph to this one, one short entry per kind.

    An executor gone and one new of the same class and handler types is a rename
    (``renamed a -> b``), and the edges that differ only by that rename are not listed again.
    """
    renames = _renames(theirs, ours)
    differences = []
    missing = sorted(set(theirs.executors) - set(ours.executors) - set(renames))
    added = sorted(set(ours.executors) - set(theirs.executors) - set(renames.values()))
    if renames:
        differences.append(
            "renamed " + ", ".join(f"{a} -> {b}" for a, b in sorted(renames.items()))
        )
    if missing:
        differences.append(f"executors missing here: {', '.join(missing)}")
    if added:
        differences.append(f"executors not in the checkpoint: {', '.join(added)}")
    both = sorted(set(theirs.executors) & set(ours.executors))
    changed = [
        f"{eid} ({theirs.executors[eid]} -> {ours.executors[eid]})"
        for eid in both
        if theirs.executors[eid] != ours.executors[eid]
    ]
    if changed:
        differences.append(f"executor types changed: {', '.join(changed)}")
    differences += [
        f"handler input types changed: {eid} ({_types(theirs, eid)} -> {_types(ours, eid)})"
        for eid in both
        if eid in theirs.inputs and eid in ours.inputs and theirs.inputs[eid] != ours.inputs[eid]
    ]
    their_edges = {(renames.get(s, s), renames.get(t, t), k) for s, t, k in theirs.edges}
    our_edges = set(ours.edges)
    if their_edges != our_edges:
        gone = sorted(f"{s}->{t}" for s, t, _ in their_edges - our_edges)
        new = sorted(f"{s}->{t}" for s, t, _ in our_edges - their_edges)
        differences.append(
            "edges differ"
            + (f"; only in checkpoint: {', '.join(gone)}" if gone else "")
            + (f"; only here: {', '.join(new)}" if new else "")
        )
    if renames.get(theirs.start, theirs.start) != ours.start:
        differences.append(f"start executor {theirs.start} vs {ours.start}")
    return differences


def _types(record: GraphRecord, executor_id: str) -> str:
    return ", ".join(record.inputs.get(executor_id, [])) or "none"


def _renames(theirs: GraphRecord, ours: GraphRecord) -> dict[str, str]:
    """Gone executors paired with new ones of the same class and handler types (the class alone
    for a checkpoint that predates recorded handler types), where the pairing is one to one:
    two gone executors alike and one new one are left as removed and added."""
    typed = bool(theirs.inputs)

    def alike(record: GraphRecord, ids: set[str]) -> dict[tuple[str, ...], list[str]]:
        groups: dict[tuple[str, ...], list[str]] = {}
        for eid in sorted(ids):
            inputs = record.inputs.get(eid, []) if typed else []
            groups.setdefault((record.executors[eid], *inputs), []).append(eid)
        return groups

    gone = alike(theirs, set(theirs.executors) - set(ours.executors))
    new = alike(ours, set(ours.executors) - set(theirs.executors))
    return {
        olds[0]: news[0]
        for kind, olds in gone.items()
        if len(olds) == 1 and len(news := new.get(kind, [])) == 1
    }
