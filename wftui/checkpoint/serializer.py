"""The seam between a storage and the checkpoint document format.

A storage is handed a serializer and never imports codec functions, so a new backend stores the
same document without re-learning it (LangGraph's savers take a ``serde`` the same way).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from wftui.checkpoint import document
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.references import DocumentSource


@runtime_checkable
class CheckpointSerializer(Protocol):
    """Checkpoints to bytes and back, in two reading steps so listings stay cheap."""

    def dumps(
        self, checkpoint: WorkflowCheckpoint, encoded: EncodedFragments | None = None
    ) -> bytes:
        """The document; ``CheckpointEncodingError`` names the path of a value it cannot hold."""
        ...

    def parse(self, data: bytes) -> WorkflowCheckpoint:
        """Structure validated, values left encoded: enough for ``.summary()``, never refused
        for naming a class this process has not registered. ``CheckpointDecodingError`` if bad."""
        ...

    def decode(
        self, parsed: WorkflowCheckpoint, documents: DocumentSource | None = None
    ) -> WorkflowCheckpoint:
        """The values of a ``parse`` result rebuilt; state it refers to in other checkpoints of
        its run (``wftui.checkpoint.references``) is read from ``documents``, the store's
        documents by id (verbatim bytes, None when missing)."""
        ...

    def decode_with_fragments(
        self, parsed: WorkflowCheckpoint, documents: DocumentSource | None = None
    ) -> LoadedCheckpoint:
        """As ``decode``, with each state value's stored typed JSON, for a resume to reuse."""
        ...

    def loads(self, data: bytes, documents: DocumentSource | None = None) -> WorkflowCheckpoint:
        """``parse`` then ``decode``."""
        ...


class JsonCheckpointSerializer:
    """wftui's typed-JSON document (see ``wftui.checkpoint.document``): the default."""

    def dumps(
        self, checkpoint: WorkflowCheckpoint, encoded: EncodedFragments | None = None
    ) -> bytes:
        return document.checkpoint_to_json(checkpoint, encoded)

    def parse(self, data: bytes) -> WorkflowCheckpoint:
        return document.parse_checkpoint(data)

    def decode(
        self, parsed: WorkflowCheckpoint, documents: DocumentSource | None = None
    ) -> WorkflowCheckpoint:
        return document.decode_checkpoint(parsed, documents)

    def decode_with_fragments(
        self, parsed: WorkflowCheckpoint, documents: DocumentSource | None = None
    ) -> LoadedCheckpoint:
        return document.decode_with_fragments(parsed, documents)

    def loads(self, data: bytes, documents: DocumentSource | None = None) -> WorkflowCheckpoint:
        return document.checkpoint_from_json(data, documents)


DEFAULT_SERIALIZER = JsonCheckpointSerializer()
