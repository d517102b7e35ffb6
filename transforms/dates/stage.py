"""Stage 7 — ExtractDates: temporal expressions, normalized against the story's own date.

The anchor is the dateline's date, else the local day of the publish time (in the UTC offset the source wrote it
in; the channel's date for items without one), else the fetch time; it is recorded on every mention so a reader
can see what a relative date was resolved against. The tagger is transforms/dates/tagger.py (engine.py runs the
rule table of rules/).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import apache_beam as beam

from schemas.story import AnchorSource, DateMention, EnrichedStory, Story, TextField
from transforms.common import DEAD_LETTER, counter, dead_letter
from transforms.dates.tagger import extract_dates, no_rules_reason, rules_for
from transforms.faults import ElementTimeout, check_failpoint, time_limit
from transforms.language import LEGACY_LANGUAGE, enrichment_language

LOGGER = logging.getLogger(__name__)

STAGE = "dates"


def local_publication_day(story: Story) -> dt.date | None:
    """The day the story was published where it was written: `published_at` (UTC) in the offset its source
    wrote the date in ("Mon, 07:30 +1000" is Monday, though Sunday in UTC); the UTC day when none was given."""
    if story.published_at is None:
        return None
    offset = dt.timedelta(minutes=story.published_offset_minutes or 0)
    return story.published_at.astimezone(dt.timezone(offset)).date()


def anchor_of(story: Story) -> tuple[dt.date | None, AnchorSource]:
    """The date relative expressions are resolved against (the story's local day), and where it came from."""
    if story.dateline is not None and story.dateline.date is not None:
        return story.dateline.date, "dateline"
    if story.published_at is not None:
        return local_publication_day(story), "channel" if story.published_source == "channel" else "published"
    if story.fetched_at is not None:
        return story.fetched_at.date(), "fetched"
    return None, "none"


def _texts(story: Story) -> tuple[tuple[TextField, str], ...]:
    return ("title", story.title), ("body", story.body)


def date_mentions(story: Story) -> list[DateMention]:
    """The dates of the title (``field`` "title", offsets into it) then of the body, against one anchor, by the
    rules of the story's language (none for a language without rules)."""
    language = enrichment_language(story.language, story.language_source)
    if language is None or no_rules_reason(language) is not None:
        return []
    anchor, source = anchor_of(story)
    return [
        DateMention(
            text=m.text,
            start=m.start,
            end=m.end,
            field=field,
            value=m.value,
            type=m.type,  # type: ignore[arg-type]
            anchor=anchor,
            anchor_source=source,
        )
        for field, text in _texts(story)
        if text
        for m in extract_dates(text, anchor, language)
    ]


class ExtractDatesFn(beam.DoFn):
    """EnrichedStory → the same story with `dates`; `failpoints` (transforms/faults.py) travel pickled with it."""

    def __init__(self, element_timeout: float | None = None, *, failpoints: Mapping[str, str] | None = None) -> None:
        self._timeout = element_timeout
        self._failpoints = dict(failpoints or {})

    def setup(self) -> None:
        rules_for(LEGACY_LANGUAGE)  # English rules once per worker, before the first story; French on its first

    def process(self, story: EnrichedStory) -> Iterator[Any]:
        try:
            with time_limit(self._timeout):
                check_failpoint(self._failpoints, STAGE, story.body)
                mentions = date_mentions(story)
        except (Exception, ElementTimeout) as exc:  # a tagger bug or hang on one text is that story's dead letter
            yield dead_letter(STAGE, exc, story.source.url, entry_id=story.id, payload=story.body)
            return
        counter("dates.stories").inc()
        update: dict[str, Any] = {"dates": mentions}
        if (reason := no_rules_reason(enrichment_language(story.language, story.language_source))) is not None:
            update["enrichment"] = {**story.enrichment, "dates": reason}
        yield story.model_copy(update=update)


class ExtractDates(beam.PTransform):
    """PCollection[EnrichedStory] → {"stories": EnrichedStory with dates, "dead_letter": DeadLetter}."""

    def __init__(
        self,
        element_timeout: float | None = None,
        label: str | None = None,
        *,
        failpoints: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(label)
        self._timeout = element_timeout
        self._failpoints = failpoints

    def expand(self, stories: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        tag = ExtractDatesFn(self._timeout, failpoints=self._failpoints)
        return stories | "Tag" >> beam.ParDo(tag).with_outputs(DEAD_LETTER, main="stories")
