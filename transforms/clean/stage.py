"""Stage 4 — CleanStories: RawEntry → Story.

HTML to text, Unicode repair, page chrome and boilerplate removed, page timestamp and dateline lifted into fields.
The text work is in the pure modules beside this one (text.py, dateline.py, boilerplate.py, story.py); this module
decides which field feeds it and where `published_at` comes from.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas.story import Dateline, PublishedSource, RawEntry, Story
from transforms.clean.dateline import parse_dateline
from transforms.clean.story import Cleaned, clean_story
from transforms.clean.text import clean_text
from transforms.common import DEAD_LETTER, METRICS_NAMESPACE, counter, dead_letter
from transforms.dedup.neardup import canonical_url, content_hash

LOGGER = logging.getLogger(__name__)

STAGE = "clean"
# FeedSource tag of stories given to `wirebeam enrich` (their date is the user's, not a feed's).
INPUT_TAG = "input"
SUMMARY_CHARS = 600


def pick_published(entry: RawEntry, cleaned: Cleaned) -> tuple[dt.datetime | None, PublishedSource | None]:
    """The item's date, else the page timestamp, else the dateline's day, else the channel's date (pubDate /
    lastBuildDate of the whole feed); None when nothing says (the fetch time is then the anchor)."""
    if entry.published_at is not None:
        return entry.published_at, entry.published_source or ("input" if INPUT_TAG in entry.source.tags else "feed")
    if cleaned.page_timestamp is not None:
        return cleaned.page_timestamp, "page_timestamp"
    if cleaned.dateline is not None and cleaned.dateline.date is not None:
        day = cleaned.dateline.date
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), "dateline"
    if entry.channel_published_at is not None:
        return entry.channel_published_at, "channel"
    return None, None


def published_offset(entry: RawEntry, source: PublishedSource | None) -> int | None:
    """The UTC offset the chosen date was written in: the item's, the input's or page's, or the channel's; a
    page timestamp line is read into UTC and a dateline's day is already local, so neither has one."""
    if source == "channel":
        return entry.channel_offset_minutes
    if source in ("page_timestamp", "dateline") or source is None:
        return None
    return entry.published_offset_minutes


# A body this short (a teaser sentence or two) may be a template the outlet puts on many items ("The news of the
# day as interpreted by our artists"): its exact-content key includes the title, so only the same item matches.
TEMPLATE_WORDS = 60


def content_key(body: str, title: str) -> str:
    """The exact-content hash dedup keys on: the body's words, with the title's when the body is short."""
    if len(body.split()) >= TEMPLATE_WORDS:
        return content_hash(body)
    return content_hash(f"{title}\n{body}")


def clean_entry(entry: RawEntry) -> Story:
    """RawEntry → Story; ValueError when nothing of a story is left."""
    content = entry.content_html or entry.summary_html or ""
    cleaned = clean_story(content, title=entry.title, is_html=entry.is_html, published=entry.published_at)
    if not cleaned.body and not cleaned.title:
        raise ValueError("no title and no text left after cleaning")
    summary = None
    if entry.content_html and entry.summary_html:
        summary_cleaned = clean_story(
            entry.summary_html, title=entry.title, is_html=entry.is_html, published=entry.published_at
        )
        summary = summary_cleaned.body[:SUMMARY_CHARS] or None
    published_at, published_source = pick_published(entry, cleaned)
    credits = list(dict.fromkeys([*cleaned.credits, *entry.credits]))
    authors = list(dict.fromkeys([*entry.authors, *cleaned.authors]))
    dateline = None
    if cleaned.dateline is not None:
        day = cleaned.dateline.date
        if day is None and cleaned.dateline.date_text and cleaned.page_timestamp is not None:
            # No feed date to take the year from: the page's own timestamp gives it.
            again = parse_dateline(cleaned.dateline.raw, cleaned.page_timestamp)
            day = again[0].date if again else None
        dateline = Dateline(
            location=cleaned.dateline.location,
            date_text=cleaned.dateline.date_text,
            date=day,
            agency=cleaned.dateline.agency,
        )
    url = entry.link
    title = cleaned.title or clean_text(entry.title or "")
    return Story(
        id=entry.id,
        url=url,
        canonical_url=canonical_url(url) if url else None,
        guid=entry.guid,
        title=title,
        body=cleaned.body,
        summary=summary,
        published_at=published_at,
        published_source=published_source,
        published_offset_minutes=published_offset(entry, published_source),
        dateline=dateline,
        credits=credits,
        language=entry.language,
        authors=authors,
        categories=entry.categories,
        source=entry.source,
        content_hash=content_key(cleaned.body, title),
        fetched_at=entry.fetched_at,
    )


class CleanEntryFn(beam.DoFn):
    def __init__(self) -> None:
        self.body_chars = Metrics.distribution(METRICS_NAMESPACE, "clean.body_chars")

    def process(self, entry: RawEntry) -> Iterator[Any]:
        try:
            story = clean_entry(entry)
        except (ValueError, TypeError) as exc:
            yield dead_letter(
                STAGE,
                exc,
                entry.source.url,
                entry_id=entry.id,
                payload=entry.content_html or entry.summary_html,
                error_type="empty_story" if isinstance(exc, ValueError) else None,
            )
            return
        counter("clean.stories").inc()
        self.body_chars.update(len(story.body))
        yield story


class CleanStories(beam.PTransform):
    """PCollection[RawEntry] → {"stories": Story, "dead_letter": DeadLetter}."""

    def expand(self, entries: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return entries | "Clean" >> beam.ParDo(CleanEntryFn()).with_outputs(DEAD_LETTER, main="stories")
