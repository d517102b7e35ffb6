"""Types and span helpers the entity modules share: ``Mention`` and ``EntityGroup`` (a story's entities), ``Span``
(start, end, label), ``trim_span`` (edge punctuation, "the", possessives, a person's titles), ``_SpanSet`` (the
non-overlapping labelled spans of one text the rules edit) and the word lists and patterns several rules use.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

# Labels a story's entities keep; spaCy's numeric types (DATE, MONEY, CARDINAL, …) belong to other stages or none.
KEPT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)

Span = tuple[int, int, str]
# Which text of a story a mention's offsets index (the records' `field`).
TextField = Literal["body", "title"]


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long word lists stay readable)."""
    return frozenset(words.split())


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity: ``body[start:end] == text``, or ``title[start:end]`` if ``field`` is "title"."""

    start: int
    end: int
    text: str
    field: TextField = "body"


@dataclass(frozen=True, slots=True)
class EntityGroup:
    """One entity of a story: label, canonical name, every mention in order (title first), tickers.

    ``text``/``start``/``end``/``field`` are those of its first body mention, or of its first title mention if it
    has none.
    """

    text: str
    label: str
    start: int
    end: int
    canonical: str
    mentions: tuple[Mention, ...]
    field: TextField = "body"
    tickers: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------------------------
# Span trimming

# Titles and honorifics that precede a person's name; the name without them is what later mentions repeat.
_TITLES = (
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "president", "vice",
    "secretary", "minister", "prime", "premier", "chancellor", "senator", "sen", "rep", "representative",
    "congressman", "congresswoman", "gov", "governor", "mayor", "judge", "justice", "general", "gen", "col",
    "colonel", "lt", "major", "maj", "capt", "captain", "admiral", "adm", "sgt", "sergeant", "commander",
    "king", "queen", "prince", "princess", "pope", "cardinal", "archbishop", "bishop", "rev", "reverend",
    "father", "sheikh", "ayatollah", "chairman", "chairwoman", "chief", "deputy", "foreign", "state",
    "defence", "defense", "interior", "finance", "economy", "trade", "british", "u.s.", "us", "french",
    "german", "russian", "coach", "manager", "striker", "midfielder", "defender", "goalkeeper", "ambassador",
    "spokesman", "spokeswoman", "leader", "opposition", "former", "ex", "late", "st", "fullback", "winger",
    "flanker", "centre", "scrum-half", "fly-half", "pitcher", "catcher", "shortstop", "outfielder", "rookie",
    "veteran", "champion", "skipper", "keeper", "batsman", "bowler", "jockey", "trainer",
)
_TITLE_SET = frozenset(_TITLES)
# One or more titles, with the "of (the)" of "Secretary of State" / "Minister of the Interior" between them.
_TITLE_RE = re.compile(
    r"(?:(?:" + "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True)) +
    r")\.?\s+(?:of\s+(?:the\s+)?)?)+",
    re.IGNORECASE,
)
_LEADING_THE_RE = re.compile(r"the\s+", re.IGNORECASE)
_POSSESSIVE_RE = re.compile(r"(?:['’]s|(?<=s)['’])$", re.IGNORECASE)
# Punctuation that sticks to a span's edges in ragged text: quotes, brackets, dashes, trailing commas.
_EDGE_CHARS = " \t\r\n\"'“”‘’«»()[]{}<>,;:!?*•·-–—/\\|"
_BREAK_RE = re.compile(r"\n|\s[-–—]{1,2}\s|\s\d+\s(?=[A-Z])")
# Scores and figures glued to a name by the model ("Mexico 2-0", "Kansas City Royals 4-0").
_TRAILING_NUMBERS_RE = re.compile(r"(?:\s+[+(]?\d[\d.,:/()-]*)+\s*$")
# Labels of proper names (an event or a work may end in small letters: "Iran war").
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})
# Small-letter words at the end of a span.
_TRAILING_LOWER_RE = re.compile(r"(?: [a-z][a-z'’-]*)+$")
# Words whose trailing period is part of the name ("Mercantile Bancorp Inc.", "Salomon Bros.").
_ABBREVIATIONS = _wordset("inc corp co ltd bros jr sr plc cos assn dept univ mt st ft")


def trim_span(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """Drop stray edge punctuation, a leading "the", a possessive and (for PERSON) leading titles."""
    while start < end and text[start] in _EDGE_CHARS:
        start += 1
    # A span across a line break or a spaced dash ("SOCCER - KLINSMANN") joins two things: not one name.
    if _BREAK_RE.search(text, start, end):
        return start, start
    paren = text.find("(", start, end)
    if paren > start and text.find(")", paren, end) < 0:
        end = paren
    m = _TRAILING_NUMBERS_RE.search(text, start, end)
    if m and m.start() > start:
        end = m.start()
    while end > start and text[end - 1] in _EDGE_CHARS:
        end -= 1
    # A trailing "." belongs to abbreviations ("U.S.", "Corp.") but not to a word ending a sentence.
    if end - start > 1 and text[end - 1] == "." and "." not in text[start : end - 1]:
        last = text[start : end - 1].rsplit(None, 1)[-1]
        if not (len(last) <= 3 and last.isupper()) and last.casefold() not in _ABBREVIATIONS:
            end -= 1
    m = _LEADING_THE_RE.match(text, start, end)
    if m and m.end() < end:
        start = m.end()
    m = _POSSESSIVE_RE.search(text, start, end)
    if m and m.start() > start:
        end = m.start()
    m = _TRAILING_LOWER_RE.search(text, start, end)
    if m and m.start() > start and text[start].isupper() and label in _NAME_LABELS:
        end = m.start()  # "Interfax news agency" → "Interfax": a name ends with its last capitalised word
    if label == "PERSON":
        m = _TITLE_RE.match(text, start, end)
        # Only when a capitalised name remains: "President Putin" → "Putin", but keep a bare "President".
        if m and m.end() < end and text[m.end()].isupper():
            start = m.end()
    return start, end


# --------------------------------------------------------------------------------------------------------------
# Places (GeoNames, CC BY 4.0; see data/build_places.py)

# Kinds whose names are taken as places wherever they stand alone; cities also name sports teams and people.
_REGION_KINDS = frozenset({"country", "state", "continent", "region"})


# A place preposition right before a span ("in", "of", "near" …), for cities the model took for people.
_PLACE_PREPOSITION_RE = re.compile(r"\b(?:in|of|at|from|near|outside|around|across)\s+(?:the\s+)?$")


# --------------------------------------------------------------------------------------------------------------
# Patterns and the span set of the document-level rules

# Zero-width characters and soft hyphens, glued to words in scraped text.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# An acronym in brackets right after a name ("Kurdistan Democratic Party (KDP)").
_ACRONYM_AFTER_RE = re.compile(r" \(([A-Z][A-Z&.]{1,7})\)")
# A capitalised word, with the capitals after inner dots ("U.S").
_CAP_WORD_REST = r"[\w&-]*(?:\.[A-Z][\w&-]*)*"
_CAP_WORD = rf"[A-Z]{_CAP_WORD_REST}"


class _SpanSet:
    """Non-overlapping labelled spans of one text, with overlap queries by bisection."""

    __slots__ = ("keys", "labels")

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []  # sorted by start; non-overlapping, so ends are sorted too
        self.labels: dict[tuple[int, int], str] = {}

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        i = bisect.bisect_left(self.keys, (end, -1))
        out = []
        while i > 0 and self.keys[i - 1][1] > start:
            i -= 1
            out.append(self.keys[i])
        return out

    def free(self, start: int, end: int) -> bool:
        return not self.overlapping(start, end)

    def put(self, start: int, end: int, label: str) -> None:
        """Set a span's label, removing the spans it overlaps."""
        for key in self.overlapping(start, end):
            self.keys.remove(key)
            del self.labels[key]
        bisect.insort(self.keys, (start, end))
        self.labels[(start, end)] = label
