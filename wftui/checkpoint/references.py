"""State a checkpoint did not change, stored once and referred to by later checkpoints.

A checkpoint's document holds inline every executor state and shared value its superstep
changed. A value unchanged since an earlier checkpoint of the same run is stored as a reference,
``{"$t": "$ref", "cp": ID}``: "this key's value in checkpoint ID". A value that grew from its
previous version (items appended to a list, keys set in a dict, at any depth) is stored as a
reference to that version plus a patch: ``{"$t": "$ref", "cp": ID, "patch": PATCH}`` where a
patch is ``{"append": [items]}`` for a list or ``{"set": {...}, "drop": [...], "patch": {...}}``
for a dict. The tag key cannot be confused with a value: the codec escapes a dict holding it.

References stay inside one run (same ``workflow_id``), so pruning whole runs never breaks one;
an unchanged value refers straight to the checkpoint that wrote it, and the engine writes a full
copy after ``MAX_LINKS`` patches, so reading a value reads at most ``MAX_LINKS + 1`` other
documents. Stores keep documents verbatim; references are resolved here, above them, from each
store's documents (``DocumentSource``). A referenced checkpoint that is missing, corrupt, of
another run or not holding the key is a ``CheckpointDecodingError`` naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import orjson

from wftui.checkpoint.errors import CheckpointDecodingError, CheckpointError
from wftui.checkpoint.failures import key_segment
from wftui.checkpoint.ids import validate_checkpoint_id
from wftui.checkpoint.model import WorkflowCheckpoint
from wftui.checkpoint.storage import CheckpointStorage
from wftui.checkpoint.tags import TAG

REF = "$ref"
STATE_SECTIONS = ("executor_states", "shared_state")
# Patches written since the last full copy of a value: bounds the documents one load reads.
MAX_LINKS = 16
# Values whose JSON is smaller than this are always written inline: a reference would save
# little and cost a read of another document on load.
MIN_REF_BYTES = 512
_MAX_HOPS = 4 * MAX_LINKS + 8  # any longer chain was not written by wftui: a loop or an attack

# A store's documents by checkpoint id, verbatim (None when there is none).
DocumentSource = Callable[[str], bytes | None]
Parse = Callable[[bytes], WorkflowCheckpoint]


class Holder(NamedTuple):
    """Where a value's stored form lives: the checkpoint that wrote it, and how many patches
    lead from there to a full copy."""

    checkpoint_id: str
    links: int


# {section: {key: Holder}}
Holders = dict[str, dict[str, Holder]]


def reference(checkpoint_id: str, patch: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored form of a value held by ``checkpoint_id`` (patched, when ``patch``)."""
    entry: dict[str, Any] = {TAG: REF, "cp": checkpoint_id}
    if patch is not None:
        entry["patch"] = patch
    return entry


def is_reference(entry: Any) -> bool:
    return type(entry) is dict and entry.get(TAG) == REF


def stored_size(encoded: Any) -> int:
    return len(orjson.dumps(encoded))


# --- patches -------------------------------------------------------------------------------

_GONE = object()


def make_patch(old: Any, new: Any) -> dict[str, Any] | None:
    """What turns typed JSON ``old`` into ``new``: ``{}`` when equal, None when ``new`` did not
    grow from ``old`` (then it is written whole)."""
    if old is new:
        return {}
    if type(old) is list and type(new) is list:
        size = len(old)
        if len(new) < size or new[:size] != old:
            return None
        return {"append": new[size:]} if len(new) > size else {}
    if type(old) is not dict or type(new) is not dict or TAG in old or TAG in new:
        return None if old != new else {}
    set_: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            set_[key] = value
            continue
        patch = make_patch(old[key], value)
        if patch is None:
            set_[key] = value
        elif patch:
            nested[key] = patch
    dropped = [key for key in old if key not in new]
    out: dict[str, Any] = {}
    if set_:
        out["set"] = set_
    if dropped:
        out["drop"] = dropped
    if nested:
        out["patch"] = nested
    return out


def _apply(base: Any, patch: Any, where: str) -> Any:
    if type(patch) is not dict:
        raise CheckpointDecodingError(f"{where}: a patch must be an object")
    if "append" in patch:
        items = patch["append"]
        if type(base) is not list or type(items) is not list or len(patch) != 1:
            raise CheckpointDecodingError(f"{where}: the patch does not fit the value it names")
        return base + items
    if type(base) is not dict or not set(patch) <= {"set", "drop", "patch"}:
        raise CheckpointDecodingError(f"{where}: the patch does not fit the value it names")
    out = dict(base)
    set_, dropped, nested = patch.get("set", {}), patch.get("drop", []), patch.get("patch", {})
    if type(set_) is not dict or type(dropped) is not list or type(nested) is not dict:
        raise CheckpointDecodingError(f"{where}: malformed patch")
    for key in dropped:
        if type(key) is not str or out.pop(key, _GONE) is _GONE:
            raise CheckpointDecodingError(f"{where}: the patch drops a key the value lacks")
    out.update(set_)
    for key, sub in nested.items():
        if key not in out:
            raise CheckpointDecodingError(f"{where}: the patch changes a key the value lacks")
        out[key] = _apply(out[key], sub, where + key_segment(key))
    return out


# --- resolving -----------------------------------------------------------------------------


def has_references(raw: WorkflowCheckpoint) -> bool:
    return any(
        is_reference(entry)
        for section in STATE_SECTIONS
        for entry in getattr(raw, section).values()
    )


class _Resolver:
    """Follows the references of one checkpoint, reading each other document once."""

    def __init__(self, raw: WorkflowCheckpoint, documents: DocumentSource, parse: Parse) -> None:
        self._root = raw
        self._documents = documents
        self._parse = parse
        self._loaded: dict[str, WorkflowCheckpoint] = {raw.checkpoint_id: raw}

    def _load(self, checkpoint_id: str, referrer: str) -> WorkflowCheckpoint:
        loaded = self._loaded.get(checkpoint_id)
        if loaded is not None:
            return loaded
        try:
            data = self._documents(checkpoint_id)
            raw = None if data is None else self._parse(data)
        except (CheckpointError, OSError) as error:
            raise CheckpointDecodingError(
                f"{referrer} refers to checkpoint {checkpoint_id}, which is unreadable: {error}"
            ) from None
        if raw is None:
            raise CheckpointDecodingError(
                f"{referrer} refers to checkpoint {checkpoint_id}, which is missing "
                "(deleted or not copied?)"
            )
        if raw.checkpoint_id != checkpoint_id or raw.workflow_id != self._root.workflow_id:
            raise CheckpointDecodingError(
                f"{referrer} refers to checkpoint {checkpoint_id}, which is not a checkpoint "
                f"of run {self._root.workflow_id}"
            )
        self._loaded[checkpoint_id] = raw
        return raw

    def value(
        self, raw: WorkflowCheckpoint, section: str, key: str, hops: int
    ) -> tuple[Any, Holder]:
        """The typed JSON of ``section[key]`` as checkpoint ``raw`` holds it, and its holder."""
        where = f"checkpoint {raw.checkpoint_id}: {section}{key_segment(key)}"
        entries: dict[str, Any] = getattr(raw, section)
        if key not in entries:
            raise CheckpointDecodingError(
                f"{where} is missing, yet a later checkpoint refers to it"
            )
        entry = entries[key]
        if not is_reference(entry):
            return entry, Holder(raw.checkpoint_id, 0)
        target, patch = entry.get("cp"), entry.get("patch")
        if type(target) is not str or not set(entry) <= {TAG, "cp", "patch"}:
            raise CheckpointDecodingError(f"{where}: malformed reference {entry!r}")
        try:
            validate_checkpoint_id(target)
        except CheckpointError as error:
            raise CheckpointDecodingError(f"{where}: malformed reference: {error}") from None
        if hops >= _MAX_HOPS or target == raw.checkpoint_id:
            raise CheckpointDecodingError(f"{where}: references loop or chain too long")
        base, holder = self.value(self._load(target, where), section, key, hops + 1)
        if patch is None:
            return base, holder
        return _apply(base, patch, where), Holder(raw.checkpoint_id, holder.links + 1)


def resolve(
    raw: WorkflowCheckpoint, documents: DocumentSource | None, parse: Parse
) -> tuple[WorkflowCheckpoint, Holders]:
    """``raw`` (values still typed JSON) with every reference replaced by the value it names,
    and where each state value lives, so a resumed run keeps referring to it."""
    if not has_references(raw):
        own = Holder(raw.checkpoint_id, 0)
        return raw, {
            section: dict.fromkeys(getattr(raw, section), own) for section in STATE_SECTIONS
        }
    if documents is None:
        raise CheckpointDecodingError(
            f"checkpoint {raw.checkpoint_id} refers to other checkpoints of its run and was "
            "read without its store"
        )
    resolver = _Resolver(raw, documents, parse)
    sections: dict[str, dict[str, Any]] = {}
    holders: Holders = {}
    for section in STATE_SECTIONS:
        values, places = {}, {}
        for key in getattr(raw, section):
            values[key], places[key] = resolver.value(raw, section, key, 0)
        sections[section], holders[section] = values, places
    return raw.model_copy(update=sections), holders


class _Unfetched(Exception):
    def __init__(self, checkpoint_id: str) -> None:
        self.checkpoint_id = checkpoint_id


async def gather_documents(
    raw: WorkflowCheckpoint,
    load_document: Callable[[str], Awaitable[bytes | None]],
    parse: Parse,
) -> DocumentSource:
    """The documents ``raw``'s references need, read with an async ``load_document``, as the
    ``DocumentSource`` a serializer's ``decode`` takes: the hook for a store that reads
    asynchronously (``decode(raw, await gather_documents(raw, self.load_document, parse))``)."""
    fetched: dict[str, bytes | None] = {}

    def documents(checkpoint_id: str) -> bytes | None:
        if checkpoint_id not in fetched:
            raise _Unfetched(checkpoint_id)
        return fetched[checkpoint_id]

    while True:
        try:
            resolve(raw, documents, parse)
            return fetched.get
        except _Unfetched as missing:
            fetched[missing.checkpoint_id] = await load_document(missing.checkpoint_id)


async def whole_document(
    storage: CheckpointStorage, checkpoint_id: str, parse: Parse
) -> dict[str, Any] | None:
    """A stored checkpoint's document with every reference resolved (values still typed JSON):
    what ``checkpoints show``, a diff or a copy to another store needs. None when missing."""
    data = await storage.load_document(checkpoint_id)
    if data is None:
        return None
    raw = parse(data)
    document: dict[str, Any] = orjson.loads(data)
    if has_references(raw):
        documents = await gather_documents(raw, storage.load_document, parse)
        whole, _ = resolve(raw, documents, parse)
        for section in STATE_SECTIONS:
            document[section] = getattr(whole, section)
    return document


# --- deleting ------------------------------------------------------------------------------


class CheckpointReferencedError(CheckpointError):
    """A checkpoint cannot be deleted alone: later checkpoints of its run refer to its values."""


async def referrers(storage: CheckpointStorage, checkpoint_id: str, parse: Parse) -> list[str]:
    """Checkpoints of the same run whose documents refer to ``checkpoint_id``."""
    data = await storage.load_document(checkpoint_id)
    if data is None:
        return []
    workflow_id = parse(data).workflow_id
    needle = orjson.dumps(checkpoint_id)
    found = []
    for other in await storage.list_checkpoint_ids(workflow_id):
        if other == checkpoint_id:
            continue
        document = await storage.load_document(other)
        if document is None or needle not in document:
            continue
        raw = parse(document)
        if any(
            is_reference(entry) and entry.get("cp") == checkpoint_id
            for section in STATE_SECTIONS
            for entry in getattr(raw, section).values()
        ):
            found.append(other)
    return found


async def delete_alone(storage: CheckpointStorage, checkpoint_id: str, parse: Parse) -> bool:
    """Delete one checkpoint, refusing when a later checkpoint of its run refers to it (its
    values would be lost to that one); deleting whole runs (prune) needs no such check."""
    await refuse_if_referenced(storage, checkpoint_id, parse)
    return await storage.delete_checkpoint(checkpoint_id)


async def refuse_if_referenced(
    storage: CheckpointStorage, checkpoint_id: str, parse: Parse
) -> None:
    """``CheckpointReferencedError`` naming the checkpoints that refer to ``checkpoint_id``."""
    using = await referrers(storage, checkpoint_id, parse)
    if using:
        shown = ", ".join(using[:3]) + (f" and {len(using) - 3} more" if len(using) > 3 else "")
        raise CheckpointReferencedError(
            f"checkpoint {checkpoint_id} holds values that {len(using)} later checkpoint(s) of "
            f"its run refer to ({shown}); delete those first, or prune the whole run"
        )
