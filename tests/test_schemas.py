"""The record models: exported JSON Schema is current, offsets are checked, JSONL lines never split."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from schemas.export import SCHEMA_DIR, render
from schemas.story import EXPORTED, Cluster, DateMention, EnrichedStory, Entity, FeedSource, Mention
from transforms.sink.stage import json_line

NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_exported_schema_is_current(name: str) -> None:
    path = SCHEMA_DIR / f"{name}.schema.json"
    assert path.exists(), f"run `python -m schemas.export`: {path} is missing"
    assert path.read_text(encoding="utf-8") == render(name), f"run `python -m schemas.export`: {path} is stale"


def story(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "s1",
        "title": "Kerry meets Lavrov",
        "body": "John Kerry met Sergei Lavrov in London on Friday.",
        "source": FeedSource(url="https://example.org/feed"),
        "content_hash": "h",
        "fetched_at": NOW,
        "cluster": Cluster(id="s1", size=1, copies=[]),
        "processed_at": NOW,
    }
    base.update(changes)
    return base


def test_offsets_must_index_the_body() -> None:
    good = Entity(
        text="John Kerry",
        label="PERSON",
        start=0,
        end=10,
        canonical="John Kerry",
        mentions=[Mention(start=0, end=10, text="John Kerry")],
        count=1,
    )
    date = DateMention(text="Friday", start=42, end=48, value="2014-03-14", type="DATE")
    EnrichedStory(**story(entities=[good], dates=[date]))
    bad = good.model_copy(update={"mentions": [Mention(start=1, end=11, text="John Kerry")]})
    with pytest.raises(ValidationError, match="does not match body"):
        EnrichedStory(**story(entities=[bad]))
    with pytest.raises(ValidationError, match="does not match body"):
        EnrichedStory(**story(dates=[date.model_copy(update={"start": 41})]))


def test_title_offsets_must_index_the_title() -> None:
    """Mentions of the headline ("Kerry meets Lavrov") carry field "title" and are checked against the title."""
    title_kerry = Mention(start=0, end=5, text="Kerry", field="title")
    body_kerry = Mention(start=0, end=10, text="John Kerry")
    entity = Entity(text="John Kerry", label="PERSON", start=0, end=10, canonical="John Kerry",
                    mentions=[title_kerry, body_kerry], count=2)
    # Headline-only: the entity's own offsets are those of its title mention.
    lavrov = Entity(text="Lavrov", label="PERSON", start=12, end=18, field="title", canonical="Lavrov",
                    mentions=[Mention(start=12, end=18, text="Lavrov", field="title")], count=1)
    date = DateMention(text="Kerry", start=0, end=5, field="title", value="X", type="DATE")
    EnrichedStory(**story(entities=[entity, lavrov], dates=[date]))
    # The same offsets read in the body do not hold.
    with pytest.raises(ValidationError, match="does not match body"):
        EnrichedStory(**story(entities=[lavrov.model_copy(update={"field": "body"})]))
    with pytest.raises(ValidationError, match="does not match title"):
        bad = Mention(start=1, end=6, text="Kerry", field="title")
        EnrichedStory(**story(entities=[entity.model_copy(update={"mentions": [bad, body_kerry]})]))
    with pytest.raises(ValidationError, match="does not match title"):
        EnrichedStory(**story(dates=[date.model_copy(update={"start": 1})]))


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        EnrichedStory(**story(colour="red"))


@pytest.mark.parametrize("breaker", ["\u2028", "\u2029", "\x85"])
def test_json_line_never_contains_a_line_breaker(breaker: str) -> None:
    line = json_line(EnrichedStory(**story(title=f"a{breaker}b")))
    assert len(line.splitlines()) == 1
    assert json.loads(line)["title"] == f"a{breaker}b"
