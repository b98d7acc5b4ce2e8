"""The one id rule: show the tail, accept a unique suffix (4+) or prefix, name the candidates."""

from __future__ import annotations

import pytest

from wftui.ids import IdError, display_id, resolve_id

IDS = [
    "20250314T110000-aaaa1111",
    "20250314T110001-bbbb2222",
    "20250314T110002-cccc2222",
]


def test_display_is_the_last_eight_characters() -> None:
    assert display_id(IDS[0]) == "aaaa1111"
    assert display_id("short") == "short"


def test_a_unique_suffix_of_four_or_more_resolves() -> None:
    assert resolve_id("1111", IDS) == IDS[0]
    assert resolve_id("bbbb2222", IDS) == IDS[1]


def test_a_unique_prefix_resolves_and_an_exact_id_wins() -> None:
    assert resolve_id("20250314T110002", IDS) == IDS[2]
    assert resolve_id(IDS[1], IDS) == IDS[1]


def test_a_suffix_shorter_than_four_is_not_a_suffix() -> None:
    with pytest.raises(IdError, match="suffix needs 4"):
        resolve_id("111", IDS)


def test_an_ambiguous_id_lists_its_candidates() -> None:
    with pytest.raises(IdError, match=r"2 match \(bbbb2222, cccc2222\)") as caught:
        resolve_id("2222", IDS)
    assert caught.value.candidates == (IDS[1], IDS[2])
    with pytest.raises(IdError, match="3 match"):
        resolve_id("2025", IDS)


def test_nothing_matching_says_so_with_the_kind() -> None:
    with pytest.raises(IdError, match="no run matches 'zzzz'"):
        resolve_id("zzzz", IDS, kind="run")
