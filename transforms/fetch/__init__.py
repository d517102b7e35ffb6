"""Stage 1 — ReadFeeds: feed sources in; `FetchedFeed` records (bytes, headers, status) out, plus a per-feed
report and a dead letter for every feed that cannot be had. PollFeedFn is the same fetch for `wirebeam stream`,
the feeds' validators kept in keyed state.

`http` is the guarded HTTP client (timeouts, size caps, retries, conditional GET), with `addresses` (the SSRF
guard's address rules and resolver), `decoding` (Content-Encoding under the size cap) and `errors` beside it;
`local` reads local feed files; `stage` holds the DoFn and the composite, `poll` the streaming DoFn.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.fetch.poll import PollFeedFn, feeds_for_tick
    from transforms.fetch.stage import FEED_REPORT, FetchedFeed, FetchFeedFn, ReadFeeds, feed_report


__all__ = ["FEED_REPORT", "FetchFeedFn", "FetchedFeed", "PollFeedFn", "ReadFeeds", "feed_report", "feeds_for_tick"]

__getattr__ = lazy_exports(
    __name__,
    {
        "transforms.fetch.stage": ["FEED_REPORT", "FetchFeedFn", "FetchedFeed", "ReadFeeds", "feed_report"],
        "transforms.fetch.poll": ["PollFeedFn", "feeds_for_tick"],
    },
)
