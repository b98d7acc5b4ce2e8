"""Types and builders shared by the checkpoint tests (real values, no mocks)."""

from __future__ import annotations

import asyncio
import itertools
import math
import os
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from wftui.checkpoint import WorkflowCheckpoint, register_type
from wftui.engine import Executor, Workflow, WorkflowContext, WorkflowEvent, handler
from wftui.journal import Execution, Journal, journaled


class Color(Enum):
    RED = (255, 0, 0)
    GREEN = (0, 255, 0)


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Mood(StrEnum):
    HAPPY = "happy"


@dataclass
class Point:
    x: int
    y: int
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Frozen:
    name: str
    where: Point | None = None


@dataclass
class Counted:
    """``__post_init__`` must not run again when a checkpoint is loaded."""

    value: int
    runs: int = 0

    def __post_init__(self) -> None:
        self.runs += 1


class Shape(BaseModel):
    name: str
    corners: tuple[Point, ...] = ()
    color: Color = Color.RED
    level: Level | None = None


class Drawing(BaseModel):
    shapes: list[Shape]
    by_id: dict[int, Shape] = {}


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: str


@dataclass
class Base:
    label: str


@dataclass
class Derived(Base):
    """Never registered itself: a registered base admits its loaded subclasses."""

    extra: int = 0


register_type(Drawing)  # reaches Shape, Point, Color and Level through the field types
for _type in (Frozen, Counted, Loose, Mood, Base):
    register_type(_type)

_iterations = itertools.count()


def make_checkpoint(
    workflow_id: str = "run-1",
    *,
    iteration: int | None = None,
    checkpoint_id: str | None = None,
    timestamp: str | None = None,
    **values: Any,
) -> WorkflowCheckpoint:
    """A checkpoint with a little of everything an engine puts in one."""
    fields_: dict[str, Any] = {
        "workflow_id": workflow_id,
        "workflow_name": "tests",
        "iteration_count": next(_iterations) if iteration is None else iteration,
        "executor_states": {"upper": {"count": 1, "seen": ("a", "b")}},
        "shared_state": {"original_input": "hello world"},
        "messages": {"upper": [{"data": "HELLO", "source_id": "upper", "target_id": None}]},
        "next_executor_ids": ["reverse"],
        "graph_signature": "sig",
    }
    if checkpoint_id is not None:
        fields_["checkpoint_id"] = checkpoint_id
    if timestamp is not None:
        fields_["timestamp"] = timestamp
    fields_.update(values)
    return WorkflowCheckpoint(**fields_)


def assert_identical(actual: Any, expected: Any) -> None:
    """Equal, and of exactly the same types all the way down (NaN equals NaN)."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_identical(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for left, right in zip(actual, expected, strict=True):
            assert_identical(left, right)
    elif isinstance(expected, BaseModel):
        assert actual == expected
        for name in type(expected).model_fields:
            assert_identical(getattr(actual, name), getattr(expected, name))
    elif is_dataclass(expected):
        for item in fields(expected):
            assert_identical(getattr(actual, item.name), getattr(expected, item.name))
    else:
        assert actual == expected


def nameless_files(pid: int, folder: Path) -> list[int]:
    """The inodes of the nameless files (``O_TMPFILE`` spares) process ``pid`` holds open in
    ``folder``: the kernel shows each as ``<folder>/#<inode> (deleted)``."""
    inodes = []
    prefix = f"{folder.resolve()}/#"
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith(prefix) and target.endswith(" (deleted)"):
            inodes.append(int(target[len(prefix) : -len(" (deleted)")]))
    return inodes


def journaled_in_background(
    workflow: Workflow, message: Any, journal: Journal, execution: Execution
) -> asyncio.Task[list[WorkflowEvent]]:
    """The workflow's run with ``message``, journaled as ``execution``, consumed by a task of
    its own while the test looks at the journal."""
    storage = workflow.checkpoint_storage
    assert storage is not None

    async def consume() -> list[WorkflowEvent]:
        stream = journaled(workflow.run_stream(message), journal, execution, storage)
        return [event async for event in stream]

    return asyncio.create_task(consume())


async def executions_once_listed(journal: Journal) -> list[Execution]:
    """The journal's executions as soon as it lists any (waiting on that, 30 s at most)."""
    async with asyncio.timeout(30):
        while not (listed := await journal.executions()):
            await asyncio.sleep(0.005)
    return listed


class HeldUntilReleased(Executor):
    """Keeps its run going until the test releases it (no superstep ends meanwhile)."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__(id="held")
        self.release = release

    @handler
    async def hold(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
        await self.release.wait()
        await ctx.yield_output(text)
