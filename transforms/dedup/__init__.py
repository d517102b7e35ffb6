"""Stage 5 — DedupStories: `Story` in; one `EnrichedStory` (not yet tagged) per cluster of copies out, carrying
every copy's provenance, plus a `Duplicate` per copy not emitted and the entries for the cross-run index.
StreamingDedup does the same for `wirebeam stream` in keyed state; NoDedup stands in for either with dedup off.

`neardup` holds the pure logic (canonical URLs, content hashes, MinHash sketches, LSH band keys); `keys` the
kinds of dedup key, their prefixes and the duplicate reason each gives; `index` the cross-run index lines in the
state dir; `members` what the batch dedup decides, as plain functions (members, pairs, the representative and
versions policy); `stage` the batch composite, `streaming` the streaming one, `singleton` the no-dedup one.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.dedup.members import DUPLICATES, INDEX_ENTRIES
    from transforms.dedup.singleton import NoDedup, singleton
    from transforms.dedup.stage import DedupStories
    from transforms.dedup.streaming import StreamingDedup


__all__ = ["DUPLICATES", "INDEX_ENTRIES", "DedupStories", "NoDedup", "StreamingDedup", "singleton"]

__getattr__ = lazy_exports(
    __name__,
    {
        "transforms.dedup.members": ["DUPLICATES", "INDEX_ENTRIES"],
        "transforms.dedup.stage": ["DedupStories"],
        "transforms.dedup.singleton": ["NoDedup", "singleton"],
        "transforms.dedup.streaming": ["StreamingDedup"],
    },
)
