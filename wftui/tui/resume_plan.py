"""What a resume will run again, and whether any of it calls a model. Textual-free.

The executors a resume runs are the checkpoint's "next" ones and everything downstream of
them, in the order the graph draws them. An ``AgentExecutor`` calls a model, which costs money
and time, so the app asks before such a resume and starts any other at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

from wftui.agents.executor import AgentExecutor
from wftui.engine import Workflow
from wftui.tui.text import short_id


@dataclass(frozen=True)
class ResumePlan:
    """The executors a resume from ``checkpoint_id`` may run, and which of them call a model."""

    checkpoint_id: str
    runs: tuple[str, ...]
    agents: frozenset[str]

    @property
    def calls_a_model(self) -> bool:
        return bool(self.agents)

    def confirm_line(self) -> str:
        """``resume from 865e5ae0: submit_lower, lower_agent (LLM), finalize — enter/esc``."""
        names = ", ".join(f"{eid} (LLM)" if eid in self.agents else eid for eid in self.runs)
        return f"resume from {short_id(self.checkpoint_id)}: {names} — enter/esc"


def plan_resume(
    workflow: Workflow,
    checkpoint_id: str,
    next_ids: Iterable[str],
    order: Sequence[str],
    replayed: Set[str] = frozenset(),
) -> ResumePlan:
    """Follow the edges from ``next_ids``; ``order`` is the graph's drawing order of executors.

    ``replayed`` are a failed checkpoint's executors whose work is replayed, not run again:
    what they sent still flows downstream, but they call no model themselves.
    """
    downstream: dict[str, set[str]] = {}
    for edge in workflow.graph.edges:
        downstream.setdefault(edge.source_id, set()).add(edge.target_id)
    reached: set[str] = set()
    frontier = [eid for eid in next_ids if eid in workflow.executors]
    while frontier:
        executor_id = frontier.pop()
        if executor_id not in reached:
            reached.add(executor_id)
            frontier.extend(downstream.get(executor_id, ()))
    rank = {eid: index for index, eid in enumerate(order)}
    runs = tuple(sorted(reached - set(replayed), key=lambda eid: (rank.get(eid, len(rank)), eid)))
    agents = frozenset(eid for eid in runs if isinstance(workflow.executors[eid], AgentExecutor))
    return ResumePlan(checkpoint_id, runs, agents)
