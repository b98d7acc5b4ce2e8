"""Value paths: one text form that round-trips and that the codec's error messages share."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wftui.checkpoint import CheckpointEncodingError, InMemoryCheckpointStorage, WorkflowCheckpoint
from wftui.checkpoint.paths import PathError, Segment, format_path, parse_path

segments = st.lists(
    st.one_of(st.text(), st.integers(min_value=0, max_value=10**30)), min_size=1, max_size=6
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shared_state.draft", ["shared_state", "draft"]),
        (
            "executor_states.lower_agent.conversation[2].text",
            ["executor_states", "lower_agent", "conversation", 2, "text"],
        ),
        ("messages.submit_lower[0].data", ["messages", "submit_lower", 0, "data"]),
        ('shared_state["a.key"]', ["shared_state", "a.key"]),
        ("executor_states.lower-agent.n", ["executor_states", "lower-agent", "n"]),
        ("x.123[123]", ["x", "123", 123]),
        ('["a[0]"][0]', ["a[0]", 0]),
        ('x[""]', ["x", ""]),
        ('x["it\'s"]', ["x", "it's"]),
        ('x["café \\n"]', ["x", "café \n"]),
    ],
)
def test_the_documented_forms_read_as_their_segments(text: str, expected: list[Segment]) -> None:
    assert parse_path(text) == expected
    assert format_path(expected) == text


def test_either_quote_and_any_str_escape_name_the_same_key() -> None:
    assert parse_path('shared_state["a.key"]') == parse_path("shared_state['a.key']")
    assert parse_path("x['caf\\xe9']") == parse_path('x["caf\\u00e9"]') == ["x", "café"]
    assert format_path(parse_path("shared_state['a.key']")) == 'shared_state["a.key"]'


@given(segments)
def test_format_then_parse_gives_the_segments_back(path: list[Segment]) -> None:
    text = format_path(path)
    assert parse_path(text) == path
    assert format_path(parse_path(text)) == text


@given(st.text(min_size=1))
def test_any_text_either_parses_to_its_canonical_form_or_fails_with_a_path_error(
    text: str,
) -> None:
    try:
        path = parse_path(text)
    except PathError as error:
        assert str(error).startswith(f"invalid path {text!r}: ")
        assert "\n" not in str(error).replace(repr(text), "")
    else:
        assert parse_path(format_path(path)) == path


@given(st.text())
def test_the_codec_names_a_key_exactly_as_paths_format_it(key: str) -> None:
    checkpoint = WorkflowCheckpoint(workflow_id="w", shared_state={"report": {key: [1, object()]}})
    with pytest.raises(CheckpointEncodingError) as caught:
        asyncio.run(InMemoryCheckpointStorage().save_checkpoint(checkpoint))
    expected = format_path(["shared_state", "report", key, 1])
    assert str(caught.value).startswith(f"cannot encode {expected}: ")


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("", "a path cannot be empty", None),
        ("a.", "expected a key of letters, digits, '_' or '-' but the path ends", 2),
        (".a", "expected a key of letters, digits, '_' or '-' but found '.'", 0),
        ("a..b", "but found '.'", 2),
        ("a.b c", "expected '.' or '[' but found ' '", 3),
        ("a[", "expected a quoted key or a position", 2),
        ("a[-1]", "expected a quoted key or a position", 2),
        ("a[1", "expected ']'", 3),
        ("a[01]", "a position has no leading zeros", 2),
        ("a['x", "the key opened by ' is never closed", 2),
        ("a['x'", "expected ']'", 5),
        ("a['x\\']", "the key opened by ' is never closed", 2),
        ("a['\\q']", "the quoted key has an invalid escape", 2),
        ("a['x'][\"y\"]z", "expected '.' or '[' but found 'z'", 11),
        ("a.b]", "expected '.' or '[' but found ']'", 3),
    ],
)
def test_a_malformed_path_names_the_problem_and_where(
    text: str, reason: str, position: int | None
) -> None:
    with pytest.raises(PathError) as caught:
        parse_path(text)
    message = str(caught.value)
    assert message.startswith(f"invalid path {text!r}: ")
    assert reason in message
    if position is not None:
        assert message.endswith(f" at position {position}")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ([], "a path needs at least one segment"),
        (["a", -1], "a path position cannot be negative: -1"),
        (["a", True], "a path segment is a str key or an int position, not True"),
        (["a", 1.5], "a path segment is a str key or an int position, not 1.5"),
    ],
)
def test_a_path_that_cannot_be_written_says_why(path: list[Any], reason: str) -> None:
    with pytest.raises(PathError) as caught:
        format_path(path)
    assert str(caught.value) == reason
