"""ExtractEntitiesFn called directly (setup, process) on stories written here: entities whose offsets index the
body, and a failpoint given through the constructor (not the environment) that turns one story into a dead letter
without losing the rest of its batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from apache_beam.internal import pickler
from apache_beam.pvalue import TaggedOutput

from schemas.story import Cluster, ClusterCopy, DeadLetter, EnrichedStory, FeedSource
from transforms.common import DEAD_LETTER
from transforms.entities.ner import DEFAULT_MODEL
from transforms.entities.stage import ExtractEntities, ExtractEntitiesFn

NOW = dt.datetime(2014, 3, 14, 12, 0, tzinfo=dt.UTC)
KERRY = (
    "LONDON (Reuters) - U.S. Secretary of State John Kerry met Russian Foreign Minister Sergei Lavrov in London "
    "on Friday. Kerry said the talks with Lavrov would go on, and later flew to Kiev."
)
BRIDGE = "POISON The mayor of Lyon opened a new bridge over the Rhone on Sunday, officials in France said."
WEATHER = "No names here at all, only a sentence about the weather and the price of bread."


def story(story_id: str, body: str) -> EnrichedStory:
    source = FeedSource(url="https://wire.example/rss")
    copy = ClusterCopy(id=story_id, source=source.url, title=story_id)
    return EnrichedStory(
        id=story_id,
        title=story_id,
        body=body,
        source=source,
        content_hash=story_id,
        fetched_at=NOW,
        cluster=Cluster(id=story_id, size=1, copies=[copy]),
        processed_at=NOW,
    )


@pytest.fixture(scope="module")
def poisoned_fn() -> ExtractEntitiesFn:
    fn = ExtractEntitiesFn(DEFAULT_MODEL, batch_size=8, element_timeout=60, failpoints={"entities": "POISON"})
    fn.setup()
    return fn


def split(outputs: list[Any]) -> tuple[list[EnrichedStory], list[DeadLetter]]:
    tagged = [o for o in outputs if isinstance(o, TaggedOutput)]
    assert {o.tag for o in tagged} <= {DEAD_LETTER}
    return [o for o in outputs if not isinstance(o, TaggedOutput)], [o.value for o in tagged]


def test_entities_carry_offsets_that_index_the_body(poisoned_fn: ExtractEntitiesFn) -> None:
    stories, letters = split(list(poisoned_fn.process([story("kerry", KERRY), story("weather", WEATHER)])))
    assert letters == []
    kerry, weather = stories
    assert (kerry.id, weather.id) == ("kerry", "weather")
    by_name = {e.canonical: e for e in kerry.entities}
    assert {"John Kerry", "Sergei Lavrov", "London"} <= set(by_name)
    assert by_name["John Kerry"].label == "PERSON" and by_name["London"].label == "GPE"
    # "John Kerry" and the later "Kerry" are one entity with two mentions.
    assert [m.text for m in by_name["John Kerry"].mentions] == ["John Kerry", "Kerry"]
    for entity in kerry.entities:
        assert entity.count == len(entity.mentions)
        assert KERRY[entity.start : entity.end] == entity.text
        for mention in entity.mentions:
            assert KERRY[mention.start : mention.end] == mention.text
    EnrichedStory.model_validate(kerry.model_dump())  # the schema's own offset check agrees
    assert weather.entities == []


def test_a_failpoint_makes_one_story_a_dead_letter_and_keeps_its_batch(poisoned_fn: ExtractEntitiesFn) -> None:
    batch = [story("kerry", KERRY), story("bridge", BRIDGE), story("weather", WEATHER)]
    stories, letters = split(list(poisoned_fn.process(batch)))
    assert [s.id for s in stories] == ["kerry", "weather"]  # retried one by one: the others still get entities
    assert "John Kerry" in {e.canonical for e in stories[0].entities}
    (letter,) = letters
    assert (letter.stage, letter.error_type, letter.entry_id) == ("entities", "InjectedFault", "bridge")
    assert letter.message == "failpoint entities=POISON" and letter.excerpt.startswith("POISON The mayor")


def test_failpoints_travel_pickled_with_the_dofn() -> None:
    """What a Beam worker (multi-process or Dataflow) gets: the DoFn as Beam pickles it, set up there."""
    shipped = pickler.loads(pickler.dumps(ExtractEntitiesFn(DEFAULT_MODEL, 8, failpoints={"entities": "POISON"})))
    shipped.setup()
    stories, letters = split(list(shipped.process([story("bridge", BRIDGE)])))
    assert stories == [] and [(d.entry_id, d.error_type) for d in letters] == [("bridge", "InjectedFault")]


def test_without_failpoints_the_marker_is_just_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment is read by the CLI only: a worker's WIREBEAM_FAILPOINTS changes nothing here.
    monkeypatch.setenv("WIREBEAM_FAILPOINTS", "entities=POISON")
    fn = ExtractEntitiesFn(DEFAULT_MODEL, batch_size=8)
    fn.setup()
    stories, letters = split(list(fn.process([story("bridge", BRIDGE)])))
    assert letters == [] and [s.id for s in stories] == ["bridge"]
    assert {"Lyon", "France"} <= {e.canonical for e in stories[0].entities}


def test_the_composite_checks_its_batch_size_in_its_own_terms() -> None:
    with pytest.raises(ValueError, match=r"^batch_size must be >= 1, got 0$"):
        ExtractEntities(batch_size=0)
