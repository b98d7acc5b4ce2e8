"""Loading a pipeline module by file path or module name, for the CLI and the app.

A pipeline module defines ``create_workflow(checkpoint_storage, chat_client=None)`` and may
define ``DEFAULT_INPUT``, ``DESCRIPTION`` and ``default_chat_client()``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wftui.agents.client import ChatClient
    from wftui.checkpoint.storage import CheckpointStorage
    from wftui.engine.workflow import Workflow

DEFAULT_PIPELINE = "pipelines.text_processing"


class PipelineLoadError(Exception):
    """The pipeline named on the command line cannot be loaded; the message says why."""


@dataclass(frozen=True)
class PipelineSpec:
    """A loaded pipeline module and what the CLI and the app show of it."""

    name: str
    description: str
    default_input: str
    module: ModuleType
    # The module name or file path as given, recorded in checkpoints to load it again.
    reference: str | None = None

    def create_workflow(
        self, checkpoint_storage: CheckpointStorage | None, chat_client: ChatClient | None = None
    ) -> Workflow:
        workflow: Workflow = self.module.create_workflow(checkpoint_storage, chat_client)
        workflow.pipeline = self.reference
        return workflow

    def default_chat_client(self) -> ChatClient | None:
        factory = getattr(self.module, "default_chat_client", None)
        return factory() if callable(factory) else None


def _module_name_for(path: Path) -> tuple[str, Path]:
    """Dotted name and import root of a file, climbing through packages (``__init__.py``).

    Using the dotted name keeps the types' names in checkpoints the same however the
    pipeline was named on the command line.
    """
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts), root


def _import(reference: str) -> ModuleType:
    looks_like_path = reference.endswith(".py") or "/" in reference or "\\" in reference
    if looks_like_path:
        path = Path(reference).expanduser().resolve()
        if not path.is_file():
            raise PipelineLoadError(f"pipeline file not found: {reference}")
        name, root = _module_name_for(path)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        loaded = sys.modules.get(name)
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != path:
            raise PipelineLoadError(
                f"{reference} would be imported as {name!r}, but another module of that name "
                f"is already loaded from {loaded.__file__}"
            )
        reference = name
    try:
        return importlib.import_module(reference)
    except ModuleNotFoundError as error:
        if error.name and reference.startswith(error.name):
            raise PipelineLoadError(
                f"no pipeline module {reference!r} (give a file path or an importable module)"
            ) from error
        raise PipelineLoadError(
            f"pipeline {reference} needs module {error.name!r}, which is not installed "
            f"(imported at {_where(error)})"
        ) from error
    except SyntaxError as error:
        raise PipelineLoadError(
            f"pipeline {reference} has a syntax error at {error.filename}:{error.lineno}: {error.msg}"
        ) from error
    except Exception as error:
        raise PipelineLoadError(
            f"pipeline {reference} failed while loading, at {_where(error)}: "
            f"{type(error).__name__}: {error}"
        ) from error


def _where(error: BaseException) -> str:
    """``file:line`` where ``error`` was raised, skipping the import machinery's own frames."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith("<frozen ")
    ]
    if not frames:
        return "an unknown line"
    return f"{frames[-1].filename}:{frames[-1].lineno}"


def load_pipeline(reference: str | None = None) -> PipelineSpec:
    """Import a pipeline; errors say what is missing in one line."""
    reference = reference or DEFAULT_PIPELINE
    module = _import(reference)
    if not callable(getattr(module, "create_workflow", None)):
        raise PipelineLoadError(
            f"{module.__name__} has no create_workflow(checkpoint_storage, chat_client=None)"
        )
    attributes: dict[str, Any] = vars(module)
    return PipelineSpec(
        name=module.__name__.rpartition(".")[2],
        description=str(attributes.get("DESCRIPTION", "")),
        default_input=str(attributes.get("DEFAULT_INPUT", "")),
        module=module,
        reference=reference,
    )
