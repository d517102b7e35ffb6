"""Tests for transforms.entities.segments (which sentences the NER model reads) and for the extractor's output with
and without it: the same entities on written sentences and on real wire copy."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from transforms.entities.ner import EntityExtractor
from transforms.entities.segments import MIN_SKIP_WORDS, ModelText, _is_capital, name_segments, nameless_sentences
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


def read_parts(text: str, context_words: int = 4) -> list[str]:
    return [text[s:e] for s, e in name_segments(text, context_words)]


def test_name_segments_read_the_words_around_the_capitals() -> None:
    assert read_parts(WRITTEN) == [
        "U.S. Secretary of State John Kerry will seek assurances from Russia on Friday. But that does not",
        "as they often do.\n\nKerry meets Sergei Lavrov later in the day.",
    ]
    # What is left out holds no capital but common words opening sentences ("It was", "Neither") and "I think".
    read = {i for s, e in name_segments(WRITTEN) for i in range(s, e)}
    skipped = [WRITTEN[i] for i in range(len(WRITTEN)) if i not in read and _is_capital(WRITTEN[i])]
    assert skipped == ["I", "I", "N"]


LOWER = "it was not clear why the market fell so hard on a day when nothing else moved at all, and the {} " \
        "shares led the fall that the analysts had not expected to see so soon in the year."


def test_words_far_from_any_capital_are_skipped_inside_a_sentence() -> None:
    text = LOWER.format("Apple")
    assert read_parts(text, 3) == ["all, and the Apple shares led the"]
    assert read_parts(text, 0) == ["Apple"]


@pytest.mark.parametrize("name", ["iPhone", "eBay", "McDonald’s", "Boeing 737", "COVID-19", "Coca-Cola", "Ōsaka",
                                  "北京", "7-Eleven"])
def test_names_with_inner_capitals_digits_or_no_case_are_read_with_their_context(name: str) -> None:
    text = LOWER.format(name)
    before, after = text[: text.index(name)].split(), text[text.index(name) + len(name) :].split()
    # Four words either side of each word holding a capital: "Boeing 737" is read with three more after it.
    assert read_parts(text) == [" ".join([*before[-4:], name, *after[: 5 - len(name.split())]])]


@pytest.mark.parametrize("text", [
    "But I think it was not clear why the market fell so hard on a day when nothing else moved.",
    "I’m sure I said the market fell so hard on a day when nothing else moved at all, they said.",
])
def test_a_common_opening_word_and_the_pronoun_i_are_no_name(text: str) -> None:
    assert name_segments(text) == []


def test_a_name_opening_a_sentence_is_read() -> None:
    text = "Hitler was sentenced to five years in prison for the failed coup, which he spent writing a book."
    assert read_parts(text) == ["Hitler was sentenced to five"]


def test_all_caps_text_is_read_whole() -> None:
    text = "THE MARKET FELL SO HARD ON A DAY WHEN NOTHING ELSE MOVED AT ALL, AND THE SHARES LED THE FALL."
    assert name_segments(text) == [(0, len(text))]


def test_the_whole_text_when_every_word_is_near_a_capital() -> None:
    text = "Kerry met Lavrov. Obama spoke in Paris."
    assert name_segments(text) == [(0, len(text))]
    assert name_segments("it rained. nothing happened.") == []
    assert name_segments("") == []


def test_fewer_than_min_skip_words_between_two_parts_are_read() -> None:
    gap = " ".join(["word"] * MIN_SKIP_WORDS)
    skipped = f"Kerry {gap} Lavrov"
    assert read_parts(skipped, 0) == ["Kerry", "Lavrov"]
    read = f"Kerry {gap[5:]} Lavrov"  # one word fewer
    assert read_parts(read, 0) == [read]


def test_context_words_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="context_words"):
        name_segments(WRITTEN, -1)


def test_model_text_maps_offsets_back() -> None:
    segments = name_segments(WRITTEN, context_words=4)
    read = ModelText(WRITTEN, segments)
    for name in ("John Kerry", "Russia", "Sergei Lavrov"):
        start = read.text.index(name)
        span = read.source(start, start + len(name))
        assert span is not None and WRITTEN[span[0] : span[1]] == name
    sep = read.text.index("\n\n", len(WRITTEN[segments[0][0] : segments[0][1]]) - 1)
    assert read.source(sep - 3, sep + 3) is None  # across the separator: no span of the text


def test_model_text_maps_every_character_back_exactly() -> None:
    text = " ".join(LOWER.format(name) for name in ("iPhone", "Boeing 737", "北京", "COVID-19")) + "\n\n" + WRITTEN
    segments = name_segments(text)
    read = ModelText(text, segments)
    assert len(segments) > 4 and len(read.text) < 0.7 * len(text)
    mapped = 0
    for pos, ch in enumerate(read.text):
        span = read.source(pos, pos + 1)
        if span is None:  # only the separators map to nothing
            assert ch.isspace()
            continue
        assert span[1] == span[0] + 1 and text[span[0]] == ch
        mapped += 1
    assert mapped == sum(e - s for s, e in segments)
    for name in ("iPhone", "Boeing 737", "COVID-19", "Sergei Lavrov"):
        start = read.text.index(name)
        span = read.source(start, start + len(name))
        assert span is not None and text[span[0] : span[1]] == name


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


def _record_model_texts(extractor: EntityExtractor, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The list that the texts given to the extractor's model are added to, from now on."""
    seen: list[str] = []
    pipe = extractor._nlp.pipe

    def recording_pipe(texts: list[str], **kwargs: object) -> object:
        texts = list(texts)
        seen.extend(texts)
        return pipe(texts, **kwargs)

    monkeypatch.setattr(extractor._nlp, "pipe", recording_pipe)
    return seen


def test_model_reads_only_the_segments(extractors: tuple[EntityExtractor, EntityExtractor],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    skipping, _ = extractors
    seen = _record_model_texts(skipping, monkeypatch)
    skipping.extract([WRITTEN])
    assert len(seen) == 1 and "Kerry meets Sergei Lavrov" in seen[0]
    assert "nobody expects it to be quick" not in seen[0] and len(seen[0]) < len(WRITTEN)


def test_model_reads_all_caps_lines_whole_though_the_view_writes_them_small(
        extractors: tuple[EntityExtractor, EntityExtractor], monkeypatch: pytest.MonkeyPatch) -> None:
    skipping, _ = extractors
    seen = _record_model_texts(skipping, monkeypatch)
    caps = "COMPETITIVE PRE-SALE CONTRIBUTED BY THE BOND DESK AND J.J. KENNY K-SHEETS FOR THE WEEK:"
    text = LOWER.format("Apple") + "\n" + caps + "\n" + LOWER.format("Boeing")
    skipping.extract([text])
    # The view writes "j.j. kenny k-sheets" in small letters; the words are read because the text has capitals.
    assert len(seen) == 1 and len(seen[0]) < len(text)
    assert " ".join(caps.lower().split()[5:]) in seen[0].lower()


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
