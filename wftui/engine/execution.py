"""Who wrote a checkpoint: the execution (process, entry point, pipeline) recorded in each one.

Every checkpoint carries ``metadata["execution"]`` so a listing, the journal and the CLI can
say which kind of execution made it (a run, a resume, a fork...) and which pipeline to load to
continue it, without guessing from the default pipeline.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ExecutionKind(StrEnum):
    RUN = "run"
    RESUME = "resume"
    FORK = "fork"
    STEP = "step"
    RERUN = "rerun"
    ANSWER = "answer"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ExecutionInfo:
    """What a caller says about an execution; the engine fills in the kind from the entry point.

    ``pipeline`` is the module or file the caller loaded (None when it was built in code).
    """

    pipeline: str | None = None
    kind: ExecutionKind | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started: str = field(default_factory=_now)

    def as_kind(self, kind: ExecutionKind) -> ExecutionInfo:
        """This execution with ``kind`` unless the caller already chose one."""
        return self if self.kind is not None else replace(self, kind=kind)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind or ExecutionKind.RUN),
            "pipeline": self.pipeline,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
        }


def recorded_pipeline(metadata: object) -> str | None:
    """The pipeline a checkpoint's metadata names, if any (read from untrusted documents)."""
    if not isinstance(metadata, dict):
        return None
    execution = metadata.get("execution")
    pipeline = execution.get("pipeline") if isinstance(execution, dict) else None
    return pipeline if isinstance(pipeline, str) and pipeline else None
