"""Checkpoints kept in memory, as the same bytes a file would hold.

Storing the serialized form (not the live objects) gives the same isolation and the same errors as
``FileCheckpointStorage``: a value that cannot be encoded fails the save, later changes to live
objects do not leak into saved checkpoints, and a load rebuilds fresh objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Literal

from wftui.checkpoint.capabilities import Change
from wftui.checkpoint.changefeed import MemorySequence
from wftui.checkpoint.errors import CheckpointDecodingError
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import CheckpointSummary, ListingProblem, WorkflowCheckpoint
from wftui.checkpoint.serializer import DEFAULT_SERIALIZER, CheckpointSerializer


def _newest_first(summaries: list[CheckpointSummary]) -> list[CheckpointSummary]:
    return sorted(summaries, key=lambda s: (s.timestamp, s.checkpoint_id), reverse=True)


class InMemoryCheckpointStorage:
    """A ``CheckpointStorage`` for tests and short-lived runs; gone when the process ends."""

    def __init__(self, serializer: CheckpointSerializer = DEFAULT_SERIALIZER) -> None:
        self.serializer = serializer
        self._saved: dict[str, tuple[bytes, CheckpointSummary]] = {}
        self._problems: list[ListingProblem] = []
        self._changes: MemorySequence[Change] = MemorySequence()

    @property
    def problems(self) -> list[ListingProblem]:
        return list(self._problems)

    async def save_checkpoint(
        self, checkpoint: WorkflowCheckpoint, *, encoded: EncodedFragments | None = None
    ) -> str:
        checkpoint_id = validate_checkpoint_id(checkpoint.checkpoint_id)
        data = self.serializer.dumps(checkpoint, encoded)
        await self._store(data, checkpoint)
        return checkpoint_id

    async def save_document(self, data: bytes) -> str:
        """Keep another store's document verbatim, once it parses."""
        parsed = self.serializer.parse(data)
        checkpoint_id = validate_checkpoint_id(parsed.checkpoint_id)
        await self._store(data, parsed)
        return checkpoint_id

    async def _store(self, data: bytes, checkpoint: WorkflowCheckpoint) -> None:
        self._saved[checkpoint.checkpoint_id] = (data, checkpoint.summary(len(data)))
        self._record(checkpoint.checkpoint_id, checkpoint.workflow_id, "saved")

    def _record(
        self, checkpoint_id: str, workflow_id: str, kind: Literal["saved", "deleted"]
    ) -> None:
        self._changes.record(lambda seq: Change(seq, checkpoint_id, workflow_id, kind))

    def watch(self, after_seq: int = 0) -> AsyncIterator[Change]:
        """Every change after ``after_seq``, then each new one as this process makes it."""
        return self._changes.watch(after_seq)

    async def last_seq(self) -> int:
        return self._changes.last_seq

    def _document(self, checkpoint_id: str) -> bytes | None:
        saved = self._saved.get(validate_checkpoint_id(checkpoint_id))
        return None if saved is None else saved[0]

    async def load_checkpoint(self, checkpoint_id: str) -> WorkflowCheckpoint | None:
        data = self._document(checkpoint_id)
        return None if data is None else self.serializer.loads(data, self._document)

    async def load_document(self, checkpoint_id: str) -> bytes | None:
        return self._document(checkpoint_id)

    async def load_with_fragments(self, checkpoint_id: str) -> LoadedCheckpoint | None:
        data = self._document(checkpoint_id)
        if data is None:
            return None
        return self.serializer.decode_with_fragments(self.serializer.parse(data), self._document)

    def _summaries(self, workflow_id: str | None) -> list[CheckpointSummary]:
        return _newest_first(
            [
                summary
                for _, summary in self._saved.values()
                if workflow_id is None or summary.workflow_id == workflow_id
            ]
        )

    async def list_summaries(
        self, workflow_id: str | None = None, limit: int | None = None
    ) -> list[CheckpointSummary]:
        summaries = self._summaries(workflow_id)[:limit]
        return [summary.model_copy() for summary in summaries]

    async def list_checkpoint_ids(self, workflow_id: str | None = None) -> list[str]:
        return [s.checkpoint_id for s in reversed(self._summaries(workflow_id))]

    async def list_checkpoints(self, workflow_id: str | None = None) -> list[WorkflowCheckpoint]:
        """Oldest first; a checkpoint naming an unregistered type is skipped and reported."""
        checkpoints, problems = [], []
        for summary in reversed(self._summaries(workflow_id)):
            try:
                checkpoints.append(
                    self.serializer.loads(self._saved[summary.checkpoint_id][0], self._document)
                )
            except CheckpointDecodingError as error:
                problems.append(ListingProblem(path=summary.checkpoint_id, reason=str(error)))
        self._problems = problems
        return checkpoints

    async def delete_checkpoint(self, checkpoint_id: str) -> bool:
        return await self.delete_checkpoints([checkpoint_id]) == 1

    async def delete_checkpoints(self, checkpoint_ids: Sequence[str]) -> int:
        valid = list(dict.fromkeys(validate_checkpoint_id(each) for each in checkpoint_ids))
        deleted = 0
        for checkpoint_id in valid:
            gone = self._saved.pop(checkpoint_id, None)
            if gone is not None:
                self._record(checkpoint_id, gone[1].workflow_id, "deleted")
                deleted += 1
        return deleted

    async def get_latest(self, workflow_id: str | None = None) -> WorkflowCheckpoint | None:
        summaries = self._summaries(workflow_id)
        return await self.load_checkpoint(summaries[0].checkpoint_id) if summaries else None
