"""Text inside checkpoint values, for the browser's ``/`` filter. Textual-free.

Listings hold no values, so finding text in them means reading documents: shared state,
executor states, pending messages and requests, fan-in buffers and the error. A store can hold
thousands, so a search reads each document once, streams its matches as it goes (the caller
shows them as they come and cancels the search when the user types on), skips the parse of a
document whose bytes cannot hold the text, and narrows a longer needle to what the shorter one
it extends found. Values stored as references to an earlier checkpoint of the run are read
through that checkpoint (each read once per search), so every checkpoint that holds a value
matches, not only the one that wrote it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wftui.checkpoint.document import parse_checkpoint
from wftui.checkpoint.errors import CheckpointError
from wftui.checkpoint.references import REF, gather_documents, has_references, resolve
from wftui.checkpoint.tags import TAG

VALUE_SECTIONS = (
    "shared_state",
    "executor_states",
    "messages",
    "pending_requests",
    "fan_in_buffers",
    "error",
)
BATCH = 64  # documents read between two reports (and two yields to the event loop)
_REMEMBERED = 8  # finished searches kept, so typing back to an earlier needle costs nothing
CACHE_BYTES = 16 * 1024 * 1024  # documents kept for the references of the ones after them
_NOT_TEXT = frozenset({"bytes", "bytearray"})  # tagged payloads whose JSON text is encoding
_JSON_ESCAPED = frozenset('"\\')

_REF_BYTES = f'"{REF}"'.encode()

LoadDocument = Callable[[str], Awaitable[bytes | None]]


@dataclass(frozen=True)
class _Finished:
    searched: frozenset[str]
    hits: frozenset[str]


class ValueSearch:
    """Finds the checkpoints whose values hold a text (case-insensitive).

    Checkpoints never change once written, so what a finished search learnt stays true: the
    same needle again reads only checkpoints saved since, and a needle that extends an earlier
    one reads only that one's hits (and the new checkpoints).
    """

    def __init__(self, load_document: LoadDocument, *, cache_bytes: int = CACHE_BYTES) -> None:
        self._load_document = load_document
        self._cache_limit = cache_bytes
        self._finished: OrderedDict[str, _Finished] = OrderedDict()
        self._documents: OrderedDict[str, bytes | None] = OrderedDict()
        self._cached_bytes = 0

    async def search(
        self, needle: str, checkpoint_ids: Iterable[str]
    ) -> AsyncIterator[tuple[list[str], int]]:
        """Batches of matching ids among ``checkpoint_ids``, in their order, each with how many
        checkpoints were looked at so far; the last batch comes when all were."""
        needle = needle.strip().lower()
        ids = list(checkpoint_ids)
        same, wider = self._earlier(needle)
        found: set[str] = set()
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            known = {cid for cid in chunk if same is not None and cid in same.searched}
            to_read = [
                cid
                for cid in chunk
                if cid not in known
                and (wider is None or cid not in wider.searched or cid in wider.hits)
            ]
            # Read together: a store that reads in threads reads them side by side.
            documents = await asyncio.gather(*(self._document(cid) for cid in to_read))
            hits = {
                cid
                for cid, data in zip(to_read, documents, strict=True)
                if data is not None and await self._holds(data, needle)
            }
            hits.update(cid for cid in known if same is not None and cid in same.hits)
            found.update(hits)
            yield [cid for cid in chunk if cid in hits], start + len(chunk)
            await asyncio.sleep(0)  # keys stay answered while a big store is read
        if not ids:
            yield [], 0
        self._finished[needle] = _Finished(frozenset(ids), frozenset(found))
        self._finished.move_to_end(needle)
        while len(self._finished) > _REMEMBERED:
            self._finished.popitem(last=False)

    def _earlier(self, needle: str) -> tuple[_Finished | None, _Finished | None]:
        """The finished search for ``needle`` itself, and the newest for a text inside it
        (whose hits hold every checkpoint that can match ``needle``)."""
        wider = next(
            (
                done
                for text, done in reversed(self._finished.items())
                if text and text != needle and text in needle
            ),
            None,
        )
        return self._finished.get(needle), wider

    async def _holds(self, data: bytes, needle: str) -> bool:
        # Plain ASCII is written as it is in JSON: absent from the bytes (and no value read
        # from another checkpoint), absent from the values, and nothing to parse.
        if _plain(needle) and _REF_BYTES not in data and needle.encode() not in data.lower():
            return False
        try:
            raw = parse_checkpoint(data)
            if has_references(raw):
                documents = await gather_documents(raw, self._document, parse_checkpoint)
                raw, _ = resolve(raw, documents, parse_checkpoint)
        except CheckpointError:
            return False  # the listing reports unreadable checkpoints; a search skips them
        return any(_contains(getattr(raw, section), needle) for section in VALUE_SECTIONS)

    async def _document(self, checkpoint_id: str) -> bytes | None:
        if checkpoint_id in self._documents:
            self._documents.move_to_end(checkpoint_id)
            return self._documents[checkpoint_id]
        data = await self._load_document(checkpoint_id)
        self._documents[checkpoint_id] = data
        self._cached_bytes += len(data or b"")
        while self._cached_bytes > self._cache_limit and self._documents:
            _, dropped = self._documents.popitem(last=False)
            self._cached_bytes -= len(dropped or b"")
        return data


def _plain(needle: str) -> bool:
    return needle.isascii() and needle.isprintable() and not _JSON_ESCAPED & set(needle)


def _contains(value: Any, needle: str) -> bool:
    """Whether any text in a typed-JSON value holds ``needle`` (already lower case); tags and
    encoded bytes are not text the user wrote."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if needle in item.lower():
                return True
        elif isinstance(item, dict):
            if item.get(TAG) in _NOT_TEXT:
                continue
            stack.extend(v for k, v in item.items() if k != TAG)
        elif isinstance(item, list):
            stack.extend(item)
    return False
