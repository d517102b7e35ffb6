"""Tests for transforms.entities.segments (which sentences the NER model reads) and for the extractor's output with
and without it: the same entities on written sentences and on real wire copy."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from transforms.entities.ner import EntityExtractor
from transforms.entities.segments import ModelText, name_segments, nameless_sentences
from transforms.entities.spans import EntityGroup

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REUTERS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots" / "20260416T185707Z_83a647e2" / \
    "reuters.xml"


def nameless(text: str) -> list[str]:
    return [text[s:e] for s, e in nameless_sentences(text)]


@pytest.mark.parametrize(
    ("sentence", "has_no_name"),
    [
        ("But that does not mean that we aren't all implicated in it.", True),
        ("I think so, and I’m sure I've said it before.", True),  # the pronoun I is no name
        ("It’s a mess, they said.", True),  # a common word with a clitic
        ("In 2011 it was 40 percent higher.", True),  # numbers and dates: labels the stage drops
        ("the market fell.", True),
        ("Hitler was sentenced to five years.", False),  # an opening word that is not a common word
        ("May said the deal was done.", False),  # "May", "Will": common words that are also names
        ("Or take the intervention in Libya.", False),
        ("Prices rose in Texas, it said.", False),
        ("They flew to Ōsaka.", False),  # a capital outside ASCII
        ("They met in 北京 last week.", False),  # a script without case
        ("We wrote about the iPhone.", False),  # a capital inside a word
    ],
)
def test_nameless_sentences(sentence: str, has_no_name: bool) -> None:
    assert nameless(sentence) == ([sentence] if has_no_name else [])


def test_sentences_end_at_stops_and_line_breaks() -> None:
    text = 'Obama spoke. "It was fine," he said. The end came!\nnothing more\n\nParis Match'
    assert nameless(text) == ['"It was fine," he said.', "The end came!", "nothing more"]


WRITTEN = (
    "U.S. Secretary of State John Kerry will seek assurances from Russia on Friday. But that does not mean that we "
    "are all implicated in it, and it will not be easy for anyone to say so. It was a long day and the talks went "
    "on well into the evening, as they often do.\n\n"
    "Kerry meets Sergei Lavrov later in the day. I think it is a good sign, one official said of the talks that "
    "were held there. Neither side has said what the meeting could bring, and nobody expects it to be quick."
)


def test_name_segments_keep_context_around_the_sentences_with_names() -> None:
    segments = name_segments(WRITTEN, context_words=4)
    assert [WRITTEN[s:e] for s, e in segments] == [
        "U.S. Secretary of State John Kerry will seek assurances from Russia on Friday. But that does not",
        "as they often do.\n\nKerry meets Sergei Lavrov later in the day. I think it is",
    ]
    # What is left out lies in sentences without a name.
    inside = [s for s, e in nameless_sentences(WRITTEN)], [e for s, e in nameless_sentences(WRITTEN)]
    read = {i for s, e in segments for i in range(s, e)}
    skipped = [i for i, ch in enumerate(WRITTEN) if i not in read and not ch.isspace()]
    assert skipped and all(any(s <= i < e for s, e in zip(*inside, strict=True)) for i in skipped)


def test_name_segments_is_the_whole_text_when_every_sentence_can_hold_a_name() -> None:
    text = "Kerry met Lavrov. Obama spoke in Paris."
    assert name_segments(text) == [(0, len(text))]
    assert name_segments("it rained. nothing happened.") == []


def test_small_gaps_are_read_not_skipped() -> None:
    text = "Kerry met Lavrov. It rained. Obama spoke in Paris."
    assert name_segments(text, context_words=1) == [(0, len(text))]


def test_model_text_maps_offsets_back() -> None:
    segments = name_segments(WRITTEN, context_words=4)
    read = ModelText(WRITTEN, segments)
    for name in ("John Kerry", "Russia", "Sergei Lavrov"):
        start = read.text.index(name)
        span = read.source(start, start + len(name))
        assert span is not None and WRITTEN[span[0] : span[1]] == name
    sep = read.text.index("\n\n", len(WRITTEN[segments[0][0] : segments[0][1]]) - 1)
    assert read.source(sep - 3, sep + 3) is None  # across the separator: no span of the text


# --------------------------------------------------------------------------------------------------------------
# The extractor reads less and finds the same entities


@pytest.fixture(scope="module")
def extractors() -> tuple[EntityExtractor, EntityExtractor]:
    skipping = EntityExtractor()
    skipping.load()
    reading_all = EntityExtractor(skip_nameless=False)
    reading_all._nlp, reading_all._places = skipping._nlp, skipping._places  # the same loaded model
    return skipping, reading_all


def _mentions(groups: list[EntityGroup]) -> list[tuple[int, int, str, str, str]]:
    return sorted((m.start, m.end, m.field, g.label, g.canonical) for g in groups for m in g.mentions)


STORIES = [
    ("Kerry to meet Lavrov", WRITTEN),
    ("Markets", "Shares rose. It was not clear why, and nobody said much about it all day long at the exchange. "
                "Analysts at Goldman Sachs in New York said the Federal Reserve would wait. They did not say more, "
                "and it is not clear that they will."),
    ("", "nothing here has a name. it is all lower case, as it often is in chat. even so the model reads it."),
]


def test_same_entities_on_written_stories(extractors: tuple[EntityExtractor, EntityExtractor]) -> None:
    skipping, reading_all = extractors
    got, expected = skipping.extract_stories(STORIES), reading_all.extract_stories(STORIES)
    assert [_mentions(g) for g in got] == [_mentions(g) for g in expected]
    assert got == expected
    assert {g.canonical for g in got[1]} >= {"Goldman Sachs", "New York", "Federal Reserve"}


def test_model_reads_only_the_segments(extractors: tuple[EntityExtractor, EntityExtractor],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    skipping, _ = extractors
    seen: list[str] = []
    pipe = skipping._nlp.pipe

    def recording_pipe(texts: list[str], **kwargs: object) -> object:
        texts = list(texts)
        seen.extend(texts)
        return pipe(texts, **kwargs)

    monkeypatch.setattr(skipping._nlp, "pipe", recording_pipe)
    skipping.extract([WRITTEN])
    assert len(seen) == 1 and "Kerry meets Sergei Lavrov" in seen[0]
    assert "nobody expects it to be quick" not in seen[0] and len(seen[0]) < len(WRITTEN)


@pytest.mark.skipif(not REUTERS.exists(), reason="../shared/corpora/real-feeds/evilgodfahim-wl absent")
def test_same_entities_on_real_wire_copy(extractors: tuple[EntityExtractor, EntityExtractor]) -> None:
    import feedparser

    entries = feedparser.parse(REUTERS.read_bytes()).entries[:60]
    stories = [(e.get("title", ""), html.unescape(re.sub(r"<[^>]+>", " ", e.get("summary", ""))).strip())
               for e in entries]
    skipping, reading_all = extractors
    assert sum(name_segments(body) != [(0, len(body))] for _, body in stories) >= 5  # some sentences are skipped
    assert skipping.extract_stories(stories) == reading_all.extract_stories(stories)


def test_same_entities_when_the_joined_segments_are_chunked(extractors: tuple[EntityExtractor, EntityExtractor]
                                                            ) -> None:
    skipping = extractors[0]
    long_story = "\n\n".join([WRITTEN, STORIES[1][1]] * 6)
    small = [EntityExtractor(max_chunk_chars=800), EntityExtractor(max_chunk_chars=800, skip_nameless=False)]
    for ex in small:
        ex._nlp, ex._places = skipping._nlp, skipping._places
    got, expected = (ex.extract([long_story])[0] for ex in small)
    assert _mentions(got) == _mentions(expected)
    assert sum(len(g.mentions) for g in got if g.canonical == "Sergei Lavrov") == 6
    for g in got:
        assert all(long_story[m.start : m.end] == m.text for m in g.mentions)
