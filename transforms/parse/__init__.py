"""Stage 2 — ParseEntries: `FetchedFeed` in; one `RawEntry` per feed item out (feedparser, plus a JSON Feed
adapter), and dead letters for bodies that are not feeds. `ParseStoryLines` does the same for `wirebeam enrich`
input lines.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.parse.stage import ParseEntries, ParseFeedFn, ParseStoryLineFn, ParseStoryLines


__all__ = ["ParseEntries", "ParseFeedFn", "ParseStoryLineFn", "ParseStoryLines"]

__getattr__ = lazy_exports(__name__, "transforms.parse.stage", __all__)
