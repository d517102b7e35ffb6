"""Tests for the entity recognizer (transforms.entities.ner and the modules beside it): span trimming, canonical
names, document rules, chunking, the spaCy extractor."""

from __future__ import annotations

import os
import pickle
import random
import re
from pathlib import Path

import pytest

from transforms.entities.canonical import canonicalize, story_aliases
from transforms.entities.ner import (
    DEFAULT_MODEL,
    EntityExtractor,
    _standalone_occurrences,
    chunk_text,
    join_title,
    refine_spans,
    split_title,
)
from transforms.entities.places import load_places
from transforms.entities.spans import EntityGroup, Mention, trim_span
from transforms.entities.tickers import attach_tickers, find_tickers
from transforms.entities.view import _caps_line, model_view

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REFERENCE_STORY = SHARED / "samples" / "reuters-2014-03-14-kerry-lavrov.txt"
CONLL_DEV = SHARED / "corpora" / "conll2003" / "eng.testa"

# A few sentences in the style of the reference story, so the extractor tests run without ../shared.
STORY = (
    "U.S. Secretary of State John Kerry will seek assurances from Russia on Friday, a State Department "
    "official said before the talks in London.\n\n"
    "Kerry meets Russian counterpart Sergei Lavrov later in the day. Kerry's first stop in London will be a "
    "meeting with British Prime Minister David Cameron.\n\n"
    "\"We will be interested to hear from Mr Lavrov how Russia sees this,\" the official said. "
    "\"If President Putin chooses not to avail himself with that opportunity, then as President (Barack Obama) "
    "has said there will be costs.\""
)


def spans_of(text: str, *items: tuple[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, label) for the first occurrence of each (surface, label) after the previous span."""
    out, pos = [], 0
    for surface, label in items:
        start = text.index(surface, pos)
        out.append((start, start + len(surface), label))
        pos = start + len(surface)
    return out


def by_canonical(groups: list[EntityGroup]) -> dict[str, tuple[str, list[str]]]:
    return {g.canonical: (g.label, [m.text for m in g.mentions]) for g in groups}


# --------------------------------------------------------------------------------------------------------------
# trim_span


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("the European Union", "ORG", "European Union"),
        ("The Kremlin's", "ORG", "Kremlin"),
        ("Kerry’s", "PERSON", "Kerry"),
        ("President Putin", "PERSON", "Putin"),
        ("Secretary of State", "ORG", "Secretary of State"),
        ("U.S. Secretary Kerry", "PERSON", "Kerry"),
        ("U.S. Secretary of State John Kerry", "PERSON", "John Kerry"),
        ("Minister of the Interior Ali Ahmed", "PERSON", "Ali Ahmed"),
        ("President", "PERSON", "President"),
        ("Mercantile Bancorp Inc.", "ORG", "Mercantile Bancorp Inc."),
        ("U.S.", "GPE", "U.S."),
        ("Moscow.", "GPE", "Moscow"),
        ("Mexico 2-0", "GPE", "Mexico"),
        ("Scott Draper (Australia", "PERSON", "Scott Draper"),
        ("\"Iron Lady", "PERSON", "Iron Lady"),
        ("President Putin", "ORG", "President Putin"),
    ],
)
def test_trim_span(text: str, label: str, expected: str) -> None:
    s, e = trim_span(text, 0, len(text), label)
    assert text[s:e] == expected


@pytest.mark.parametrize("text", ["SOCCER - KLINSMANN", "Major League\nBaseball", "GERMANY -- Bunds"])
def test_trim_span_drops_spans_joining_two_things(text: str) -> None:
    s, e = trim_span(text, 0, len(text), "ORG")
    assert s == e


# --------------------------------------------------------------------------------------------------------------
# canonicalize


def test_canonicalize_links_surnames_and_titles_to_full_name() -> None:
    text = "Secretary John Kerry met Sergei Lavrov. Kerry said Secretary Kerry and Mr Lavrov agreed."
    spans = spans_of(text, ("Secretary John Kerry", "PERSON"), ("Sergei Lavrov", "PERSON"), ("Kerry", "ORG"),
                     ("Secretary Kerry", "PERSON"), ("Mr Lavrov", "PERSON"))
    groups = canonicalize(text, spans)
    assert by_canonical(groups) == {
        "John Kerry": ("PERSON", ["John Kerry", "Kerry", "Kerry"]),
        "Sergei Lavrov": ("PERSON", ["Sergei Lavrov", "Lavrov"]),
    }
    kerry = groups[0]
    assert (kerry.text, kerry.start, kerry.end) == ("John Kerry", 10, 20)
    for g in groups:
        for m in g.mentions:
            assert text[m.start : m.end] == m.text


def test_canonicalize_titled_name_without_full_form() -> None:
    text = "If President Putin chooses not to, Putin will pay."
    groups = canonicalize(text, spans_of(text, ("President Putin", "PERSON"), ("Putin", "PERSON")))
    assert by_canonical(groups) == {"Putin": ("PERSON", ["Putin", "Putin"])}


def test_canonicalize_later_full_name_upgrades_canonical() -> None:
    text = "Putin spoke. Vladimir Putin said more."
    groups = canonicalize(text, spans_of(text, ("Putin", "PERSON"), ("Vladimir Putin", "PERSON")))
    assert by_canonical(groups) == {"Vladimir Putin": ("PERSON", ["Putin", "Vladimir Putin"])}


def test_canonicalize_groups_by_text_with_majority_label_and_drops_numeric() -> None:
    text = "The Kremlin said on Friday the Kremlin's view of Crimea, Crimea and Crimea was clear; 2 million."
    spans = spans_of(text, ("The Kremlin", "ORG"), ("Friday", "DATE"), ("the Kremlin's", "FAC"),
                     ("Crimea", "GPE"), ("Crimea", "ORG"), ("Crimea", "GPE"), ("2 million", "CARDINAL"))
    groups = canonicalize(text, spans)
    assert by_canonical(groups) == {
        "Kremlin": ("ORG", ["Kremlin", "Kremlin"]),
        "Crimea": ("GPE", ["Crimea", "Crimea", "Crimea"]),
    }
    assert groups[0].mentions[0] == Mention(4, 11, "Kremlin")


def test_canonicalize_prefers_mixed_case_form_of_headline_name() -> None:
    text = "LEICESTERSHIRE WIN\nLeicestershire beat Somerset."
    groups = canonicalize(text, spans_of(text, ("LEICESTERSHIRE", "ORG"), ("Leicestershire", "ORG")))
    assert [(g.canonical, g.text, len(g.mentions)) for g in groups] == [("Leicestershire", "LEICESTERSHIRE", 2)]


def test_canonicalize_empty() -> None:
    assert canonicalize("", []) == []
    assert canonicalize("on Friday", [(3, 9, "DATE")]) == []


# --------------------------------------------------------------------------------------------------------------
# model_view and refine_spans (pure, no spaCy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CRICKET - LEICESTERSHIRE TAKE OVER AT TOP\nLeicestershire take over at the top.",
         "Cricket - Leicestershire take over at top\nLeicestershire take over at the top."),
        ("NATO TROOPS LEAVE\nNATO said troops will leave.", "NATO troops leave\nNATO said troops will leave."),
        ("LONDON 1996-08-30\nPrices fell.", "London 1996-08-30\nPrices fell."),
        ("No capitals here.", "No capitals here."),
        ("the United States \u200band Iran", "the United States  and Iran"),
    ],
)
def test_model_view_truecases_caps_lines_keeping_length(text: str, expected: str) -> None:
    assert model_view(text) == expected
    assert len(model_view(text)) == len(text)


PLACES = {"Russia": "country", "Scotland": "country", "Europe": "continent", "London": "city",
          "Cleveland": "city", "Texas": "state"}


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # A results table: clubs are organisations (even a city), a country is its national team.
        ("Bolton 2 Wimbledon 1\nCleveland 3 Scotland 1\n", [(0, 6, "GPE"), (23, 32, "GPE")],
         [("Bolton", "ORG"), ("Wimbledon", "ORG"), ("Cleveland", "ORG"), ("Scotland", "GPE")]),
        # Standings; the club keeps ORG in prose too.
        ("TEXAS 75 59 .560 -\nTexas won again.", [(19, 24, "GPE")], [("TEXAS", "ORG"), ("Texas", "ORG")]),
        # Dateline.
        ("WIGAN, England 1996-08-31\n", [], [("WIGAN", "GPE"), ("England", "GPE")]),
        # Initials, and an athlete with nationality.
        ("C. Hooper 58 and Steffi Graf (Russia) won.", [],
         [("C. Hooper", "PERSON"), ("Steffi Graf", "PERSON"), ("Russia", "GPE")]),
        # A middle initial inside a person the model found whole stays inside it.
        ("the race against John F. Kennedy was lost", [(17, 32, "PERSON")], [("John F. Kennedy", "PERSON")]),
        # A country the model called ORG, a stand-alone region it missed, a repeat it missed.
        ("Russia and Europe. Kerry met Kerry.", [(0, 6, "ORG"), (19, 24, "PERSON")],
         [("Russia", "GPE"), ("Europe", "LOC"), ("Kerry", "PERSON"), ("Kerry", "PERSON")]),
        # A scoreboard: teams outside the brackets, players (initials) inside.
        ("Hove: Sussex 363 (W. Athey 111), Lancashire 197-8 (W. Hegg 54)", [],
         [("Sussex", "ORG"), ("W. Athey", "PERSON"), ("Lancashire", "ORG"), ("W. Hegg", "PERSON")]),
        # An acronym in brackets after an entity, and its repeat.
        ("the Kurdistan Democratic Party (KDP) said KDP fighters", [(4, 30, "ORG")],
         [("Kurdistan Democratic Party", "ORG"), ("KDP", "ORG"), ("KDP", "ORG")]),
        # A one-word city the model took for a person is a place, unless a person of the story bears the name.
        ("the port of London said. London said.", [(12, 18, "PERSON"), (25, 31, "PERSON")],
         [("London", "GPE"), ("London", "GPE")]),
        ("Jack London wrote. London said.", [(0, 11, "PERSON"), (19, 25, "PERSON")],
         [("Jack London", "PERSON"), ("London", "PERSON")]),
        # A span written without a capital names nothing; a script without case is no small letter.
        ("Kazakhstan's energy ministry said democratic standards", [(0, 10, "GPE"), (13, 28, "ORG"),
                                                                      (34, 44, "NORP")],
         [("Kazakhstan", "GPE")]),
        ("東京 said", [(0, 2, "GPE")], [("東京", "GPE")]),
        # Surname and capitalised headline repeats of a person.
        ("ERNIE ELS LEADS\nErnie Els shot 66. Els leads.", [(16, 25, "PERSON")],
         [("ERNIE ELS", "PERSON"), ("Ernie Els", "PERSON"), ("Els", "PERSON")]),
    ],
)
def test_refine_spans(text: str, spans: list[tuple[int, int, str]], expected: list[tuple[str, str]]) -> None:
    assert [(text[s:e], label) for s, e, label in refine_spans(text, spans, PLACES)] == expected


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text", ["ABC DEF " * 20000, "ABC DEF\n" * 20000, "A. Bcd " * 20000, "Abc 1, " * 20000, "(" * 5000 + "A 1"]
)
def test_rules_stay_linear_on_pathological_text(text: str) -> None:
    view = model_view(text, PLACES)
    assert len(view) == len(text)
    spans = refine_spans(text, [(0, 3, "ORG")], PLACES)
    groups = canonicalize(text, spans)
    assert len(groups) <= 2


def _alternation_regex_hits(text: str, names: list[str]) -> list[tuple[int, int, str]]:
    """What refine_spans used to compile per story: every name, longest first, not inside a longer word."""
    if not names:
        return []
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return [(m.start(), m.end(), m.group()) for m in re.finditer(rf"(?<![\w&-])(?:{alt})(?![\w&-])", text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Kerry met John Kerry and KERRY; Kerry's aide", ["Kerry", "John Kerry", "KERRY"]),
        ("The New York Times in New York", ["New York", "New York Times", "York"]),
        ("AT&T and T-Mobile, T_Rex, T", ["AT", "T", "Mobile"]),
        ("Émile met Émilie and Émile-Zola, Émile²", ["Émile", "Émilie"]),
        ("aaaa aaa", ["aa", "aaa"]),
        ("Kerry", ["Kerry"]),
        ("no names here", []),
    ],
)
def test_standalone_occurrences_match_the_alternation_regex(text: str, names: list[str]) -> None:
    assert _standalone_occurrences(text, names) == _alternation_regex_hits(text, names)


def test_standalone_occurrences_match_the_alternation_regex_on_random_text() -> None:
    rng = random.Random(11)
    alphabet = "Ab &-_.é\u00b2\u00bd\u216b\u0301"  # word characters of every kind (², ½, Ⅻ) and a combining mark
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        names = list(dict.fromkeys("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(4)))
        assert _standalone_occurrences(text, names) == _alternation_regex_hits(text, names), (text, names)


def test_caps_line_counts_upper_and_lower_case_letters() -> None:
    rng = random.Random(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZetaoinsrh xyzÉé0123456789-.,'\u01c5"  # ǅ: title case, neither
    for _ in range(5000):
        line = "".join(rng.choice(alphabet[: rng.randint(1, len(alphabet))]) for _ in range(rng.randint(1, 60)))
        upper = sum(ch.isupper() for ch in line)
        lower = sum(ch.islower() for ch in line)
        assert _caps_line(line) == (upper >= 3 and lower * 10 < upper), line


def test_places_gazetteer_ships() -> None:
    places = load_places()
    assert places["Russia"] == "country"
    assert places["Britain"] == "country"
    assert places["Europe"] == "continent"
    assert places["Moscow"] == "city"
    assert len(places) > 5000


# --------------------------------------------------------------------------------------------------------------
# chunking


@pytest.mark.parametrize("max_chars", [800, 1000, 5000])
def test_chunk_text_covers_text_within_limit(max_chars: int) -> None:
    text = (STORY + "\n\n") * 6 + "word " * 600  # paragraphs, then a run with no sentence boundary
    windows = chunk_text(text, max_chars)
    assert windows[0][0] == 0
    assert windows[-1][1] == windows[-1][2] == len(text)
    for (s, e, own), nxt in zip(windows, [*windows[1:], None], strict=True):
        assert e - s <= max_chars
        assert s < own <= e
        if nxt is not None:
            assert nxt[0] <= own  # the next window starts at or before what this one owns (overlap)
            assert nxt[0] > s


def test_chunk_text_short() -> None:
    assert chunk_text("short text", 1000) == [(0, 10, 10)]


# --------------------------------------------------------------------------------------------------------------
# EntityExtractor (spaCy)


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    ex = EntityExtractor()
    ex.load()
    return ex


def test_extractor_construction_is_cheap_and_picklable() -> None:
    ex = EntityExtractor(DEFAULT_MODEL, batch_size=8)
    assert ex.components == []
    clone = pickle.loads(pickle.dumps(ex))
    assert (clone.model, clone.batch_size) == (DEFAULT_MODEL, 8)


@pytest.mark.parametrize(("kwargs", "message"), [({"model": ""}, "model"), ({"batch_size": 0}, "batch_size")])
def test_extractor_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EntityExtractor(**kwargs)  # type: ignore[arg-type]


def test_bad_model_name_raises_value_error_at_load() -> None:
    ex = EntityExtractor("no_such_spacy_pipeline_xyz")
    with pytest.raises(ValueError, match="no_such_spacy_pipeline_xyz"):
        ex.load()


def test_extract_before_load_raises() -> None:
    with pytest.raises(RuntimeError, match="load"):
        EntityExtractor().extract(["text"])


def test_ner_components_keep_the_tok2vec_a_listener_needs() -> None:
    import spacy

    from transforms.entities.ner import _ner_components

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    nlp.add_pipe("ner", config={"model": {
        "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
        "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "tok2vec": listener}})
    nlp.add_pipe("sentencizer")
    assert _ner_components(nlp) == ["tok2vec", "ner"]


def test_pipeline_without_ner_is_rejected(tmp_path: Path) -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "no_ner")
    with pytest.raises(ValueError, match="no entity recognizer"):
        EntityExtractor(str(tmp_path / "no_ner")).load()


def test_extractor_runs_ner_only_and_survives_pickling(extractor: EntityExtractor) -> None:
    assert extractor.components == ["ner"]
    clone = pickle.loads(pickle.dumps(extractor))
    assert clone.components == []  # the pipeline is not shipped; the worker loads it again


def test_extractor_on_story(extractor: EntityExtractor) -> None:
    groups = extractor.extract([STORY, "", "nothing to see here"])
    assert groups[1] == [] and groups[2] == []
    found = by_canonical(groups[0])
    assert found["John Kerry"] == ("PERSON", ["John Kerry", "Kerry", "Kerry"])
    assert found["Sergei Lavrov"] == ("PERSON", ["Sergei Lavrov", "Lavrov"])
    assert found["Putin"][0] == "PERSON"
    assert found["Barack Obama"][0] == "PERSON"
    assert found["David Cameron"][0] == "PERSON"
    assert found["Russia"] == ("GPE", ["Russia", "Russia"])
    assert found["London"] == ("GPE", ["London", "London"])
    for g in groups[0]:
        assert g.label not in {"DATE", "TIME", "CARDINAL"}
        for m in g.mentions:
            assert STORY[m.start : m.end] == m.text


def test_long_text_chunked_without_losing_entities(extractor: EntityExtractor) -> None:
    text = "\n\n".join([STORY] * 5)
    small = EntityExtractor(max_chunk_chars=900)
    small.load()
    whole = by_canonical(extractor.extract([text])[0])
    chunked = by_canonical(small.extract([text])[0])
    assert chunked["John Kerry"] == whole["John Kerry"] == ("PERSON", ["John Kerry", "Kerry", "Kerry"] * 5)
    assert len(chunked["Sergei Lavrov"][1]) == 10


def test_hard_cut_keeps_entity_on_the_edge(extractor: EntityExtractor) -> None:
    # No sentence or line boundary: the cut falls inside running text, the overlap keeps each name whole.
    text = " ".join(["talks between John Kerry and Sergei Lavrov in London went on"] * 40)
    small = EntityExtractor(max_chunk_chars=1000)
    small.load()
    mentions = {g.canonical: [m.text for m in g.mentions] for g in small.extract([text])[0]}
    assert mentions["John Kerry"] == ["John Kerry"] * 40
    assert mentions["Sergei Lavrov"] == ["Sergei Lavrov"] * 40


@pytest.mark.skipif(not REFERENCE_STORY.exists(), reason="../shared/samples/reuters-2014-03-14-kerry-lavrov.txt absent")
def test_reference_story(extractor: EntityExtractor) -> None:
    raw = REFERENCE_STORY.read_text(encoding="utf-8")
    tail = "favour rule from Moscow."
    body = raw[raw.index("U.S. Secretary of State") : raw.index(tail) + len(tail)]
    groups = extractor.extract([body])[0]
    labels = {g.canonical: g.label for g in groups}
    for person in ("John Kerry", "Sergei Lavrov", "Viktor Yanukovich", "David Cameron", "Barack Obama", "Putin"):
        assert labels.get(person) == "PERSON", person
    for place in ("Crimea", "Russia", "Ukraine", "London", "Moscow", "Washington"):
        assert labels.get(place) == "GPE", place
    for org in ("State Department", "European Union", "Kremlin"):
        assert labels.get(org) in {"ORG", "GPE", "LOC", "FAC"}, org
    assert {m.text for g in groups if g.canonical == "John Kerry" for m in g.mentions} == {"John Kerry", "Kerry"}
    assert len(labels) == len(groups)  # each canonical entity once
    for g in groups:
        for m in g.mentions:
            assert body[m.start : m.end] == m.text


@pytest.mark.skipif(not CONLL_DEV.exists(), reason="../shared/corpora/conll2003/eng.testa absent")
def test_conll_dev_sample_beats_bare_model(extractor: EntityExtractor) -> None:
    from evaluation.eval_entities import evaluate, read_conll, rebuild

    docs = []
    for i, doc in enumerate(read_conll(CONLL_DEV)):
        if i >= 25:
            break
        docs.append(rebuild(doc))
    bare = EntityExtractor(refine=False)
    bare.load()
    bare_metrics, _ = evaluate(bare, docs, raw=True)
    shipped_metrics, _ = evaluate(extractor, docs)
    assert shipped_metrics["micro"]["f1"] > bare_metrics["micro"]["f1"] + 0.05
    assert shipped_metrics["micro"]["f1"] > 0.7


def test_entity_stage_runs_the_model_on_batches_of_ner_batch_size() -> None:
    # BatchElements' adaptive sizing settled on 1–7 stories per batch; the stage must batch at --ner-batch-size,
    # reported as the `entities.batch_size` distribution.
    import datetime as dt

    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions

    from schemas.story import FeedSource, Story
    from transforms.dedup.singleton import singleton
    from transforms.entities.stage import ExtractEntities

    now = dt.datetime(2014, 3, 14, tzinfo=dt.UTC)
    stories = [
        singleton(
            Story(id=f"s{i}", title=f"Story {i}", body=STORY, source=FeedSource(url="wire"), content_hash=f"{i}",
                  fetched_at=now),
            now,
        )
        for i in range(40)
    ]
    p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    out = p | beam.Create(stories) | ExtractEntities(batch_size=16)
    _ = out.stories | beam.Map(lambda s: s.entities and None)
    result = p.run()
    result.wait_until_finish()
    (sizes,) = result.metrics().query(MetricsFilter().with_name("entities.batch_size"))["distributions"]
    assert (sizes.committed.sum, sizes.committed.max) == (40, 16)
    assert sizes.committed.count == 3  # 16 + 16 + 8


# --------------------------------------------------------------------------------------------------------------
# One entity per thing: aliases, tickers, headline and body


@pytest.mark.parametrize(
    ("text", "items", "expected"),
    [
        # An acronym defined in brackets, and one that is the initials of a name of the story.
        ("The International Monetary Fund (IMF) said.", [("International Monetary Fund", "ORG")],
         {"imf": "international monetary fund"}),
        ("The World Health Organization said the WHO", [("World Health Organization", "ORG")],
         {"who": "world health organization"}),
        # The letters of a bracketed acronym in order, not only initials; an organisation's foreign acronym.
        ("Abu Dhabi National Oil Company (ADNOC) grew.", [("Abu Dhabi National Oil Company", "ORG")],
         {"adnoc": "abu dhabi national oil company"}),
        ("the National Liberation Army (ELN) said", [("National Liberation Army", "ORG")],
         {"eln": "national liberation army", "nla": "national liberation army"}),
        # A company without its legal form, and its first word before a line of business.
        ("Apple Inc. said; Apple shares rose.", [("Apple Inc.", "ORG")], {"apple": "apple inc"}),
        ("Delta Air Lines said; Delta rose.", [("Delta Air Lines", "ORG")],
         {"delta": "delta air lines", "dal": "delta air lines"}),
        # Not a short name: a surname of a person in the story, a first word before a non-business word.
        ("Goldman Sachs and Ron Goldman.", [("Goldman Sachs", "ORG"), ("Ron Goldman", "PERSON")],
         {"gs": "goldman sachs", "goldman": None}),
        ("Bank of America said.", [("Bank of America", "ORG")], {"ba": "bank of america", "bank": None}),
    ],
)
def test_story_aliases(text: str, items: list[tuple[str, str]], expected: dict[str, str | None]) -> None:
    """Short form → long form; a short form expected as None must not be an alias."""
    got = story_aliases(text, spans_of(text, *items))
    assert {k: v for k, v in got.items() if k in expected} == {k: v for k, v in expected.items() if v}


def test_aliases_group_short_and_long_forms_as_one_entity() -> None:
    text = ("The International Monetary Fund (IMF) told the U.S. and Britain that the IMF expects the United States "
            "and the United Kingdom to agree. Delta Air Lines and the UAE agreed; Delta said the United Arab "
            "Emirates would host talks. Mideast supplies fell as the Middle East war went on.")
    spans = spans_of(text, ("International Monetary Fund", "ORG"), ("IMF", "ORG"), ("U.S.", "GPE"),
                     ("Britain", "GPE"), ("IMF", "ORG"), ("United States", "GPE"), ("United Kingdom", "GPE"),
                     ("Delta Air Lines", "ORG"), ("UAE", "GPE"), ("Delta", "GPE"), ("United Arab Emirates", "GPE"),
                     ("Mideast", "LOC"), ("Middle East", "LOC"))
    assert by_canonical(canonicalize(text, spans)) == {
        "International Monetary Fund": ("ORG", ["International Monetary Fund", "IMF", "IMF"]),
        "United States": ("GPE", ["U.S.", "United States"]),
        "United Kingdom": ("GPE", ["Britain", "United Kingdom"]),
        # The short form's label (the model's "Delta" GPE) does not outvote the full name's.
        "Delta Air Lines": ("ORG", ["Delta Air Lines", "Delta"]),
        "United Arab Emirates": ("GPE", ["UAE", "United Arab Emirates"]),
        "Middle East": ("LOC", ["Mideast", "Middle East"]),
    }


def test_an_earlier_lone_surname_joins_the_full_name_whatever_its_label() -> None:
    text = "Scholz meets Charles\n\nOlaf Scholz met King Charles. Scholz said so."
    spans = spans_of(text, ("Scholz", "GPE"), ("Charles", "PERSON"), ("Olaf Scholz", "PERSON"),
                     ("Charles", "PERSON"), ("Scholz", "ORG"))
    assert by_canonical(canonicalize(text, spans)) == {
        "Olaf Scholz": ("PERSON", ["Scholz", "Olaf Scholz", "Scholz"]),
        "Charles": ("PERSON", ["Charles", "Charles"]),
    }


def test_a_lone_surname_two_persons_share_is_a_person_of_its_own() -> None:
    text = "Trump's niece speaks\n\nMary Trump said her uncle, Donald Trump, paid someone."
    spans = spans_of(text, ("Trump", "ORG"), ("Mary Trump", "PERSON"), ("Donald Trump", "PERSON"))
    assert by_canonical(canonicalize(text, spans)) == {
        "Trump": ("PERSON", ["Trump"]),
        "Mary Trump": ("PERSON", ["Mary Trump"]),
        "Donald Trump": ("PERSON", ["Donald Trump"]),
    }


def test_a_later_one_word_name_joins_the_multi_word_name_it_ends() -> None:
    text = ("Tankers waited outside the Strait of Hormuz. The European Commission said Hormuz must reopen and the "
            "Commission would act. Europe and Central Europe differ; the University of Washington and Washington "
            "too. The Labour Party and the Reform Party met; the Party split. The White House said the House "
            "would vote.")
    spans = spans_of(text, ("Strait of Hormuz", "LOC"), ("European Commission", "ORG"), ("Hormuz", "ORG"),
                     ("Commission", "ORG"), ("Europe", "LOC"), ("Central Europe", "LOC"),
                     ("University of Washington", "ORG"), ("Washington", "GPE"), ("Labour Party", "ORG"),
                     ("Reform Party", "ORG"), ("Party", "ORG"), ("White House", "ORG"), ("House", "ORG"))
    assert by_canonical(canonicalize(text, spans)) == {
        # The short form takes the long name's label ("Hormuz" was the model's ORG).
        "Strait of Hormuz": ("LOC", ["Strait of Hormuz", "Hormuz"]),
        "European Commission": ("ORG", ["European Commission", "Commission"]),
        # A place of the gazetteer is another thing than the longer name it ends; a word two names end in is
        # left alone.
        "Europe": ("LOC", ["Europe"]),
        "Central Europe": ("LOC", ["Central Europe"]),
        "University of Washington": ("ORG", ["University of Washington"]),
        "Washington": ("GPE", ["Washington"]),
        "Labour Party": ("ORG", ["Labour Party"]),
        "Reform Party": ("ORG", ["Reform Party"]),
        "Party": ("ORG", ["Party"]),
        # "the House" beside "the White House" is the House of Representatives.
        "White House": ("ORG", ["White House"]),
        "House": ("ORG", ["House"]),
    }


def test_a_titled_first_name_before_the_full_name_joins_it() -> None:
    text = "Judge Jeanine rips governor\n\nJudge Jeanine Pirro slammed the plan. Jeanine said so. Pirro agreed."
    spans = spans_of(text, ("Judge Jeanine", "PERSON"), ("Jeanine Pirro", "PERSON"), ("Jeanine", "PERSON"),
                     ("Pirro", "PERSON"))
    assert by_canonical(canonicalize(text, spans)) == {
        "Jeanine Pirro": ("PERSON", ["Jeanine", "Jeanine Pirro", "Jeanine", "Pirro"]),
    }
    # Two persons of that first name: the lone one joins neither.
    text = "Anna spoke. Anna Berg and Anna Lind met."
    spans = spans_of(text, ("Anna", "PERSON"), ("Anna Berg", "PERSON"), ("Anna Lind", "PERSON"))
    assert sorted(by_canonical(canonicalize(text, spans))) == ["Anna", "Anna Berg", "Anna Lind"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Delta Air Lines (DAL.N) said", [("DAL.N",)]),
        ("Hindustan Petroleum Corp (HPCL.NS) , opens new tab", [("HPCL.NS",)]),
        ("AEGEAN AIRLINES (AGNr.AT)", [("AGNr.AT",)]),
        ("Toyota (7203.T) and Chinalco (601600.SS)", [("7203.T",), ("601600.SS",)]),
        ("United Airlines (NASDAQ: UAL) and Delta (NYSE:DAL)", [("NASDAQ:UAL",), ("NYSE:DAL",)]),
        ("Royal Dutch Shell (SHEL.L, SHEL.AS) said", [("SHEL.L", "SHEL.AS")]),
        # Not tickers: the agency, a state abbreviation, an acronym, a bracket opening the text.
        ("April 13 (Reuters) - BP", []),
        ("Fresno (Calif.) police", []),
        ("the Kurdistan Democratic Party (KDP)", []),
        ("(DAL.N) opens", []),
    ],
)
def test_find_tickers(text: str, expected: list[tuple[str, ...]]) -> None:
    assert [t.symbols for t in find_tickers(text)] == expected


def test_tickers_are_no_entity_and_mark_their_company() -> None:
    text = "Delta Air Lines (DAL.N) and Bloom Energy (BE.N) rose; Delta gained, and BP (BP.L) fell."
    # The model's usual output: the codes as ORG or PERSON, Bloom Energy missed, BP right.
    spans = spans_of(text, ("Delta Air Lines", "ORG"), ("DAL.N", "ORG"), ("BE.N", "PERSON"), ("Delta", "GPE"),
                     ("BP", "ORG"), ("BP.L", "ORG"))
    refined = refine_spans(text, spans)
    groups = attach_tickers(canonicalize(text, refined), find_tickers(text))
    assert [(g.canonical, g.label, g.tickers, len(g.mentions)) for g in groups] == [
        ("Delta Air Lines", "ORG", ("DAL.N",), 2),
        ("Bloom Energy", "ORG", ("BE.N",), 1),
        ("BP", "ORG", ("BP.L",), 1),
    ]


def test_join_and_split_title() -> None:
    title, body = "IMF warns U.S.", "The International Monetary Fund said the U.S. must act."
    text = join_title(title, body)
    assert text == title + "\n\n" + body
    assert join_title("", body) == body and join_title(title, "") == title
    spans = spans_of(text, ("IMF", "ORG"), ("U.S.", "GPE"), ("International Monetary Fund", "ORG"), ("U.S.", "GPE"))
    groups = split_title(canonicalize(text, spans), title, body)
    for g in groups:
        for m in g.mentions:
            assert (title if m.field == "title" else body)[m.start : m.end] == m.text
    imf, us = groups
    assert [m.field for m in imf.mentions] == ["title", "body"]
    assert [m.field for m in us.mentions] == ["title", "body"]
    # The entity's own offsets are its first body mention's.
    assert (imf.field, imf.start, imf.text) == ("body", 4, "International Monetary Fund")
    headline_only = split_title(canonicalize(title, spans_of(title, ("U.S.", "GPE"))), title, "")
    assert [(g.field, g.start, g.mentions[0].field) for g in headline_only] == [("title", 10, "title")]


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # A given name (census list) and a surname labelled ORG; a title with a first name labelled GPE.
        ("Spokesman Mark Prescott met Olaf Scholz.", [("Mark Prescott", "ORG")], {"Mark Prescott": "PERSON"}),
        ("He met King Charles on Wednesday.", [("King Charles", "GPE")], {"Charles": "PERSON"}),
        ("Former chancellor Olaf Scholz said.", [("Olaf Scholz", "ORG")], {"Olaf Scholz": "PERSON"}),
        # A given name the model missed altogether.
        ("The winner, Justin Leonard, said.", [], {"Justin Leonard": "PERSON"}),
        # Not persons: a place, a club, an organisation head.
        ("Crowds in Hong Kong cheered.", [("Hong Kong", "GPE")], {"Hong Kong": "GPE"}),
        ("Researchers at Citizen Lab said.", [("Citizen Lab", "PERSON")], {"Citizen Lab": "ORG"}),
        ("Activists in Tamaulipas said.", [("Tamaulipas", "PERSON")], {"Tamaulipas": "GPE"}),
        # Split or cut names of "Head of the Name".
        ("the Cartel of the Northeast operates", [("Cartel", "PERSON"), ("Northeast", "LOC")],
         {"Cartel of the Northeast": "ORG"}),
        ("through the Strait of Hormuz today", [("Strait of", "LOC"), ("Hormuz", "PERSON")],
         {"Strait of Hormuz": "LOC"}),
        # Nationalities, non-names, events, an acronym used twice.
        ("Slovak and Kurds marched.", [("Slovak", "PERSON"), ("Kurds", "ORG")], {"Slovak": "NORP", "Kurds": "NORP"}),
        ("Attendance: 20,000. Kick-off 1500 GMT.", [("Attendance", "PERSON"), ("GMT", "ORG")], {}),
        ("He won the African Nations Cup.", [("African Nations Cup", "ORG")], {"African Nations Cup": "EVENT"}),
        ("ADNOC grew. Later ADNOC said.", [], {"ADNOC": "ORG"}),
        # A lone one-word "person" never named in full and after no title: an organisation.
        ("Miners rally\n\nShares of Barrick rose.", [("Barrick", "PERSON")], {"Barrick": "ORG"}),
        ("Mr Barrick said.", [("Barrick", "PERSON")], {"Barrick": "PERSON"}),
        # … but a headline without a body has no room for the full name.
        ("Putin hosts Myanmar's leader for talks", [("Putin", "PERSON"), ("Myanmar", "GPE")],
         {"Putin": "PERSON", "Myanmar": "GPE"}),
        ("Putin hosts leader\n\nPutin met him.", [("Putin", "PERSON"), ("Putin", "PERSON")], {"Putin": "ORG"}),
        # A way or a side is no person: "through Hormuz", "outside Hormuz".
        ("Oil edges up on exports through Hormuz", [("Hormuz", "PERSON")], {"Hormuz": "LOC"}),
        # Common words capitalised by their place: a sentence start, a list item, a title after.
        ("Kerosene is scarce. Kerosene prices rose.", [("Kerosene", "ORG"), ("Kerosene", "ORG")], {}),
        ("He met Finance Minister Ana Ruiz.", [("Finance", "ORG"), ("Ana Ruiz", "PERSON")],
         {"Ana Ruiz": "PERSON"}),
        ("Spending fell:\n• Travel spending fell 2%", [("• Travel", "ORG")], {}),
        # … but a common word the story capitalises inside a sentence, a table's team, an alias form, a person's
        # census surname, and the last word of a longer name stay names.
        ("Shell rose. Analysts said Shell gained.", [("Shell", "ORG"), ("Shell", "ORG")], {"Shell": "ORG"}),
        ("Sale 31 Wasps 33", [("Sale", "ORG"), ("Wasps", "ORG")], {"Sale": "ORG", "Wasps": "ORG"}),
        ("Fed holds rates; the fed up traders left.", [("Fed", "ORG")], {"Fed": "ORG"}),
        ("Liz Truss spoke. Truss said no.", [("Liz Truss", "PERSON"), ("Truss", "PERSON")],
         {"Liz Truss": "PERSON"}),
        ("The European Commission met. Commission officials said the commission agreed.",
         [("European Commission", "ORG"), ("Commission", "ORG")], {"European Commission": "ORG"}),
        # An acronym the story defines by small-letter words names a thing, not an organisation; so do AI and LNG.
        ("Imports of liquefied natural gas (LNG) rose. LNG prices fell; LNG tankers and Qatar Energy LNG waited.",
         [("LNG", "ORG"), ("LNG", "ORG"), ("Qatar Energy LNG", "ORG")], {"Qatar Energy LNG": "ORG"}),
        ("Sales of electric vehicles (EVs) and the EV tax.", [("EVs", "ORG"), ("EV", "ORG")], {}),
        ("How the AI boom hit St. Louis", [("AI", "GPE"), ("St. Louis", "GPE")], {"St. Louis": "GPE"}),
        # The story says a lone surname is a person's: "the Biden administration" (the model's ORG throughout).
        ("Debt doubled under Biden\n\nThe Biden administration spent. Biden said so.",
         [("Biden", "ORG"), ("Biden", "ORG"), ("Biden", "ORG")], {"Biden": "PERSON"}),
        ("The Republican administration of President Bush.", [("Republican", "NORP"), ("Bush", "PERSON")],
         {"Republican": "NORP", "Bush": "PERSON"}),
        # "South of France" is one place, not "South" and "France".
        ("a wedding in the South of France", [("South", "LOC"), ("France", "GPE")], {"South of France": "LOC"}),
        # A common word set in capitals in a small-letter line is emphasis; an acronym, or a headline line all in
        # capitals, is not.
        ("China AVOIDS recession as NASA watches", [("China", "GPE"), ("AVOIDS", "ORG"), ("NASA", "ORG")],
         {"China": "GPE", "NASA": "ORG"}),
        ("BANKS RALLY AS SHELL GAINS", [("SHELL", "ORG")], {"SHELL": "ORG"}),
    ],
)
def test_label_sanity(text: str, spans: list[tuple[str, str]], expected: dict[str, str]) -> None:
    groups = canonicalize(text, refine_spans(text, spans_of(text, *spans)))
    assert {g.canonical: g.label for g in groups} == expected
