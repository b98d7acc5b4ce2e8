"""The one id rule: show the tail, accept a unique suffix (4+) or prefix, name the candidates."""

from __future__ import annotations

import random

import pytest

from wftui.ids import IdError, IdNames, display_id, resolve_id

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


def test_names_are_the_tail_when_the_tail_is_unique() -> None:
    names = IdNames(IDS)
    assert [names.name(value) for value in IDS] == ["aaaa1111", "bbbb2222", "cccc2222"]


def test_ids_sharing_a_tail_of_eight_get_longer_names_that_paste_back() -> None:
    clash = ["0617aaaa-12345678", "0617bbbb-12345678", "0617cccc-02345678"]
    names = IdNames(clash)
    assert [names.name(value) for value in clash] == ["a-12345678", "b-12345678", "02345678"]
    for value in clash:
        assert resolve_id(names.name(value), clash) == value


def test_a_tail_that_is_another_ids_head_or_a_whole_id_is_made_longer() -> None:
    # The tail of the first is the head of the second, and the third is the tail of the fourth.
    ids = ["xxxxxxxx-deadbeef", "deadbeef-00000000", "cafef00d", "zzzzzzzz-cafef00d"]
    names = IdNames(ids)
    assert names.name(ids[0]) == "-deadbeef"
    assert names.name(ids[2]) == "cafef00d"  # exact: the whole id wins over a suffix match
    assert names.name(ids[3]) == "-cafef00d"
    for value in ids:
        assert resolve_id(names.name(value), ids) == value


def test_names_of_random_ids_with_planted_clashes_always_resolve_to_their_id() -> None:
    rng = random.Random(7)
    ids = [new_like(rng) for _ in range(2000)]
    ids += [ids[n][:-8] + ids[n + 1][-8:] for n in range(0, 40, 2)]  # same tails, other heads
    ids += [ids[n][-8:] + ids[n + 1][8:] for n in range(40, 60, 2)]  # a tail as a head
    names = IdNames(ids)
    for value in ids:
        assert resolve_id(names.name(value), ids) == value
    assert sum(len(names.name(value)) > 8 for value in ids) >= 40


def test_an_ambiguous_tail_lists_candidates_by_names_that_tell_them_apart() -> None:
    clash = ["0617aaaa-12345678", "0617bbbb-12345678"]
    with pytest.raises(IdError, match=r"2 match \(a-12345678, b-12345678\)"):
        resolve_id("12345678", clash)


def new_like(rng: random.Random) -> str:
    """A checkpoint id's shape: 14 hex digits of time, 10 random."""
    return f"{rng.randrange(16**14):014x}{rng.randrange(16**10):010x}"
