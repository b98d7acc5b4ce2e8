"""Checkpoints: the model, the typed-JSON document, the storage protocol and its backends.

Layout: ``model`` (the checkpoint), ``registry`` (the type allow-list), ``values`` (typed JSON
for one value), ``document`` (a whole checkpoint as bytes), ``serializer`` (the seam storages
take), ``fragments`` (encoded values handed beside a checkpoint), ``storage`` (the protocol),
``stores`` (backends by URL), ``capabilities`` (optional protocols: watch, verbatim documents,
bulk delete, cassettes), ``copy`` (between stores), and the backends ``memory``, ``file`` and ``sql``.
"""

from wftui.checkpoint.capabilities import (
    BulkDeletingStorage,
    CassetteStorage,
    Change,
    DocumentStorage,
    WatchableStorage,
)
from wftui.checkpoint.errors import (
    CheckpointDecodingError,
    CheckpointEncodingError,
    CheckpointError,
    InvalidCheckpointIdError,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.fragments import EncodedFragments, LoadedCheckpoint
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.model import (
    CheckpointStatus,
    CheckpointSummary,
    ListingProblem,
    WorkflowCheckpoint,
)
from wftui.checkpoint.registry import register_type
from wftui.checkpoint.serializer import CheckpointSerializer, JsonCheckpointSerializer
from wftui.checkpoint.storage import CheckpointStorage
from wftui.checkpoint.stores import StoreUrlError, open_store, store_schemes

__all__ = [
    "BulkDeletingStorage",
    "CassetteStorage",
    "Change",
    "CheckpointDecodingError",
    "CheckpointEncodingError",
    "CheckpointError",
    "CheckpointSerializer",
    "CheckpointStatus",
    "CheckpointStorage",
    "CheckpointSummary",
    "DocumentStorage",
    "EncodedFragments",
    "FileCheckpointStorage",
    "InMemoryCheckpointStorage",
    "InvalidCheckpointIdError",
    "JsonCheckpointSerializer",
    "ListingProblem",
    "LoadedCheckpoint",
    "StoreUrlError",
    "WatchableStorage",
    "WorkflowCheckpoint",
    "open_store",
    "register_type",
    "store_schemes",
]
