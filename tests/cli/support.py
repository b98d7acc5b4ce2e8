"""Running ``python -m wftui`` in a subprocess, as a user's shell would, in a scratch folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from wftui.ids import resolve_id

REPO = Path(__file__).resolve().parents[2]

# Variables that would pick another chat backend or checkpoint folder than the test asks for.
_SCRUBBED = (
    "WFTUI_CHECKPOINT_DIR",
    "WFTUI_STORE",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment minus backend and folder settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


def wftui(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wftui", *args],
        cwd=cwd,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def saved_ids(stdout: str, folder: Path | None = None) -> list[str]:
    """Checkpoint ids in the order the run printed them: as printed (their names in the store,
    as the app shows them), or, given the store's folder, the whole ids those names resolve to
    there, as a name pasted into a command would."""
    names = re.findall(r"^\S+ checkpoint\s+(\w+) superstep \d+$", stdout, re.M)
    if folder is None:
        return names
    stored = [path.stem for path in folder.glob("*.json")]
    return [resolve_id(name, stored) for name in names]


def invoked(stdout: str) -> list[str]:
    return re.findall(r"^\S+ invoked\s+(\w+)$", stdout, re.M)


# The shipped human-in-the-loop example, named by file path as a user would.
APPROVAL_PIPELINE = str(REPO / "pipelines" / "approval.py")

FAILING_PIPELINE = textwrap.dedent(
    '''
    """Fails in its second step unless FAILING_PIPELINE_FIXED is set."""

    import os
    from typing import Any

    from wftui import Executor, WorkflowBuilder, WorkflowContext, handler

    DEFAULT_INPUT = "x"


    class Step(Executor):
        @handler
        async def step(self, text: str, ctx: WorkflowContext[str]) -> None:
            if self.id == "fragile" and not os.environ.get("FAILING_PIPELINE_FIXED"):
                raise RuntimeError("the disk is full")
            await ctx.send_message(f"{text}>{self.id}")


    class Out(Executor):
        @handler
        async def out(self, text: str, ctx: WorkflowContext[Any, str]) -> None:
            await ctx.yield_output(text)


    def create_workflow(checkpoint_storage, chat_client=None):
        first, fragile = Step(id="first"), Step(id="fragile")
        builder = WorkflowBuilder(name="fragile").add_chain([first, fragile, Out(id="out")])
        builder.set_start_executor(first)
        if checkpoint_storage is not None:
            builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
        return builder.build()
    '''
)

# The chain with a step that waits at a file gate (tests/slow_chain.py), as source to copy.
GATED_PIPELINE = (REPO / "tests" / "slow_chain.py").read_text()

# Version 1 fails in "flaky"; version 2 renames "flaky" to "shaky" and widens what "prepare"
# takes: a changed graph whose checkpoint cannot resume. Format with version=1 or 2.
RENAMING_PIPELINE = textwrap.dedent(
    '''
    """A two-step pipeline whose second step fails (version 1) or was renamed (version 2)."""

    from wftui import Executor, WorkflowBuilder, WorkflowContext, handler

    DEFAULT_INPUT = "hello"
    VERSION = {version}


    class Prepare(Executor):
        if VERSION == 1:

            @handler
            async def prepare(self, text: str, ctx: WorkflowContext[str]) -> None:
                await ctx.send_message(text.upper())

        else:

            @handler
            async def prepare(self, text: str | bytes, ctx: WorkflowContext[str]) -> None:
                await ctx.send_message(str(text).upper())


    class Flaky(Executor):
        @handler
        async def flaky(self, text: str, ctx: WorkflowContext[str, str]) -> None:
            raise ConnectionError("model endpoint refused the connection")


    def create_workflow(checkpoint_storage=None, chat_client=None):
        prepare = Prepare(id="prepare")
        second = Flaky(id="flaky" if VERSION == 1 else "shaky")
        builder = WorkflowBuilder(name="renaming").set_start_executor(prepare)
        builder = builder.add_edge(prepare, second)
        if checkpoint_storage is not None:
            builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
        return builder.build()
    '''
)
