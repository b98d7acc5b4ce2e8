"""``WFTUI_KEYMAP``: users remap any binding by its id, without touching the code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType

KEYMAP_VARIABLE = "WFTUI_KEYMAP"


class KeymapError(ValueError):
    """``WFTUI_KEYMAP`` is malformed; the message says which part."""


def parse_keymap(text: str) -> dict[str, str]:
    """``wftui.new_run=ctrl+n; wftui.quit=ctrl+q`` as {binding id: keys}."""
    keymap = {}
    for part in filter(str.strip, text.split(";")):
        binding_id, equals, keys = part.partition("=")
        if not equals or not binding_id.strip() or not keys.strip():
            raise KeymapError(f"{KEYMAP_VARIABLE}: expected BINDING_ID=KEYS, got {part.strip()!r}")
        keymap[binding_id.strip()] = keys.strip()
    return keymap


def with_keymap(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[BindingType]:
    """The bindings with the keys ``keymap`` gave them, so help shows what actually works."""
    return [
        binding.with_key(keymap[binding.id])
        if isinstance(binding, Binding) and binding.id is not None and binding.id in keymap
        else binding
        for binding in bindings
    ]
