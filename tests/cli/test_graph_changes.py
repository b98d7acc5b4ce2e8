"""A checkpoint that cannot resume on changed code: the CLI lists what changed, one per line,
renames and changed handler types included."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.cli.support import RENAMING_PIPELINE, saved_ids, wftui


def test_a_renamed_executor_and_changed_handler_types_are_listed(tmp_path: Path) -> None:
    pipeline = tmp_path / "renaming.py"
    pipeline.write_text(RENAMING_PIPELINE.format(version=1))
    failed = wftui("run", "renaming.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    last = saved_ids(failed.stdout)[-1]
    pipeline.write_text(RENAMING_PIPELINE.format(version=2))

    refused = wftui("resume", last, "renaming.py", "--checkpoint-dir", "c", cwd=tmp_path)

    assert refused.returncode == 2
    head, *lines = refused.stderr.strip().splitlines()
    assert head.startswith("wftui: error: Workflow graph has changed: checkpoint ")
    assert head.endswith("was written by a different graph (workflow 'renaming') than 'renaming':")
    assert lines == [
        "  • renamed flaky -> shaky",
        "  • handler input types changed: prepare (str -> str | bytes)",
    ]


RETYPED_PIPELINE = textwrap.dedent(
    '''
    """Version 2 changes what flaky takes (str -> int) and nothing else: same executors, same
    edges, so only the handler types tell the graphs apart."""

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
            async def prepare(self, text: str, ctx: WorkflowContext[int]) -> None:
                await ctx.send_message(len(text))


    class Flaky(Executor):
        if VERSION == 1:

            @handler
            async def flaky(self, text: str, ctx: WorkflowContext[str, str]) -> None:
                raise ConnectionError("model endpoint refused the connection")

        else:

            @handler
            async def flaky(self, count: int, ctx: WorkflowContext[str, str]) -> None:
                await ctx.yield_output(f"{{count}} letters")


    def create_workflow(checkpoint_storage=None, chat_client=None):
        prepare, flaky = Prepare(id="prepare"), Flaky(id="flaky")
        builder = WorkflowBuilder(name="retyped").set_start_executor(prepare)
        builder = builder.add_edge(prepare, flaky)
        if checkpoint_storage is not None:
            builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
        return builder.build()
    '''
)


def test_a_handler_type_changed_alone_refuses_the_resume_and_says_so(tmp_path: Path) -> None:
    pipeline = tmp_path / "retyped.py"
    pipeline.write_text(RETYPED_PIPELINE.format(version=1))
    failed = wftui("run", "retyped.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    last = saved_ids(failed.stdout, tmp_path / "c")[-1]
    pipeline.write_text(RETYPED_PIPELINE.format(version=2))

    refused = wftui("resume", last, "retyped.py", "--checkpoint-dir", "c", cwd=tmp_path)

    assert refused.returncode == 2, refused.stdout
    head, *lines = refused.stderr.strip().splitlines()
    # The checkpoint is named as everywhere else: by its tail, never its whole id.
    assert head == (
        f"wftui: error: Workflow graph has changed: checkpoint {last[-8:]} was written by a "
        "different graph (workflow 'retyped') than 'retyped':"
    )
    assert lines == ["  • handler input types changed: flaky (str -> int)"]
    # A new run of the changed pipeline is fine: only the old checkpoint cannot go on.
    assert wftui("run", "retyped.py", "--checkpoint-dir", "c", cwd=tmp_path).returncode == 0
