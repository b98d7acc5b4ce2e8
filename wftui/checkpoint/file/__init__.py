"""The folder-of-JSON-files store: OS primitives (``osio``), the commit log (``commitlog``), the
listing cache (``cache``), its reconciliation with the folder (``reconcile``), the newest rows for
fresh processes (``recent``), the listings (``listing``), change watching (``watch``) and the
storage class (``storage``)."""

from wftui.checkpoint.file.cache import INDEX_NAME, SUMMARIES_NAME
from wftui.checkpoint.file.storage import DEFAULT_MAX_FILE_SIZE, FileCheckpointStorage

__all__ = ["DEFAULT_MAX_FILE_SIZE", "INDEX_NAME", "SUMMARIES_NAME", "FileCheckpointStorage"]
