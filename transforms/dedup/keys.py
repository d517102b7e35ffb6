"""The keys dedup knows a story by: one kind per way two copies are proven, or suspected, to be the same story.

A key is its kind's prefix and a value, one string, so keys of every kind share one shuffle (batch) or one keyed
state (stream) and the cross-run index stores them as they are. The exact kinds prove a duplicate; a band key
only nominates a candidate pair, verified on the sketches. `Duplicate.reason` is the reason of the most specific
kind two copies share, in the order of `KINDS`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Reason = Literal["url", "guid", "content_hash", "near"]


class KeyKind(NamedTuple):
    """One kind of dedup key: the prefix its keys start with, the duplicate reason a shared key gives."""

    prefix: str
    reason: Reason

    def key(self, value: str) -> str:
        return self.prefix + value

    def owns(self, key: str) -> bool:
        return key.startswith(self.prefix)


URL = KeyKind("u:", "url")  # the canonical URL
GUID = KeyKind("g:", "guid")  # the feed's URL and the entry's GUID (GUIDs are only unique within a feed)
CONTENT_HASH = KeyKind("h:", "content_hash")  # the hash of the body's normalized words
BAND = KeyKind("b:", "near")  # one MinHash-LSH band of the sketch: a candidate, not a proof
EXACT_KINDS = (URL, GUID, CONTENT_HASH)
KINDS = (*EXACT_KINDS, BAND)  # most specific first
_BY_PREFIX = {kind.prefix: kind for kind in KINDS}
# Which reason to report when keys of several kinds name an earlier copy: the smallest rank.
REASON_RANK: dict[str, int] = {kind.reason: rank for rank, kind in enumerate(KINDS)}


def guid_key(feed_url: str, guid: str) -> str:
    return GUID.key(f"{feed_url}\x1f{guid}")


def kind_of(key: str) -> KeyKind:
    """The kind of a key (KeyError for a key of no kind)."""
    return _BY_PREFIX[key[: len(BAND.prefix)]]


def is_band(key: str) -> bool:
    return key.startswith(BAND.prefix)
