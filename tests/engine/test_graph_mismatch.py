"""What a graph mismatch says changed: executors removed and added, renames, class changes,
handler input types, edges and the start executor, as a short list."""

from __future__ import annotations

from typing import Any

from wftui.engine.graph import GraphRecord, graph_differences


def record(
    executors: dict[str, str],
    edges: list[tuple[str, str]],
    inputs: dict[str, list[str]] | None = None,
    start: str = "a",
) -> GraphRecord:
    return GraphRecord(
        start=start,
        executors=executors,
        edges=[(source, target, "direct") for source, target in edges],
        inputs=inputs or {},
    )


CHAIN: dict[str, Any] = {
    "executors": {"a": "Step", "b": "Step", "c": "Out"},
    "edges": [("a", "b"), ("b", "c")],
    "inputs": {"a": ["str"], "b": ["str"], "c": ["str"]},
}


def test_a_rename_is_one_line_and_its_edges_are_not_listed_again() -> None:
    renamed = record(
        {"a": "Step", "brittle": "Step", "c": "Out"},
        [("a", "brittle"), ("brittle", "c")],
        {"a": ["str"], "brittle": ["str"], "c": ["str"]},
    )
    assert graph_differences(record(**CHAIN), renamed) == ["renamed b -> brittle"]


def test_changed_handler_types_name_the_executor_and_both_sides() -> None:
    changed = record(**{**CHAIN, "inputs": {"a": ["str"], "b": ["bytes", "str"], "c": ["int"]}})
    assert graph_differences(record(**CHAIN), changed) == [
        "handler input types changed: b (str -> bytes, str)",
        "handler input types changed: c (str -> int)",
    ]


def test_a_new_name_with_other_handler_types_is_not_a_rename() -> None:
    other = record(
        {"a": "Step", "d": "Step", "c": "Out"},
        [("a", "d"), ("d", "c")],
        {"a": ["str"], "d": ["int"], "c": ["str"]},
    )
    assert graph_differences(record(**CHAIN), other) == [
        "executors missing here: b",
        "executors not in the checkpoint: d",
        "edges differ; only in checkpoint: a->b, b->c; only here: a->d, d->c",
    ]


def test_two_alike_executors_gone_and_one_new_is_no_guess() -> None:
    before = record({"a": "Step", "b": "Step", "c": "Step"}, [("a", "b"), ("a", "c")])
    after = record({"a": "Step", "d": "Step"}, [("a", "d")])
    assert graph_differences(before, after)[:2] == [
        "executors missing here: b, c",
        "executors not in the checkpoint: d",
    ]


def test_a_checkpoint_without_recorded_handler_types_matches_renames_by_class() -> None:
    old = record(CHAIN["executors"], CHAIN["edges"])  # written before inputs were recorded
    renamed = record(
        {"a": "Step", "z": "Step", "c": "Out"},
        [("a", "z"), ("z", "c")],
        {"a": ["str"], "z": ["str"], "c": ["str"]},
    )
    assert graph_differences(old, renamed) == ["renamed b -> z"]


def test_class_changes_and_the_start_executor_say_from_what_to_what() -> None:
    changed = record(
        {"a": "Step", "b": "Other", "c": "Out"}, CHAIN["edges"], CHAIN["inputs"], start="b"
    )
    assert graph_differences(record(**CHAIN), changed) == [
        "executor types changed: b (Step -> Other)",
        "start executor a vs b",
    ]
