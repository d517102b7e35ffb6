"""Canonical names within one story (pure; no spaCy).

``canonicalize`` trims spans and groups the mentions of one entity ("Secretary Kerry", "Kerry" → "John Kerry";
"International Monetary Fund", "IMF"; "U.S.", "United States"; "Delta Air Lines", "Delta"), each group with one
label by majority; ``load_aliases`` reads the fixed other names (data/aliases.tsv), ``story_aliases`` finds the
story's own.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from transforms.entities.places import DATA_DIR, data_lines, load_names, place_names_casefolded
from transforms.entities.spans import _ACRONYM_AFTER_RE, KEPT_LABELS, EntityGroup, Mention, _wordset, trim_span

LOGGER = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[^\W\d_](?:[\w.'’-]*\w)?|\d+")
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=16384)
def _norm(s: str) -> str:
    """Comparison key: case-folded, single-spaced, dots dropped ("U.S." == "US")."""
    return _SPACE_RE.sub(" ", s.replace(".", "")).strip().casefold()


ALIASES_FILE = DATA_DIR / "aliases.tsv"


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> Mapping[str, str]:
    """Fixed other names of one thing ("U.S." → "United States"), as comparison keys; empty if the file is absent."""
    rows = (line.split("\t")[:2] for line in data_lines(path, "alias table"))
    return MappingProxyType({_norm(form): _norm(name) for form, name in rows})


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


# Labels of names a later one-word mention may shorten ("Strait of Hormuz" → "Hormuz", "European Commission" →
# "Commission").
_PARTIAL_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC"})
# Last words that alone name another body than the longer name they end: "the House" beside "the White House" is
# the House of Representatives (or of Commons, of Lords).
_NOT_SHORT_FORMS = frozenset({"House", "HOUSE"})


def _join_partial_forms(groups: list[_Group]) -> list[_Group]:
    """A one-word name that is the last word of one multi-word name of the story (an organisation or a place), as
    written there (or in capitals), joins it and takes its label: "Hormuz" (the model's ORG) with "Strait of
    Hormuz", "Commission" with "European Commission".  A place of the gazetteer or a demonym never does ("Europe"
    beside "Central Europe", "Washington" beside "University of Washington" are other things); a word two names
    end in is left alone."""
    if not any(len(g.words) == 1 and not g.person for g in groups):
        return groups
    longs: dict[str, list[_Group]] = {}
    for g in groups:
        if not g.person and len(g.words) > 1 and _group_label(g) in _PARTIAL_LABELS:
            last = g.canonical.rsplit(None, 1)[-1]
            longs.setdefault(last, []).append(g)
            if not last.isupper() and len(last) > 3:  # "HORMUZ" in a headline, but not "US" for "Us"
                longs.setdefault(last.upper(), []).append(g)
    if not longs:
        return groups
    places = place_names_casefolded()
    demonyms = load_names().demonyms
    out: list[_Group] = []
    for g in groups:
        target = longs.get(g.canonical) if len(g.words) == 1 and not g.person and \
            g.canonical not in _NOT_SHORT_FORMS else None
        if target is None or len(target) != 1 or _group_label(g) not in _PARTIAL_LABELS or \
                g.canonical in demonyms or g.canonical.casefold() in places:
            out.append(g)
            continue
        target[0].mentions.extend(g.mentions)
        target[0].mentions.sort(key=lambda m: m.start)
    return out


def _group_label(group: _Group) -> str:
    """The label most of a group's own mentions had (its alias mentions' if it has no other)."""
    votes = group.label_votes or group.alias_votes
    return votes.most_common(1)[0][0]


# Labels the small model gives a lone surname.
_SURNAME_MISLABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP"})


def canonicalize(text: str, spans: Sequence[tuple[int, int, str]],
                 aliases: Mapping[str, str] | None = None, *, small_words_end_names: bool = True
                 ) -> list[EntityGroup]:
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
        s, e = trim_span(text, start, end, label, small_words_end_names=small_words_end_names)
        if s >= e or (s, e) in seen or not any(ch.isalpha() for ch in text[s:e]):
            continue
        seen.add((s, e))
        items.append((s, e, label))
    local = story_aliases(text, items)
    # A lone surname before the full name ("Scholz and King Charles meet" … "Olaf Scholz said") names that person
    # whatever its label, if one person of the story has that surname.
    surname_of: dict[str, str] = {}
    # Likewise a lone first name before the full name ("Judge Jeanine" … "Jeanine Pirro"), if one person of the
    # story has that first name and none has it as surname.
    first_of: dict[str, str] = {}
    for s, e, label in items:
        words = _words(text[s:e])
        if label == "PERSON" and len(words) > 1:
            key = _norm(text[s:e])
            surname_of[words[-1]] = key if surname_of.get(words[-1], key) == key else ""
            first_of[words[0]] = key if first_of.get(words[0], key) == key else ""

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
        elif label == "PERSON" and first_of.get(key) and key not in surname_of and key not in local:
            key = first_of[key]
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

    groups = _join_partial_forms(groups)
    out: list[EntityGroup] = []
    for group in groups:
        votes = group.label_votes or group.alias_votes
        # A group that ever was a person is one (surname-only mentions are often mislabelled ORG/GPE).
        if group.person and (votes["PERSON"] * 2 >= sum(votes.values()) or len(group.words) > 1):
            label = "PERSON"
        else:
            label = votes.most_common(1)[0][0]
            # A lone word that two persons of the story have as surname names one of them ("Trump's niece" with
            # "Mary Trump" and "Donald Trump"): a person, though which one is not known.
            if len(group.words) == 1 and surname_of.get(group.words[0]) == "" and label in _SURNAME_MISLABELS:
                label = "PERSON"
        first = group.mentions[0]
        out.append(EntityGroup(first.text, label, first.start, first.end, group.canonical, tuple(group.mentions)))
    out.sort(key=lambda g: g.start)
    return out
