"""The records that cross wirebeam's stage boundaries and land in its output files.

Offsets in `Entity`, `Mention` and `DateMention` index `EnrichedStory.body` as a Python `str` (code points), or
`EnrichedStory.title` where their `field` is "title" (the headline is tagged too), so `body[start:end] == text` (or
`title[start:end] == text`) holds for every mention; `EnrichedStory` checks it on validation.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

SCHEMA_VERSION = "1.0"

# How `Story.published_at` was obtained, most trusted first. The `page_*` values come from a whole HTML page's own
# markup (`wirebeam enrich` on pages): its JSON-LD `datePublished`, a publish-time `<meta>`, a `<time datetime>`,
# or, when it has none of these, the day htmldate finds in its markup and text (`page_guess`, a day at 00:00 UTC).
# `channel` is the feed's own date (RSS channel pubDate/lastBuildDate) for an item that carries none.
PublishedSource = Literal[
    "feed",
    "page_jsonld",
    "page_meta",
    "page_time",
    "page_timestamp",
    "page_guess",
    "dateline",
    "channel",
    "input",
    "fetch_time",
]
DateType = Literal["DATE", "TIME", "DURATION", "SET"]
AnchorSource = Literal["dateline", "published", "channel", "fetched", "none"]
# How `Story.language` was decided (transforms/language.py): the feed's declaration confirmed by the text, kept
# because the text was too short to check, overruled by the text, identified from the text without a
# declaration, or neither.
LanguageSource = Literal["declared", "declared_unchecked", "overruled", "detected", "undetermined"]
# Which text of a story a mention's offsets index.
TextField = Literal["body", "title"]

# Excerpts of bad input kept in a dead letter: enough to see what went wrong, bounded so a 15 MB
# body cannot blow up the dead-letter file.
EXCERPT_CHARS = 2000


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class FeedSource(_Record):
    """A feed as configured: where it is and what it is called."""

    url: str = Field(description="http(s) URL or local path, as given")
    name: str | None = None
    agency: str | None = Field(default=None, description="wire agency the feed carries, if known")
    language: str | None = None
    tags: list[str] = Field(default_factory=list)


class RawEntry(_Record):
    """One item of a parsed feed, before cleaning."""

    id: str = Field(description="stable entry id: from GUID, link, or content")
    source: FeedSource
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary_html: str | None = None
    content_html: str | None = None
    published_text: str | None = None
    published_at: dt.datetime | None = None
    published_source: PublishedSource | None = Field(
        default=None, description="where published_at came from when not the feed (enrich input, page metadata)"
    )
    published_offset_minutes: int | None = Field(
        default=None, description="UTC offset the item's date was written in (its local time), if it named one"
    )
    updated_text: str | None = None
    updated_at: dt.datetime | None = None
    date_flag: Literal["unparseable", "future"] | None = Field(
        default=None, description="why published_at is null although the feed gave a date"
    )
    channel_published_at: dt.datetime | None = Field(
        default=None, description="the channel's pubDate/lastBuildDate (Atom: feed updated), UTC"
    )
    channel_offset_minutes: int | None = None
    authors: list[str] = Field(default_factory=list, description="dc:creator / author names")
    credits: list[str] = Field(default_factory=list, description="media:credit (photo and video credits)")
    categories: list[str] = Field(default_factory=list)
    language: str | None = None
    feed_bozo: bool = False
    fetched_at: dt.datetime
    is_html: bool = True


class Dateline(_Record):
    location: str
    date_text: str | None = None
    date: dt.date | None = None
    agency: str | None = None


class Story(_Record):
    """A cleaned story: the text of the article and the metadata lifted out of it."""

    id: str
    url: str | None = None
    canonical_url: str | None = None
    guid: str | None = None
    title: str
    body: str = Field(description="clean text, paragraphs separated by a blank line")
    summary: str | None = None
    published_at: dt.datetime | None = None
    published_source: PublishedSource | None = None
    published_offset_minutes: int | None = Field(
        default=None,
        description="UTC offset of the source's own date (feed date or channel date): published_at shifted by it "
        "gives the story's local day, which relative dates are anchored on",
    )
    dateline: Dateline | None = None
    credits: list[str] = Field(default_factory=list)
    language: str | None = Field(
        default=None, description="ISO 639-1 code (639-3 where there is none) of the text; null when unknown"
    )
    language_source: LanguageSource | None = Field(default=None, description="how `language` was decided")
    language_declared: str | None = Field(default=None, description="what the item or feed declared, as written")
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    source: FeedSource
    content_hash: str
    fetched_at: dt.datetime


class Mention(_Record):
    start: int
    end: int
    text: str
    field: TextField = Field(default="body", description="the text the offsets index: body or title")


class Entity(_Record):
    text: str = Field(description="the mention `start`/`end` refer to, as written")
    label: str = Field(description="spaCy label: PERSON, ORG, GPE, LOC, NORP, FAC, EVENT, ...")
    start: int = Field(description="the entity's first body mention, or its first title mention if it has none")
    end: int
    field: TextField = Field(default="body", description="the text `start`/`end` index: body or title")
    canonical: str
    mentions: list[Mention] = Field(description="title mentions first, then body mentions, each in text order")
    count: int
    tickers: list[str] = Field(
        default_factory=list, description='exchange tickers given for a company: "DAL.N", "NYSE:DAL"'
    )


class DateMention(_Record):
    text: str
    start: int
    end: int
    field: TextField = Field(default="body", description="the text the offsets index: body or title")
    value: str = Field(description="TIMEX3-style value: 2014-03-16, 2014-W10, P1M, XXXX-WXX-1, PAST_REF, ...")
    type: DateType
    anchor: dt.date | None = Field(
        default=None, description="date a relative expression was resolved against"
    )
    anchor_source: AnchorSource = "none"


class ClusterCopy(_Record):
    id: str
    url: str | None = None
    source: str = Field(description="feed URL or input file the copy came from")
    title: str | None = None
    published_at: dt.datetime | None = None


class Cluster(_Record):
    id: str
    size: int
    copies: list[ClusterCopy]
    versions: list[ClusterCopy] = Field(
        default_factory=list,
        description="earlier versions of this story seen in the same run (same item or outlet, older text), oldest "
        "first; not counted in size",
    )


class Supersedes(_Record):
    """The record a new version replaces."""

    id: str
    version: int


class Changes(_Record):
    """What changed from the superseded record (paragraphs compared by the hash of their words)."""

    headline_changed: bool
    paragraphs_added: int
    paragraphs_removed: int
    paragraphs_edited: int


class EnrichedStory(Story):
    """What `stories-*.jsonl` holds: one line per story."""

    entities: list[Entity] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    enrichment: dict[Literal["entities", "dates"], str] = Field(
        default_factory=dict,
        description="why a step left its field empty without looking, e.g. {\"entities\": \"no model for de\"}",
    )
    cluster: Cluster
    version: int = Field(default=1, ge=1, description="1 the first time wirebeam emits this story, then 2, 3, …")
    supersedes: Supersedes | None = Field(
        default=None, description="the record this version replaces (same id unless reissued under a new URL)"
    )
    changes: Changes | None = Field(
        default=None, description="what changed from the superseded record; null for version 1 or when unknown"
    )
    correction: str | None = Field(default=None, description="the body's correction note, lifted out verbatim")
    revision: str | None = Field(default=None, description="wire revision marker of the headline: UPDATE 2, REFILE, …")
    schema_version: str = SCHEMA_VERSION
    processed_at: dt.datetime

    @model_validator(mode="after")
    def _offsets_index_text(self) -> EnrichedStory:
        texts = {"body": self.body, "title": self.title}
        for what, items in (("entity mention", [m for ent in self.entities for m in ent.mentions]),
                            ("entity", self.entities), ("date mention", self.dates)):
            for m in items:
                if texts[m.field][m.start : m.end] != m.text:
                    raise ValueError(f"{what} {m.text!r} does not match {m.field}[{m.start}:{m.end}]")
        return self


class Duplicate(_Record):
    """A story not emitted because another copy was: what `duplicates-*.jsonl` holds."""

    id: str
    duplicate_of: str
    reason: Literal["url", "guid", "content_hash", "near", "index", "superseded"] = Field(
        description="the key shared with the kept copy; index: an earlier run's; superseded: an older version of the "
        "kept story seen in the same run"
    )
    cross_run: bool = Field(default=False, description="the kept copy was emitted by an earlier run")
    url: str | None = None
    source: str
    title: str | None = None
    published_at: dt.datetime | None = None


class DeadLetter(_Record):
    """Input that could not become a story, with enough context to see why."""

    stage: str
    error_type: str
    message: str
    source: str = Field(description="feed URL, input file, or article URL")
    entry_id: str | None = Field(default=None, description="null for a failure of the whole feed")
    http_status: int | None = None
    excerpt: str = Field(default="", max_length=EXCERPT_CHARS)
    at: dt.datetime


class FeedCounts(_Record):
    entries_read: int = 0
    stories: int = 0
    versions: int = Field(default=0, description="of `stories`, new versions of a story emitted before")
    duplicates: int = 0
    dead_letters: int = Field(default=0, description="entries that became dead letters")
    feed_errors: int = Field(default=0, description="dead letters for the feed as a whole (fetch/parse)")
    not_modified: int = Field(default=0, description="fetches answered 304 or with an unchanged body")
    bozo: int = Field(default=0, description="fetches whose feed was malformed but kept its good entries")
    http_status: int | None = None
    feed_error: str | None = Field(
        default=None, description="why the feed failed as a whole (the dead letter's error_type), e.g. ssrf_blocked"
    )

    @property
    def reconciled(self) -> bool:
        return self.entries_read == self.stories + self.duplicates + self.dead_letters


class Manifest(_Record):
    run_id: str
    command: Literal["run", "enrich"]
    started_at: dt.datetime
    finished_at: dt.datetime
    schema_version: str = SCHEMA_VERSION
    wirebeam_version: str
    options: dict[str, object]
    feeds: dict[str, FeedCounts]
    totals: FeedCounts
    reconciled: bool
    files: dict[str, list[str]]


STORY_ADAPTER: TypeAdapter[EnrichedStory] = TypeAdapter(EnrichedStory)

# Records with an exported JSON Schema (schemas/<name>.schema.json); tests/test_schemas.py keeps them current.
EXPORTED: dict[str, type[BaseModel]] = {
    "feed_source": FeedSource,
    "raw_entry": RawEntry,
    "story": Story,
    "enriched_story": EnrichedStory,
    "duplicate": Duplicate,
    "dead_letter": DeadLetter,
    "manifest": Manifest,
}
