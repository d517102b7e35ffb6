"""Parse: which field is the story text (description, content, media caption), and the fields feeds already say
(media:credit, language, the channel's date, the UTC offset of the item's date), through ParseFeedFn directly."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.story import FeedSource, RawEntry
from transforms.fetch.stage import FetchedFeed
from transforms.parse.stage import ParseFeedFn, utc_offset_minutes

FETCHED = dt.datetime(2024, 5, 20, 12, 0, tzinfo=dt.UTC)
NS = (
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
)


def parse(items: str, channel: str = "") -> list[RawEntry]:
    body = f'<?xml version="1.0"?><rss version="2.0" {NS}><channel><title>T</title>{channel}{items}</channel></rss>'
    source = FeedSource(url="https://news.example.org/rss")
    fetched = FetchedFeed(
        source=source, body=body.encode(), headers={}, status=200, final_url=source.url, fetched_at=FETCHED
    )
    fn = ParseFeedFn(timeout=None)
    return [out for out in fn.process(fetched) if isinstance(out, RawEntry)]


DESCRIPTION = "<description>The harbour board approved a new ferry terminal after a year of hearings.</description>"
MEDIA = '<media:content url="https://img.example.org/a.jpg" medium="image"/>'
CAPTION = "<media:description>Ferries at the old pier on Tuesday.</media:description>"


@pytest.mark.parametrize(
    ("item", "content", "summary_start"),
    [
        # description, photo, caption: the description is the story, the caption is dropped
        (f"{DESCRIPTION}{MEDIA}{CAPTION}", None, "The harbour board"),
        # a caption with an entity (feedparser then types it HTML) is still a caption
        (
            f"{DESCRIPTION}{MEDIA}<media:description>A &amp;ldquo;ferry&amp;rdquo; at dawn.</media:description>",
            None,
            "The harbour board",
        ),
        # the full text in content:encoded beside a photo is the story
        (
            f"{DESCRIPTION}{MEDIA}<content:encoded><![CDATA[<p>The harbour board approved a new ferry terminal "
            "after a year of hearings.</p><p>Work starts in June.</p>]]></content:encoded>",
            "<p>The harbour board approved",
            "The harbour board",
        ),
        # no media attached: a second text is content as before
        (
            f"{DESCRIPTION}<media:description>Board members voted 5-2 late on Tuesday.</media:description>",
            "Board members voted",
            "The harbour board",
        ),
    ],
)
def test_story_text_is_not_the_media_caption(item: str, content: str | None, summary_start: str) -> None:
    (entry,) = parse(f"<item><title>Ferry terminal approved</title>{item}</item>")
    if content is None:
        assert entry.content_html is None
    else:
        assert entry.content_html is not None and entry.content_html.startswith(content)
    assert entry.summary_html is not None and entry.summary_html.startswith(summary_start)


def test_creator_media_credit_categories_and_language_are_carried() -> None:
    item = (
        "<item><title>Ferry terminal approved</title>"
        f"{DESCRIPTION}<dc:creator>Ana Ruiz</dc:creator><category>Transport</category>"
        f'{MEDIA}<media:credit role="photographer">Tom Lee for The Harbour News</media:credit>'
        "<media:credit>Tom Lee for The Harbour News</media:credit>"
        "<dc:language>mi</dc:language></item>"
        "<item><title>Second</title><description>Text.</description></item>"
    )
    first, second = parse(item, channel="<language>en-nz</language>")
    assert first.authors == ["Ana Ruiz"]
    assert first.credits == ["Tom Lee for The Harbour News"]
    assert first.categories == ["Transport"]
    assert first.language == "mi"
    assert second.language == "en-nz"  # the channel's, for an item that names none


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Mon, 20 May 2024 07:30:00 +1000", 600),
        ("Sun, 19 May 2024 21:30:00 GMT", 0),
        ("Sun, 19 May 2024 17:30:00 EDT", -240),
        ("2024-05-20T07:30:00+05:30", 330),
        ("2024-05-19T21:30:00Z", 0),
        ("Sun, 19 May 2024 21:30:00 -0000", None),  # RFC 5322: offset unknown
        ("2024-05-19", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_utc_offset_minutes(text: str | None, minutes: int | None) -> None:
    assert utc_offset_minutes(text) == minutes


def test_item_offset_and_channel_date_are_kept() -> None:
    items = (
        "<item><title>Early</title><description>Text.</description>"
        "<pubDate>Mon, 20 May 2024 07:30:00 +1000</pubDate></item>"
        "<item><title>Undated</title><description>Text.</description></item>"
    )
    dated, undated = parse(items, channel="<lastBuildDate>Mon, 20 May 2024 09:00:00 +1200</lastBuildDate>")
    assert dated.published_at == dt.datetime(2024, 5, 19, 21, 30, tzinfo=dt.UTC)
    assert dated.published_offset_minutes == 600
    assert undated.published_at is None
    assert undated.channel_published_at == dt.datetime(2024, 5, 19, 21, 0, tzinfo=dt.UTC)
    assert undated.channel_offset_minutes == 720
