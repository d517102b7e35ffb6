"""Through `wirebeam run`: one small feed with the shapes real outlets send (a photo caption beside the
description, media credits, a column with its byline and promos, a "PLACE - " dateline, a column byline, a
link-only item, template galleries, an undated item in a dated channel, a morning story east of UTC)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from schemas.story import EnrichedStory

pytestmark = pytest.mark.e2e

NS = (
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
)
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" {NS}><channel><title>Harbour News</title><link>https://news.example.org/</link>
<language>en-nz</language><lastBuildDate>Mon, 20 May 2024 09:00:00 +1200</lastBuildDate>
<item><title>Ferry terminal approved after a year of hearings</title>
<link>https://news.example.org/ferry-terminal</link>
<description>The harbour board approved a new ferry terminal today after a year of hearings.</description>
<dc:creator>Ana Ruiz</dc:creator><category>Transport</category>
<pubDate>Mon, 20 May 2024 07:30:00 +1000</pubDate>
<media:content url="https://img.example.org/ferry.jpg" medium="image"/>
<media:credit>Tom Lee for Harbour News</media:credit>
<media:description>Ferries at the old pier on Tuesday.</media:description></item>
<item><title>Morning Docks: freight rates climb</title><link>https://news.example.org/morning-docks</link>
<description><![CDATA[<p>What moves the docks today</p><p>By Kim Berg , Editor-at-Large, Shipping</p>
<p>Freight rates rose on Monday as the canal stayed shut for a third week , brokers said .</p>
<p>And listen to the latest episode of the Dockside Daily podcast, where I look at freight rates.</p>
<p>Enjoying this column? Check out Harbour Markets Weekly, your new source of commentary.</p>
<p>Follow HMW on LinkedIn and X.</p>]]></description>
<pubDate>Mon, 20 May 2024 08:00:00 +1000</pubDate></item>
<item><title>Hawker centre to close for repairs</title><link>https://news.example.org/hawker</link>
<description>OSLO - The city's oldest food hall will close until Wednesday after an inspection found faults in its
wiring, the council said.</description><pubDate>Sun, 19 May 2024 22:00:00 +0000</pubDate></item>
<item><title>ANA RUIZ: Why the ferry matters</title><link>https://news.example.org/column</link>
<description>ANA RUIZ: The ferry is the city's front door, and the board finally opened it.</description>
<pubDate>Sun, 19 May 2024 22:00:00 +0000</pubDate></item>
<item><title>Storm closes the northern wharf</title><link>https://news.example.org/storm</link>
<description>&#8226; Five things to know about the new ferry terminal</description>
<pubDate>Sun, 19 May 2024 22:00:00 +0000</pubDate></item>
<item><title>Photos of the week, May 17</title><link>https://news.example.org/photos-17</link>
<description>The week in pictures, as chosen by our photo desk.</description>
<pubDate>Fri, 17 May 2024 06:00:00 +0000</pubDate></item>
<item><title>Photos of the week, May 10</title><link>https://news.example.org/photos-10</link>
<description>The week in pictures, as chosen by our photo desk.</description>
<pubDate>Fri, 10 May 2024 06:00:00 +0000</pubDate></item>
<item><title>Tides to run high tomorrow</title><link>https://news.example.org/tides</link>
<description>Tides will run high tomorrow along the eastern bays, the harbourmaster said.</description></item>
</channel></rss>
"""


def test_real_feed_shapes_through_the_cli(tmp_path: Path, run_cli) -> None:
    feed = tmp_path / "harbour.xml"
    feed.write_text(FEED, encoding="utf-8")
    code, printed = run_cli("run", "--feeds", str(feed), "--output", str(tmp_path / "out"), "--run-id", "r")
    assert code == 0, printed
    lines = [ln for f in sorted((tmp_path / "out" / "r").glob("stories-*.jsonl")) for ln in f.read_text().splitlines()]
    stories = {s.url.rsplit("/", 1)[-1]: s for s in map(EnrichedStory.model_validate_json, lines) if s.url}
    # both galleries are kept: their only text is a template
    assert set(stories) == {
        "ferry-terminal", "morning-docks", "hawker", "column", "storm", "photos-17", "photos-10", "tides"
    }  # fmt: skip

    ferry = stories["ferry-terminal"]
    assert ferry.body == "The harbour board approved a new ferry terminal today after a year of hearings."
    assert (ferry.authors, ferry.credits, ferry.categories, ferry.language) == (
        ["Ana Ruiz"],
        ["Tom Lee for Harbour News"],
        ["Transport"],
        "en-nz",
    )
    assert ferry.published_offset_minutes == 600
    # 07:30 at +10:00 is Sunday 21:30 UTC: "today" is the local Monday
    assert [(d.field, d.text, d.value, str(d.anchor)) for d in ferry.dates] == [
        ("title", "a year", "P1Y", "2024-05-20"),
        ("body", "today", "2024-05-20", "2024-05-20"),
        ("body", "a year", "P1Y", "2024-05-20"),
    ]

    docks = stories["morning-docks"]
    assert docks.body == "Freight rates rose on Monday as the canal stayed shut for a third week, brokers said."
    assert docks.authors == ["Kim Berg"]
    assert [(d.text, d.value) for d in docks.dates if d.field == "body"] == [("Monday", "2024-05-20")]

    hawker = stories["hawker"]
    assert hawker.dateline is not None and hawker.dateline.location == "OSLO"
    assert hawker.body.startswith("The city's oldest food hall will close")

    column = stories["column"]
    assert column.authors == ["Ana Ruiz"]
    assert column.body == "The ferry is the city's front door, and the board finally opened it."
    assert not any(e.text == "ANA" for e in column.entities)

    assert stories["storm"].body == ""

    tides = stories["tides"]
    assert (tides.published_source, tides.published_offset_minutes) == ("channel", 720)
    assert tides.published_at == dt.datetime(2024, 5, 19, 21, 0, tzinfo=dt.UTC)
    body_dates = [(d.text, d.value, d.anchor_source) for d in tides.dates if d.field == "body"]
    assert body_dates == [("tomorrow", "2024-05-21", "channel")]
