"""State that is not rewritten: unchanged values are references, grown ones patches (issue 13).

Every store hands back whole values (load, list, latest, resume); a broken reference is a clear
``CheckpointDecodingError`` naming the checkpoint; deleting a referenced checkpoint alone is
refused; a resume from the middle of a chain equals one from full snapshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.engine.support import collect, outputs, saved
from tests.engine.talker import BLOB, talker_workflow
from wftui import (
    FileCheckpointStorage,
    InMemoryCheckpointStorage,
    WorkflowCheckpoint,
)
from wftui.checkpoint.document import parse_checkpoint
from wftui.checkpoint.references import (
    MAX_LINKS,
    CheckpointReferencedError,
    delete_alone,
    has_references,
    make_patch,
    resolve,
    whole_document,
)
from wftui.checkpoint.storage import CheckpointDecodingError, CheckpointStorage

TURNS = 40


def expected_messages(turns: int) -> list[dict[str, Any]]:
    return [
        {"role": "user" if n % 2 else "assistant", "text": f"{n}:" + "m" * 500}
        for n in range(turns)
    ]


def stores(tmp_path: Path) -> list[CheckpointStorage]:
    return [InMemoryCheckpointStorage(), FileCheckpointStorage(tmp_path / "folder")]


@pytest.mark.parametrize("kind", ["memory", "file"])
async def test_a_long_run_round_trips_whole_through_every_store(tmp_path: Path, kind: str) -> None:
    storage = stores(tmp_path)[0 if kind == "memory" else 1]
    events = await collect(talker_workflow(storage, TURNS).run_stream(0))
    assert outputs(events) == [TURNS]
    ids = [event.checkpoint_id for event in saved(events)]
    documents = [await storage.load_document(checkpoint_id) for checkpoint_id in ids]
    # Later documents refer to earlier ones: neither the blob nor the conversation is rewritten.
    assert all(document is not None for document in documents)
    later = [parse_checkpoint(document) for document in documents[2:] if document]
    assert all(has_references(raw) for raw in later)
    assert all(len(document or b"") < len(BLOB) for document in documents[3:])
    reader = (
        FileCheckpointStorage(tmp_path / "folder") if kind == "file" else storage
    )  # a fresh object, as another process would open the folder
    for iteration, checkpoint_id in enumerate(ids):
        checkpoint = await reader.load_checkpoint(checkpoint_id)
        assert checkpoint is not None
        if iteration == 0:
            assert checkpoint.executor_states == {}
            continue
        assert checkpoint.shared_state == {"document": BLOB}
        assert checkpoint.executor_states["talker"] == {
            "messages": expected_messages(iteration),
            "turns": iteration,
        }
    listed = await reader.list_checkpoints()
    assert [cp.checkpoint_id for cp in listed] == ids
    assert listed[-1].executor_states["talker"]["messages"] == expected_messages(TURNS)
    latest = await reader.get_latest()
    assert latest is not None and latest.executor_states == listed[-1].executor_states
    assert reader.problems == []


async def test_a_value_reads_at_most_max_links_plus_one_other_documents(tmp_path: Path) -> None:
    storage = FileCheckpointStorage(tmp_path)
    events = await collect(talker_workflow(storage, 3 * MAX_LINKS).run_stream(0))
    read: list[str] = []

    def documents(checkpoint_id: str) -> bytes | None:
        read.append(checkpoint_id)
        return (tmp_path / f"{checkpoint_id}.json").read_bytes()

    for event in saved(events):
        read.clear()
        raw = parse_checkpoint((tmp_path / f"{event.checkpoint_id}.json").read_bytes())
        resolve(raw, documents, parse_checkpoint)
        # The conversation's chain plus the blob's holder.
        assert len(set(read)) <= MAX_LINKS + 2


async def test_the_400_superstep_run_stays_within_ten_times_its_final_state(
    tmp_path: Path,
) -> None:
    """Issue 13's workload: a growing conversation and a 200 KB value set once."""
    storage = FileCheckpointStorage(tmp_path)
    events = await collect(talker_workflow(storage, 400).run_stream(0))
    assert outputs(events) == [400]
    on_disk = sum(path.stat().st_size for path in tmp_path.glob("*.json"))
    final = await whole_document(storage, saved(events)[-1].checkpoint_id, parse_checkpoint)
    assert final is not None
    final_bytes = len(orjson.dumps(final))
    assert final_bytes > 400_000
    assert on_disk <= 10 * final_bytes, (on_disk, final_bytes)


async def full_copy(source: CheckpointStorage, target: Path) -> None:
    """Every checkpoint of ``source`` written whole (no references) into folder ``target``."""
    target.mkdir()
    for checkpoint_id in await source.list_checkpoint_ids():
        document = await whole_document(source, checkpoint_id, parse_checkpoint)
        assert document is not None
        (target / f"{checkpoint_id}.json").write_bytes(orjson.dumps(document))


async def test_resume_from_the_middle_of_a_chain_equals_resume_from_full_snapshots(
    tmp_path: Path,
) -> None:
    chained = tmp_path / "chained"
    events = await collect(talker_workflow(FileCheckpointStorage(chained), TURNS).run_stream(0))
    middle = next(e for e in saved(events) if e.iteration == MAX_LINKS + 3).checkpoint_id
    full = tmp_path / "full"
    await full_copy(FileCheckpointStorage(chained), full)
    assert not has_references(parse_checkpoint((full / f"{middle}.json").read_bytes()))

    results = []
    for folder in (chained, full):
        storage = FileCheckpointStorage(folder)  # fresh objects, as a new process builds them
        resumed = await collect(talker_workflow(storage, TURNS).run_stream_from_checkpoint(middle))
        last = await storage.load_checkpoint(saved(resumed)[-1].checkpoint_id)
        assert last is not None
        results.append((outputs(resumed), last.executor_states, last.shared_state))
        # The resumed branch refers to what its run already holds, in either folder.
        raw = parse_checkpoint((folder / f"{saved(resumed)[-1].checkpoint_id}.json").read_bytes())
        assert has_references(raw)
    assert results[0] == results[1]
    assert results[0][0] == [TURNS]
    assert results[0][1]["talker"]["messages"] == expected_messages(TURNS)


async def test_a_deleted_referenced_checkpoint_is_a_clear_error_naming_it(
    tmp_path: Path,
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    events = await collect(talker_workflow(storage, 6).run_stream(0))
    first_state = next(e for e in saved(events) if e.iteration == 1).checkpoint_id
    last = saved(events)[-1].checkpoint_id
    (tmp_path / f"{first_state}.json").unlink()
    with pytest.raises(
        CheckpointDecodingError, match=f"checkpoint {first_state}, which is missing"
    ):
        await FileCheckpointStorage(tmp_path).load_checkpoint(last)
    fresh = FileCheckpointStorage(tmp_path)
    listed = await fresh.list_checkpoints()
    assert last not in [cp.checkpoint_id for cp in listed]
    assert any(first_state in problem.reason for problem in fresh.problems)


async def test_deleting_one_referenced_checkpoint_is_refused_and_loses_nothing() -> None:
    storage = InMemoryCheckpointStorage()
    events = await collect(talker_workflow(storage, 6).run_stream(0))
    ids = [e.checkpoint_id for e in saved(events)]
    with pytest.raises(CheckpointReferencedError, match=f"checkpoint {ids[1]} holds values"):
        await delete_alone(storage, ids[1], parse_checkpoint)
    assert await storage.list_checkpoint_ids() == ids
    # The newest is referred to by none: it goes, and the rest still load whole.
    assert await delete_alone(storage, ids[-1], parse_checkpoint)
    checkpoint = await storage.load_checkpoint(ids[-2])
    assert checkpoint is not None and checkpoint.shared_state == {"document": BLOB}


def rewrite(path: Path, change: Any) -> None:
    document = orjson.loads(path.read_bytes())
    change(document)
    path.write_bytes(orjson.dumps(document))


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("corrupt", "which is unreadable: not valid JSON"),
        ("traversal", "malformed reference"),
        ("foreign", "which is not a checkpoint of run"),
        ("loop", "references loop"),
        ("bad patch", "the patch does not fit"),
    ],
)
async def test_attacks_on_references_are_refused_naming_the_checkpoint(
    tmp_path: Path, attack: str, message: str
) -> None:
    storage = FileCheckpointStorage(tmp_path)
    events = await collect(talker_workflow(storage, 4).run_stream(0))
    other = await collect(talker_workflow(storage, 2).run_stream(0))
    ids = [e.checkpoint_id for e in saved(events)]
    last = tmp_path / f"{ids[-1]}.json"
    entry = orjson.loads(last.read_bytes())["shared_state"]["document"]
    assert entry["$t"] == "$ref"
    holder = tmp_path / f"{entry['cp']}.json"
    if attack == "corrupt":
        holder.write_bytes(holder.read_bytes()[:100])
    elif attack == "traversal":
        rewrite(last, lambda d: d["shared_state"]["document"].update(cp="../../etc/passwd"))
    elif attack == "foreign":
        foreign = saved(other)[-1].checkpoint_id
        rewrite(last, lambda d: d["shared_state"]["document"].update(cp=foreign))
    elif attack == "loop":
        rewrite(last, lambda d: d["shared_state"]["document"].update(cp=ids[-2]))
        rewrite(
            tmp_path / f"{ids[-2]}.json",
            lambda d: d["shared_state"].update(document={"$t": "$ref", "cp": ids[-1]}),
        )
    else:
        patch = {"$t": "$ref", "cp": entry["cp"], "patch": {"append": ["x"]}}
        rewrite(last, lambda d: d["shared_state"].update(document=patch))
    with pytest.raises(CheckpointDecodingError, match=message) as raised:
        await FileCheckpointStorage(tmp_path).load_checkpoint(ids[-1])
    assert ids[-1] in str(raised.value)


async def test_old_documents_without_references_still_load(tmp_path: Path) -> None:
    checkpoint = WorkflowCheckpoint(
        workflow_id="run", shared_state={"document": BLOB}, executor_states={"a": {"n": 1}}
    )
    storage = FileCheckpointStorage(tmp_path)
    await storage.save_checkpoint(checkpoint)
    assert not has_references(parse_checkpoint(next(tmp_path.glob("*.json")).read_bytes()))
    loaded = await FileCheckpointStorage(tmp_path).load_checkpoint(checkpoint.checkpoint_id)
    assert loaded is not None and loaded.shared_state == {"document": BLOB}


@pytest.mark.parametrize(
    ("old", "new", "patch"),
    [
        ([1, 2], [1, 2, 3], {"append": [3]}),
        ([1, 2], [2], None),
        (
            {"a": [1], "b": 1},
            {"a": [1, 2], "c": 3},
            {"set": {"c": 3}, "drop": ["b"], "patch": {"a": {"append": [2]}}},
        ),
        ({"$t": "tuple", "v": [1]}, {"$t": "tuple", "v": [1, 2]}, None),
        ("text", "text", {}),
        ("text", "other", None),
    ],
)
def test_patches_cover_appends_and_keys_only(old: Any, new: Any, patch: Any) -> None:
    assert make_patch(old, new) == patch


async def test_saving_to_another_store_refers_to_nothing_of_the_first(tmp_path: Path) -> None:
    """A run resumed from store A but saving to store B writes whole values into B."""
    first = FileCheckpointStorage(tmp_path / "a")
    events = await collect(talker_workflow(first, 6).run_stream(0))
    middle = next(e for e in saved(events) if e.iteration == 3).checkpoint_id
    other = InMemoryCheckpointStorage()
    workflow = talker_workflow(other, 6)
    state = await workflow._snapshots.restore(middle, first)
    event = await workflow._snapshots.save(state, other)
    document = await other.load_document(event.checkpoint_id)
    assert document is not None and not has_references(parse_checkpoint(document))
    loaded = await other.load_checkpoint(event.checkpoint_id)
    assert loaded is not None and loaded.shared_state == {"document": BLOB}
