"""Stage 1 — ReadFeeds: feed sources in; `FetchedFeed` records (bytes, headers, status) out, plus a per-feed
report and a dead letter for every feed that cannot be had.

`http` is the guarded HTTP client (timeouts, size caps, retries, conditional GET), with `addresses` (the SSRF
guard's address rules and resolver), `decoding` (Content-Encoding under the size cap) and `errors` beside it;
`local` reads local feed files; `stage` holds the DoFn and the composite.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.fetch.stage import FEED_REPORT, FetchedFeed, FetchFeedFn, ReadFeeds, feed_report


__all__ = ["FEED_REPORT", "FetchFeedFn", "FetchedFeed", "ReadFeeds", "feed_report"]

__getattr__ = lazy_exports(__name__, "transforms.fetch.stage", __all__)
