"""The pipeline's source file, watched so a fix in an editor takes effect without a restart.

Before each new run and resume the app asks ``changed()``; a changed file (its content hash,
so a touch without an edit does not count) is re-imported. Textual-free.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

from wftui.loader import PipelineSpec, load_pipeline


def _digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # a file mid-save or gone: keep what is loaded


class PipelineSource:
    """A loaded pipeline and the hash of the file it came from."""

    def __init__(self, spec: PipelineSpec) -> None:
        self.spec = spec
        source = getattr(spec.module, "__file__", None)
        self.path = Path(source) if source else None
        self._digest = _digest(self.path)

    def changed(self) -> bool:
        """True when the file's content differs from what was imported."""
        return self.path is not None and _digest(self.path) not in ("", self._digest)

    def reload(self) -> PipelineSpec:
        """Import the file again; an error (a typo in the edit) propagates and keeps the old one."""
        importlib.reload(self.spec.module)
        self.spec = load_pipeline(self.spec.module.__name__)
        self._digest = _digest(self.path)
        return self.spec
