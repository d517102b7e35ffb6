"""ExtractDatesFn called directly: the anchor each story's dates are resolved against, and dead letters."""

from __future__ import annotations

import datetime as dt

import pytest
from apache_beam.pvalue import TaggedOutput

from schemas.story import Cluster, ClusterCopy, Dateline, DeadLetter, EnrichedStory, FeedSource
from transforms.common import DEAD_LETTER
from transforms.dates import ExtractDatesFn

BODY = (
    "Kerry will meet Lavrov in London on Sunday, the State Department said on Thursday. "
    "The talks began last week and could last three days."
)
FRIDAY = dt.date(2014, 3, 14)
PUBLISHED = dt.datetime(2014, 3, 20, 22, 5, tzinfo=dt.UTC)  # a Thursday, in ISO week 12
FETCHED = dt.datetime(2014, 3, 24, 6, 0, tzinfo=dt.UTC)  # the Monday after


def story(body: str = BODY, *, dateline: bool = True, published: bool = True) -> EnrichedStory:
    source = FeedSource(url="https://wire.example.org/feed.xml")
    return EnrichedStory(
        id="s1",
        title="Kerry to meet Lavrov",
        body=body,
        source=source,
        content_hash="abc",
        dateline=Dateline(location="WASHINGTON", date_text="March 14", date=FRIDAY) if dateline else None,
        published_at=PUBLISHED if published else None,
        fetched_at=FETCHED,
        cluster=Cluster(id="s1", size=1, copies=[ClusterCopy(id="s1", source=source.url)]),
        processed_at=FETCHED,
    )


def tagged(fn: ExtractDatesFn, item: EnrichedStory) -> EnrichedStory:
    (out,) = list(fn.process(item))
    assert isinstance(out, EnrichedStory), out
    return out


@pytest.mark.parametrize(
    ("dateline", "published", "anchor", "source", "values"),
    [
        (True, True, FRIDAY, "dateline", ["2014-03-16", "2014-03-13", "2014-W10", "P3D"]),
        (False, True, dt.date(2014, 3, 20), "published", ["2014-03-23", "2014-03-20", "2014-W11", "P3D"]),
        (False, False, dt.date(2014, 3, 24), "fetched", ["2014-03-30", "2014-03-20", "2014-W12", "P3D"]),
    ],
)
def test_dates_resolved_against_the_story_anchor(
    dateline: bool, published: bool, anchor: dt.date, source: str, values: list[str]
) -> None:
    fn = ExtractDatesFn()
    fn.setup()
    out = tagged(fn, story(dateline=dateline, published=published))
    assert [(d.text, d.type, d.value) for d in out.dates] == list(
        zip(
            ["Sunday", "Thursday", "last week", "three days"], ["DATE", "DATE", "DATE", "DURATION"], values, strict=True
        )
    )
    assert all(d.anchor == anchor and d.anchor_source == source for d in out.dates)
    assert all(out.body[d.start : d.end] == d.text for d in out.dates)
    assert out.model_dump(exclude={"dates"}) == story(dateline=dateline, published=published).model_dump(
        exclude={"dates"}
    )


def test_story_without_dates_gets_an_empty_list() -> None:
    fn = ExtractDatesFn()
    fn.setup()
    assert tagged(fn, story("No time words in this text at all.")).dates == []


def test_injected_failure_is_a_dead_letter_and_the_next_story_still_tagged() -> None:
    fn = ExtractDatesFn(failpoints={"dates": "POISON-DATES"})
    (out,) = list(fn.process(story(BODY + " POISON-DATES")))
    assert isinstance(out, TaggedOutput) and out.tag == DEAD_LETTER
    letter = out.value
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type, letter.entry_id) == ("dates", "InjectedFault", "s1")
    assert letter.source == "https://wire.example.org/feed.xml"
    assert letter.excerpt.startswith("Kerry will meet Lavrov")
    assert [d.value for d in tagged(fn, story()).dates] == ["2014-03-16", "2014-03-13", "2014-W10", "P3D"]


@pytest.mark.timeout(30)
def test_a_story_over_the_time_limit_is_a_dead_letter() -> None:
    fn = ExtractDatesFn(element_timeout=0.2, failpoints={"dates": "SLOW-DATES"})
    (out,) = list(fn.process(story(BODY + " SLOW-DATES")))
    assert isinstance(out, TaggedOutput) and out.tag == DEAD_LETTER
    assert (out.value.stage, out.value.error_type) == ("dates", "ElementTimeout")
