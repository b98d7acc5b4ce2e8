"""One run's checkpoints and how its parent links become indented lines.

Inside a run the rows follow the parent links: a checkpoint's oldest child continues its line,
and any later child (a resume, step or fork from an older checkpoint) starts a branch, shown
indented right under the checkpoint it came from. The flat rows are rebuilt only when this run
changes, so adding a checkpoint to one run never lays out another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from wftui.tui.browser.records import Record, age
from wftui.tui.text import parse_timestamp

# Kinds whose every checkpoint may be its own execution (``s`` pressed again and again): the
# gap before one of their checkpoints is a person's pause as often as it is work.
_ONE_STEP_KINDS = frozenset({"step", "rerun", "fork"})


class Story(NamedTuple):
    """What a run's header row tells: where its main line ends, its branches, its work."""

    main_end: Record | None  # the last checkpoint of the line that starts at the oldest root
    branches: tuple[tuple[str, int], ...]  # (kind, count), most first: ``1 fork, 1 step``
    worked: float  # seconds between checkpoints written by one execution (pauses left out)


class Flat(NamedTuple):
    """One checkpoint's line within its run."""

    checkpoint_id: str
    depth: int
    branch: bool
    leaf: bool


@dataclass
class Run:
    """One run's checkpoints; ``flat`` is its visible rows, None until asked after a change."""

    workflow_id: str
    start: str
    records: dict[str, Record] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)  # parent id -> child ids
    collapsed_branches: set[str] = field(default_factory=set)
    flat: list[Flat] | None = None
    newest: Record | None = None
    told: Story | None = None  # the header's story, None until asked after a change

    def add(self, record: Record) -> None:
        self.records[record.checkpoint_id] = record
        if record.parent_id is not None:
            siblings = self.children.setdefault(record.parent_id, [])
            siblings.append(record.checkpoint_id)
            if len(siblings) > 1 and age(self.records[siblings[-2]]) > age(record):
                siblings.sort(key=lambda cid: age(self.records[cid]))
        self.start = min(self.start, record.timestamp)
        if self.newest is None or age(record) >= age(self.newest):
            self.newest = record
        self.flat = None
        self.told = None

    def remove(self, checkpoint_id: str) -> None:
        record = self.records.pop(checkpoint_id)
        if record.parent_id is not None:
            siblings = self.children.get(record.parent_id, [])
            if checkpoint_id in siblings:
                siblings.remove(checkpoint_id)
        self.collapsed_branches.discard(checkpoint_id)
        if self.newest is record:
            self.newest = max(self.records.values(), key=age, default=None)
        self.flat = None
        self.told = None

    @property
    def deepest(self) -> int:
        """The deepest visible branch, so every row of the run keeps its columns in place."""
        return max((flat.depth for flat in self.rows()), default=0)

    def story(self) -> Story:
        """The main line's end, the branch count by kind, and the working time.

        The main line starts at the oldest root and goes on through each checkpoint's oldest
        child (a resume from where a run stopped continues it). Working time adds the gaps
        between a checkpoint and the one that continues its line in the same kind of
        execution: the pause before a branch, a resume or an answer is not work.
        """
        if self.told is None:
            self.told = self._tell()
        return self.told

    def _tell(self) -> Story:
        kinds: dict[str, int] = {}
        worked = 0.0
        for parent_id, kids in self.children.items():
            parent = self.records.get(parent_id)
            present = [self.records[kid] for kid in kids if kid in self.records]
            if parent is None or not present:
                continue
            for branch in present[1:]:
                kinds[branch.kind or "branch"] = kinds.get(branch.kind or "branch", 0) + 1
            child = present[0]
            if child.kind == parent.kind and child.kind not in _ONE_STEP_KINDS:
                gap = parse_timestamp(child.timestamp) - parse_timestamp(parent.timestamp)
                worked += max(gap, 0.0)
        roots = [r for r in self.records.values() if r.parent_id not in self.records]
        end = min(roots, key=age, default=None)
        seen: set[str] = set()
        while end is not None and end.checkpoint_id not in seen:  # a damaged store may loop
            seen.add(end.checkpoint_id)
            kids = [kid for kid in self.children.get(end.checkpoint_id, ()) if kid in self.records]
            if not kids:
                break
            end = self.records[kids[0]]
        branches = tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))
        return Story(end, branches, worked)

    def rows(self) -> list[Flat]:
        if self.flat is None:
            self.flat = self.flatten()
        return self.flat

    def flatten(self, *, whole: bool = False) -> list[Flat]:
        """Depth first without recursion (a run may be thousands of supersteps long).

        ``whole`` ignores closed branches: a filter looks inside them too.
        """
        roots = sorted(
            (r for r in self.records.values() if r.parent_id not in self.records), key=age
        )
        out: list[Flat] = []
        # (id, depth, starts a branch); the stack pops the last pushed first.
        stack = [(r.checkpoint_id, 0, False) for r in reversed(roots)]
        while stack:
            checkpoint_id, depth, branch = stack.pop()
            kids = [k for k in self.children.get(checkpoint_id, ()) if k in self.records]
            out.append(Flat(checkpoint_id, depth, branch, not kids))
            if not kids or (checkpoint_id in self.collapsed_branches and not whole):
                continue
            stack.append((kids[0], depth, False))  # the line goes on after its branches
            stack.extend((kid, depth + 1, True) for kid in reversed(kids[1:]))
        if (whole or not self.collapsed_branches) and len(out) < len(self.records):
            # Parent links that loop (a damaged store) reach no root: show those rows anyway,
            # so every record has a row, as the row count promises.
            shown = {flat.checkpoint_id for flat in out}
            missing = sorted(
                (r for r in self.records.values() if r.checkpoint_id not in shown), key=age
            )
            out.extend(Flat(r.checkpoint_id, 0, False, True) for r in missing)
        return out
