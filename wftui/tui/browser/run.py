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


def _work(parent: Record, child: Record) -> float:
    """The gap before ``child`` when the same execution wrote both, as far as kinds tell."""
    if child.kind != parent.kind or child.kind in _ONE_STEP_KINDS:
        return 0.0
    return max(parse_timestamp(child.timestamp) - parse_timestamp(parent.timestamp), 0.0)


def _count_branch(kinds: dict[str, int], branch: Record) -> None:
    kind = branch.kind or "branch"
    kinds[kind] = kinds.get(kind, 0) + 1


def _ordered(kinds: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Most first, then by name: ``2 steps, 1 fork``."""
    return tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))


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
    _deepest: int = 0  # the deepest row in ``flat``

    def add(self, record: Record) -> None:
        self.records[record.checkpoint_id] = record
        in_order = True
        if record.parent_id is not None:
            siblings = self.children.setdefault(record.parent_id, [])
            siblings.append(record.checkpoint_id)
            if len(siblings) > 1 and age(self.records[siblings[-2]]) > age(record):
                siblings.sort(key=lambda cid: age(self.records[cid]))
                in_order = False
        self.start = min(self.start, record.timestamp)
        if self.newest is None or age(record) >= age(self.newest):
            self.newest = record
        self.flat = None
        self.told = self._told_after(record) if in_order else None

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
        """The deepest visible branch, so every row of the run keeps its columns in place
        (worked out with the rows: every drawn row asks)."""
        self.rows()
        return self._deepest

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

    def _told_after(self, record: Record) -> Story | None:
        """The story with ``record`` added at the end of its line or as a newest branch
        (what a live run does), without walking the run again; None when it must be retold
        (a new root, a record whose children came first, or no story yet)."""
        told, parent = self.told, self.records.get(record.parent_id or "")
        if told is None or parent is None or record.checkpoint_id in self.children:
            return None
        kids = self.children[parent.checkpoint_id]
        if kids[0] != record.checkpoint_id:
            kinds = dict(told.branches)
            _count_branch(kinds, record)
            return Story(told.main_end, _ordered(kinds), told.worked)
        end = record if told.main_end is parent else told.main_end
        return Story(end, told.branches, told.worked + _work(parent, record))

    def _tell(self) -> Story:
        kinds: dict[str, int] = {}
        worked = 0.0
        for parent_id, kids in self.children.items():
            parent = self.records.get(parent_id)
            present = [self.records[kid] for kid in kids if kid in self.records]
            if parent is None or not present:
                continue
            for branch in present[1:]:
                _count_branch(kinds, branch)
            worked += _work(parent, present[0])
        roots = [r for r in self.records.values() if r.parent_id not in self.records]
        end = min(roots, key=age, default=None)
        seen: set[str] = set()
        while end is not None and end.checkpoint_id not in seen:  # a damaged store may loop
            seen.add(end.checkpoint_id)
            kids = [kid for kid in self.children.get(end.checkpoint_id, ()) if kid in self.records]
            if not kids:
                break
            end = self.records[kids[0]]
        return Story(end, _ordered(kinds), worked)

    def rows(self) -> list[Flat]:
        if self.flat is None:
            self.flat = self.flatten()
            self._deepest = max((flat.depth for flat in self.flat), default=0)
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
