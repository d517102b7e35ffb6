"""Stage 1 — ReadFeeds: get each configured feed's bytes, over HTTP(S) or from a local file.

The guarded HTTP client lives in transforms/fetch/http.py (timeouts, size caps, SSRF guard, retries, conditional GET);
this module turns its results into `FetchedFeed` records, per-feed status reports and dead letters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.story import FeedSource
from transforms.common import DEAD_LETTER, METRICS_NAMESPACE, counter, dead_letter, utcnow
from transforms.fetch.http import Fetcher, FetchResult, FetchSettings, Validators
from transforms.fetch.local import read_local

LOGGER = logging.getLogger(__name__)

FEED_REPORT = "feed_report"
STAGE = "fetch"


@dataclasses.dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed's bytes as fetched, with what the parser needs to know about the response."""

    source: FeedSource
    body: bytes
    headers: dict[str, str]
    status: int | None
    final_url: str
    fetched_at: dt.datetime


def feed_report(feed: str, **fields: Any) -> beam.pvalue.TaggedOutput:
    """A per-feed fact for the manifest and the state dir (status, validators, counts)."""
    return beam.pvalue.TaggedOutput(FEED_REPORT, {"feed": feed, **fields})


def is_local_path(location: str) -> bool:
    """True for a plain filesystem path; URLs of any scheme (file:// included) are not local paths."""
    scheme = urlsplit(location).scheme
    # A one-letter scheme is a Windows drive letter, not a URL scheme.
    return scheme == "" or len(scheme) == 1


def validators_from_state(state: Mapping[str, Any] | None) -> Validators | None:
    if not state:
        return None
    return Validators(
        etag=state.get("etag"),
        last_modified=state.get("last_modified"),
        body_sha256=state.get("body_sha256"),
    )


class FetchFeedFn(beam.DoFn):
    """FeedSource → FetchedFeed, with a feed report for every feed and a dead letter for every failure."""

    def __init__(self, settings: FetchSettings, feed_state: Mapping[str, Mapping[str, Any]]) -> None:
        self._settings = settings
        self._feed_state = dict(feed_state)
        self._fetcher: Fetcher | None = None
        self.latency_ms = Metrics.distribution(METRICS_NAMESPACE, "fetch.latency_ms")

    def setup(self) -> None:
        self._fetcher = Fetcher(self._settings)

    def teardown(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()

    def process(self, source: FeedSource) -> Iterator[Any]:
        yield from self.fetch_one(source, self._feed_state.get(source.url))

    def fetch_one(self, source: FeedSource, previous: Mapping[str, Any] | None) -> Iterator[Any]:
        """Fetch one feed (conditional on `previous` validators) → FetchedFeed, feed report, dead letters."""
        assert self._fetcher is not None, "setup() not called"
        counter("fetch.feeds").inc()
        if is_local_path(source.url):
            result = read_local(source.url, self._settings)
        else:
            result = self._fetcher.fetch(source.url, validators_from_state(previous))
        self.latency_ms.update(int(result.elapsed * 1000))
        yield from self._outputs(source, result, previous)

    def _outputs(
        self, source: FeedSource, result: FetchResult, previous: Mapping[str, Any] | None
    ) -> Iterator[Any]:
        report: dict[str, Any] = {"http_status": result.status, "attempts": result.attempts}
        if result.error_type is not None:
            counter(f"fetch.error.{result.error_type}").inc()
            yield feed_report(source.url, feed_errors=1, error_type=result.error_type, **report)
            yield dead_letter(
                STAGE,
                result.message or result.error_type,
                source.url,
                error_type=result.error_type,
                http_status=result.status,
                payload=result.body or b"",
            )
            return
        new_state = dataclasses.asdict(result.validators)
        unchanged_body = (
            previous is not None
            and result.validators.body_sha256 is not None
            and previous.get("body_sha256") == result.validators.body_sha256
        )
        if result.not_modified or unchanged_body:
            # A 304, or a 200 whose body hashes as last time (servers that ignore or mangle validators).
            counter("fetch.not_modified").inc()
            kept = dict(previous or {}) | {k: v for k, v in new_state.items() if v}
            yield feed_report(source.url, not_modified=1, state=kept, **report)
            return
        yield feed_report(source.url, state=new_state, **report)
        yield FetchedFeed(
            source=source,
            body=result.body or b"",
            headers=dict(result.headers),
            status=result.status,
            final_url=result.final_url,
            fetched_at=utcnow(),
        )


class ReadFeeds(beam.PTransform):
    """PCollection[FeedSource] → {"feeds": FetchedFeed, "feed_report": dict, "dead_letter": DeadLetter}."""

    def __init__(
        self,
        settings: FetchSettings,
        feed_state: Mapping[str, Mapping[str, Any]] | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(label)
        self._settings = settings
        self._feed_state = dict(feed_state or {})

    def expand(self, sources: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            sources
            # Feeds are few and slow: spread them over workers before fetching, not in one bundle.
            | "Spread" >> beam.Reshuffle()
            | "Fetch"
            >> beam.ParDo(FetchFeedFn(self._settings, self._feed_state)).with_outputs(
                FEED_REPORT, DEAD_LETTER, main="feeds"
            )
        )
