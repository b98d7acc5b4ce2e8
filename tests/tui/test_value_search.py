"""Searching text inside checkpoint values (the browser's ``/``), on a real folder store: what
counts as a value, values kept as references to earlier checkpoints, and how little a search
reads when the needle grows or is typed again."""

from __future__ import annotations

from pathlib import Path

from wftui import Executor, WorkflowBuilder, WorkflowContext, handler
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.tui.browser.value_search import ValueSearch

# Long enough (over 512 bytes) to be stored once and referred to by later checkpoints.
REPORT = "Quarterly REPORT on the Zebra migration. " * 20


class Counted:
    """The store's documents, counting the reads a search makes."""

    def __init__(self, storage: FileCheckpointStorage) -> None:
        self.storage = storage
        self.reads: list[str] = []

    async def __call__(self, checkpoint_id: str) -> bytes | None:
        self.reads.append(checkpoint_id)
        return await self.storage.load_document(checkpoint_id)


async def found(search: ValueSearch, needle: str, ids: list[str]) -> list[str]:
    return [cid for batch, _ in [b async for b in search.search(needle, ids)] for cid in batch]


def checkpoint(checkpoint_id: str, **values: object) -> WorkflowCheckpoint:
    return WorkflowCheckpoint(
        checkpoint_id=checkpoint_id,
        workflow_id="run",
        timestamp="2025-03-14T11:30:00.000000Z",
        **values,  # type: ignore[arg-type]
    )


async def test_text_in_any_value_matches_and_tags_do_not(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    saved = [
        checkpoint("cp-shared", shared_state={"draft": "An Apple a day"}),
        checkpoint("cp-state", executor_states={"upper": {"seen": ["pear", "APPLE pie"]}}),
        checkpoint(
            "cp-message",
            messages={"a": [{"data": "apple sauce", "source_id": "a", "target_id": "b"}]},
        ),
        checkpoint("cp-error", error={"error_type": "ValueError", "message": "bad apple"}),
        checkpoint("cp-none", shared_state={"draft": "banana"}, metadata={"note": "apple"}),
        checkpoint("cp-tag", shared_state={"when": Path("/tmp/x")}),
    ]
    for item in saved:
        await storage.save_checkpoint(item)
    ids = [item.checkpoint_id for item in saved]
    search = ValueSearch(storage.load_document)

    assert await found(search, "apple", ids) == ["cp-shared", "cp-state", "cp-message", "cp-error"]
    assert await found(search, "PosixPath", ids) == []  # a type's tag is not a value's text
    assert await found(search, "x", ids) == ["cp-tag"]  # its value is


class Write(Executor):
    @handler
    async def write(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.set_shared_state("report", REPORT)
        await ctx.send_message(text)


class Pass(Executor):
    @handler
    async def relay(self, text: str, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(text + ".")


async def test_a_value_kept_as_a_reference_matches_in_every_checkpoint_that_holds_it(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    steps = [Write(id="write"), Pass(id="b"), Pass(id="c"), Pass(id="d")]
    builder = WorkflowBuilder(name="refs").add_chain(steps).set_start_executor(steps[0])
    await builder.with_checkpointing(storage).build().run("go")
    ids = await storage.list_checkpoint_ids()
    later = [cid for cid in ids if b'"$ref"' in (await storage.load_document(cid) or b"")]
    assert later, "the engine should have stored the report once and referred to it"
    counted = Counted(storage)

    hits = await found(ValueSearch(counted), "zebra migration", ids)

    holding = [cid for cid in ids if (await storage.load_checkpoint(cid)).shared_state]  # type: ignore[union-attr]
    assert hits == holding and set(later) <= set(hits)


async def test_a_longer_needle_reads_only_the_hits_of_the_shorter_and_a_repeat_reads_nothing(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    words = ["alpha", "alphabet", "beta", "gamma", "alps"]
    for n, word in enumerate(words):
        await storage.save_checkpoint(checkpoint(f"cp{n}", shared_state={"w": word}))
    ids = [f"cp{n}" for n in range(len(words))]
    counted = Counted(storage)
    search = ValueSearch(counted, cache_bytes=0)  # every look at a document is a read

    assert await found(search, "al", ids) == ["cp0", "cp1", "cp4"]
    assert len(counted.reads) == 5
    counted.reads.clear()
    assert await found(search, "alph", ids) == ["cp0", "cp1"]
    assert sorted(counted.reads) == ["cp0", "cp1", "cp4"]  # only what "al" found
    counted.reads.clear()
    assert await found(search, "alph", ids) == ["cp0", "cp1"]
    assert counted.reads == []

    # A checkpoint saved since is read; the others are known.
    await storage.save_checkpoint(checkpoint("cp5", shared_state={"w": "alphorn"}))
    assert await found(search, "alph", [*ids, "cp5"]) == ["cp0", "cp1", "cp5"]
    assert counted.reads == ["cp5"]
