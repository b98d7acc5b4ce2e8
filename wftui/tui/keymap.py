"""``WFTUI_KEYMAP``: users remap any binding by its id, without touching the code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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


def cursor_bindings(scope: str) -> list[Binding]:
    """The keys that move a list's cursor (a widget has ``move``, ``page`` and ``move_to``
    actions), with ids ``wftui.SCOPE.down`` and so on; the end key is the widget's own."""
    return [
        Binding("down,j", "move(1)", "Down", show=False, id=f"wftui.{scope}.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id=f"wftui.{scope}.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id=f"wftui.{scope}.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id=f"wftui.{scope}.page_up"),
        Binding("home,g", "move_to(0)", "Top", show=False, id=f"wftui.{scope}.top"),
    ]


Scope = tuple[str, Sequence[BindingType]]


def check_keymap(keymap: Mapping[str, str], scopes: Iterable[Scope]) -> None:
    """Refuse a keymap naming an unknown binding, or giving a key another binding already has.

    ``scopes`` are the bindings active together (the global ones plus one pane's, or one
    dialog's); two different bindings with one key in one scope would shadow each other.
    """
    scopes = list(scopes)
    known = {
        binding.id
        for _name, bindings in scopes
        for binding in bindings
        if isinstance(binding, Binding) and binding.id
    }
    for binding_id in keymap:
        if binding_id not in known:
            raise KeymapError(
                f"{KEYMAP_VARIABLE}: unknown binding id {binding_id!r} "
                f"(known: {', '.join(sorted(known))})"
            )
    for name, bindings in scopes:
        owners: dict[str, str] = {}
        for binding in with_keymap(bindings, keymap):
            if not isinstance(binding, Binding):
                continue
            owner = binding.id or f"{binding.action} ({binding.description or 'no id'})"
            for key in (part.strip() for part in binding.key.split(",")):
                other = owners.setdefault(key, owner)
                if other != owner and (binding.id in keymap or other in keymap):
                    mapped, taken = (owner, other) if binding.id in keymap else (other, owner)
                    raise KeymapError(
                        f"{KEYMAP_VARIABLE}: {mapped} would take {key!r}, which {taken} "
                        f"already has in the {name}"
                    )
