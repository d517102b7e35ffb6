"""Dates anchored on the story's local day (the UTC offset its source wrote), the channel's date as anchor, and the
date rules real feeds tripped: Sunday papers, "the past decade", "will … this week" written on a Sunday."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.story import Cluster, ClusterCopy, EnrichedStory, FeedSource
from transforms.dates import ExtractDatesFn
from transforms.dates.stage import anchor_of, local_publication_day
from transforms.dates.tagger import extract_dates

SOURCE = FeedSource(url="https://news.example.org/rss")
# Monday 20 May 2024, 07:30 at +10:00 — still Sunday 19 May in UTC.
MONDAY_MORNING_UTC = dt.datetime(2024, 5, 19, 21, 30, tzinfo=dt.UTC)


def story(body: str, published: dt.datetime | None, offset: int | None, source: str | None = "feed") -> EnrichedStory:
    return EnrichedStory(
        id="s1",
        title="Council to vote",
        body=body,
        source=SOURCE,
        content_hash="abc",
        published_at=published,
        published_source=source,  # type: ignore[arg-type]
        published_offset_minutes=offset,
        fetched_at=dt.datetime(2024, 5, 22, tzinfo=dt.UTC),
        cluster=Cluster(id="s1", size=1, copies=[ClusterCopy(id="s1", source=SOURCE.url)]),
        processed_at=dt.datetime(2024, 5, 22, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("offset", "day"),
    [
        (600, dt.date(2024, 5, 20)),  # +10:00: local Monday
        (0, dt.date(2024, 5, 19)),
        (None, dt.date(2024, 5, 19)),  # no offset given: the UTC day
        (-300, dt.date(2024, 5, 19)),  # 16:30 on Sunday at -05:00
    ],
)
def test_local_publication_day(offset: int | None, day: dt.date) -> None:
    assert local_publication_day(story("x", MONDAY_MORNING_UTC, offset)) == day


def test_today_is_the_local_day_through_the_dofn() -> None:
    fn = ExtractDatesFn()
    fn.setup()
    (out,) = list(fn.process(story("The council meets today.", MONDAY_MORNING_UTC, 600)))
    assert isinstance(out, EnrichedStory)
    assert [(d.text, d.value, str(d.anchor), d.anchor_source) for d in out.dates] == [
        ("today", "2024-05-20", "2024-05-20", "published")
    ]


def test_channel_date_anchor_is_named() -> None:
    assert anchor_of(story("x", MONDAY_MORNING_UTC, 720, source="channel")) == (dt.date(2024, 5, 20), "channel")
    assert anchor_of(story("x", None, None, source=None)) == (dt.date(2024, 5, 22), "fetched")


SUNDAY = dt.date(2024, 5, 19)
SATURDAY = dt.date(2024, 5, 18)
MONDAY = dt.date(2024, 5, 20)


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("He told the Herald on Sunday that he had left.", SUNDAY, []),
        ("The Mail on Sunday can reveal the plan.", SUNDAY, []),
        ("It featured in an Independent on Sunday report.", SUNDAY, []),
        ("Police in Oslo on Sunday said two men were held.", MONDAY, [("Sunday", "2024-05-19", "DATE")]),
        ("The Herald reported on Sunday that he had left.", SUNDAY, [("Sunday", "2024-05-19", "DATE")]),
        ("Prices rose over the past decade.", SUNDAY, [("the past decade", "P10Y", "DURATION")]),
        ("Prices rose over the last decade.", SUNDAY, [("the last decade", "P10Y", "DURATION")]),
        ("Wages lost ground in the last decade.", SUNDAY, [("the last decade", "201", "DATE")]),
        ("The council will vote this week.", SUNDAY, [("this week", "2024-W21", "DATE")]),
        ("The council voted this week.", SUNDAY, [("this week", "2024-W20", "DATE")]),
        ("The council will vote this week.", SATURDAY, [("this week", "2024-W20", "DATE")]),
    ],
)
def test_date_rules_on_real_feed_shapes(text: str, anchor: dt.date, expected: list[tuple[str, str, str]]) -> None:
    assert [(m.text, m.value, m.type) for m in extract_dates(text, anchor)] == expected
