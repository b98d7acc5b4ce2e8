"""WFTUI_KEYMAP names a binding that exists and a key that is free, or the app says which is wrong."""

from __future__ import annotations

import pytest

from wftui.checkpoint.file import FileCheckpointStorage
from wftui.loader import PipelineSpec
from wftui.tui.app import KeymapError, make_app
from wftui.tui.keymap import parse_keymap


def build(seed: PipelineSpec, storage: FileCheckpointStorage, text: str) -> None:
    make_app(seed, storage, keymap=parse_keymap(text))


def test_an_unknown_binding_id_is_named(seed: PipelineSpec, storage: FileCheckpointStorage) -> None:
    with pytest.raises(KeymapError, match=r"unknown binding id 'wftui\.new_rn'.*wftui\.new_run"):
        build(seed, storage, "wftui.new_rn=ctrl+n")


def test_a_key_another_binding_has_is_named_with_both(
    seed: PipelineSpec, storage: FileCheckpointStorage
) -> None:
    with pytest.raises(
        KeymapError, match=r"wftui\.new_run would take 'd', which wftui\.delete already has"
    ):
        build(seed, storage, "wftui.new_run=d")
    with pytest.raises(
        KeymapError, match=r"'j', which wftui\.browser\.down already has in the checkpoint browser"
    ):
        build(seed, storage, "wftui.help=j")
    with pytest.raises(KeymapError, match=r"wftui\.quit would take 'n'.*wftui\.new_run"):
        build(seed, storage, "wftui.quit=n")


def test_swapping_two_keys_in_one_keymap_is_fine(
    seed: PipelineSpec, storage: FileCheckpointStorage
) -> None:
    app = make_app(seed, storage, keymap=parse_keymap("wftui.new_run=q; wftui.quit=n"))
    assert app.keymap == {"wftui.new_run": "q", "wftui.quit": "n"}
