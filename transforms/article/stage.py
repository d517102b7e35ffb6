"""Stage 3 (optional, `--fetch-articles`) — FetchArticles: replace an entry's feed text with its full article.

Each entry's link goes through the same guarded fetcher as the feeds (SSRF guard, caps, retries); trafilatura
extracts the main text (transforms/article/page.py), which the clean stage then treats like any text. When the page
cannot be fetched or yields less text than the feed already had, the entry keeps its feed text: the story is not
lost, the failure is counted and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import apache_beam as beam

from schemas.story import RawEntry
from transforms.article.page import extract_article
from transforms.common import counter
from transforms.fetch.http import Fetcher, FetchSettings

LOGGER = logging.getLogger(__name__)

STAGE = "article"


def feed_text_length(entry: RawEntry) -> int:
    return len(entry.content_html or entry.summary_html or "")


class FetchArticleFn(beam.DoFn):
    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._fetcher: Fetcher | None = None

    def setup(self) -> None:
        self._fetcher = Fetcher(self._settings)

    def teardown(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()

    def process(self, entry: RawEntry) -> Iterator[RawEntry]:
        assert self._fetcher is not None, "setup() not called"
        if not entry.link or not entry.link.startswith(("http://", "https://")):
            counter("article.no_link").inc()
            yield entry
            return
        result = self._fetcher.fetch(entry.link)
        if result.error_type is not None or not result.body:
            counter(f"article.error.{result.error_type or 'empty'}").inc()
            LOGGER.info("article %s not fetched (%s): keeping the feed text", entry.link, result.message)
            yield entry
            return
        html = result.body.decode("utf-8", errors="replace")
        text = extract_article(html, result.final_url)
        if not text or len(text) < feed_text_length(entry) // 2:
            counter("article.no_text").inc()
            yield entry
            return
        counter("article.fetched").inc()
        yield entry.model_copy(update={"content_html": text, "is_html": False})


class FetchArticles(beam.PTransform):
    """PCollection[RawEntry] → PCollection[RawEntry] carrying full article text where it could be had."""

    def __init__(self, settings: FetchSettings, label: str | None = None) -> None:
        super().__init__(label)
        self._settings = settings

    def expand(self, entries: beam.PCollection) -> beam.PCollection:
        return entries | "Spread" >> beam.Reshuffle() | "Fetch" >> beam.ParDo(FetchArticleFn(self._settings))
