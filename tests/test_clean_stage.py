"""CleanEntryFn called directly: a RawEntry in, a Story or a dead letter out."""

from __future__ import annotations

import datetime as dt

from apache_beam.pvalue import TaggedOutput

from schemas.story import Dateline, DeadLetter, FeedSource, RawEntry, Story
from transforms.clean import CleanEntryFn
from transforms.common import DEAD_LETTER

UTC = dt.UTC
SOURCE = FeedSource(url="https://feeds.example.com/world.xml", name="World")
FETCHED = dt.datetime(2014, 3, 15, 6, 0, tzinfo=UTC)
LEAD = "LONDON, March 14 (Reuters) - U.S. Secretary of State John Kerry will meet Russian Foreign Minister Lavrov."


def entry(**fields: object) -> RawEntry:
    values: dict[str, object] = {"id": "e1", "source": SOURCE, "fetched_at": FETCHED}
    values.update(fields)
    return RawEntry(**values)  # type: ignore[arg-type]


def run(raw: RawEntry) -> list[object]:
    fn = CleanEntryFn()
    return list(fn.process(raw))


def test_good_entry_becomes_a_story() -> None:
    published = dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)
    raw = entry(
        link="https://www.example.com/world/kerry?utm_source=rss",
        guid="tag:example.com,2014:kerry",
        title="Kerry to meet Lavrov - Reuters",
        content_html=f"<p>{LEAD}</p><p>Advertisement</p><p>The talks are in London.</p>"
        "<p>(Reporting by Jane Doe; Editing by John Smith)</p>",
        summary_html="<p>Kerry will meet Lavrov in London.</p>",
        published_at=published,
        authors=["Jane Doe"],
        language="en",
    )
    (story,) = run(raw)
    assert isinstance(story, Story)
    assert story.id == "e1"
    assert story.title == "Kerry to meet Lavrov"
    assert story.body == (
        "U.S. Secretary of State John Kerry will meet Russian Foreign Minister Lavrov.\n\nThe talks are in London."
    )
    assert story.summary == "Kerry will meet Lavrov in London."
    assert story.credits == ["(Reporting by Jane Doe; Editing by John Smith)"]
    assert (story.published_at, story.published_source) == (published, "feed")
    assert story.dateline == Dateline(
        location="LONDON", date_text="March 14", date=dt.date(2014, 3, 14), agency="Reuters"
    )
    assert story.url == "https://www.example.com/world/kerry?utm_source=rss"
    assert story.canonical_url == "https://example.com/world/kerry"
    assert (story.guid, story.authors, story.language, story.source) == (raw.guid, ["Jane Doe"], "en", SOURCE)
    assert story.content_hash and story.fetched_at == FETCHED


def test_entry_without_text_is_a_dead_letter() -> None:
    (out,) = run(entry(id="empty", content_html="<p> </p>", summary_html=None, title=None))
    assert isinstance(out, TaggedOutput)
    assert out.tag == DEAD_LETTER
    letter = out.value
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type, letter.entry_id, letter.source) == (
        "clean",
        "empty_story",
        "empty",
        SOURCE.url,
    )
    assert letter.message == "no title and no text left after cleaning"
    assert letter.excerpt == "<p> </p>"


def test_dateline_is_lifted_and_dates_an_undated_entry() -> None:
    """No feed date: the dateline's day (its year from the page timestamp) becomes `published_at`."""
    text = f"March 14, 2014 / 8:16 AM / 4 years ago\n\n{LEAD}\n\nThe talks are in London."
    (story,) = run(entry(title="Kerry to meet Lavrov", content_html=text, is_html=False))
    assert story.body.startswith("U.S. Secretary of State John Kerry")
    assert story.dateline == Dateline(
        location="LONDON", date_text="March 14", date=dt.date(2014, 3, 14), agency="Reuters"
    )
    assert (story.published_at, story.published_source) == (
        dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC),
        "page_timestamp",
    )

    (bare,) = run(
        entry(title="Kerry to meet Lavrov", content_html=f"{LEAD}\n\nThe talks are in London.", is_html=False)
    )
    assert bare.dateline is not None and bare.dateline.date is None  # no year anywhere to resolve "March 14"
    assert (bare.published_at, bare.published_source) == (None, None)

    (dated,) = run(entry(title="Kerry", content_html="PARIS, March 3, 2014 (AFP) - Talks opened.", is_html=False))
    assert dated.dateline == Dateline(
        location="PARIS", date_text="March 3, 2014", date=dt.date(2014, 3, 3), agency="AFP"
    )
    assert (dated.published_at, dated.published_source) == (dt.datetime(2014, 3, 3, tzinfo=UTC), "dateline")
