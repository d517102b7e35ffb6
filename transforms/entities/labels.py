"""Label checks from open data over the spans of one text (``LABEL_SANITY``, run in order by ``refine_spans``).

Persons by their given names and titles, places that are no persons, demonyms, words that name nothing, "Head of
(the) Name", acronyms used twice, lone surnames, events and venues, the sides of a match result: each check edits
the text's ``_SpanSet`` in place, with the gazetteer and the name tables (``places``) as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from transforms.entities.canonical import _BUSINESS_WORDS, _norm, load_aliases
from transforms.entities.places import NameTables
from transforms.entities.spans import _CAP_WORD, _PLACE_PREPOSITION_RE, _TITLE_RE, _TITLE_SET, _SpanSet, _wordset
from transforms.entities.view import LIST_MARKS, _caps_line, _sentence_initial

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
# ("Strait of Hormuz", "Gulf of Mexico", "South of France").
_PLACE_HEADS = _wordset("strait straits gulf sea bay cape isle lake mount north south east west")
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
    club ("Surrey").  A one-word PERSON right after "through", "outside", "inside" or "via" is a place (LOC) too:
    "exports through Hormuz"."""
    surnames = {text[s:e].rsplit(None, 1)[-1] for (s, e), label in fixed.labels.items()
                if label == "PERSON" and " " in text[s:e]}
    for key, label in list(fixed.labels.items()):
        name = text[key[0] : key[1]]
        if label != "PERSON" or name.split()[0] in names.given or name in surnames:
            continue
        if (places.get(name) == "city" or name in names.provinces) and _after_place_preposition(text, name):
            fixed.labels[key] = "GPE"
        elif " " not in name and _THROUGH_RE.search(text, max(0, key[0] - 8), key[0]):
            fixed.labels[key] = "LOC"  # "tankers pass through Hormuz": a way, not a person


# Prepositions of ways and sides, which persons hardly follow ("through Hormuz", "loading outside Hormuz").
_THROUGH_RE = re.compile(r"\b(?:through|outside|inside|via)\s$")


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


_COMMON_WORD_LABELS = frozenset({"ORG", "GPE", "LOC", "PERSON"})


def _common_words(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A one-word ORG/GPE/LOC/PERSON span that is a common word ("Diesel", "Travel", "Finance": written in small
    letters far more often, ``names.common_words``) is no entity where its capital comes from its position: at the
    start of a sentence, line or list item, or before a title ("Finance Minister …"); unless the story also
    capitalises it inside a sentence ("… said Shell").  A form of the alias table ("Fed"), given names, places,
    demonyms, a person's census surname ("Truss"), a word followed by figures (results tables: "Sale 31 Wasps 33")
    and the last word of a longer name of the story ("Commission" beside "European Commission") stay."""
    if not names.common_words:
        return
    lasts: set[str] | None = None
    for key, label in list(fixed.labels.items()):
        if label not in _COMMON_WORD_LABELS:
            continue
        start, end = key
        # The model's span may hold a bullet or a quote ("• Travel"): the word is what is left.
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and text[end - 1] in "\"'”’)]":  # but an abbreviation's period stays ("Mass.")
            end -= 1
        word = text[start:end]
        if word not in names.common_words or word in names.given or \
                word in places or word in names.demonyms or (label == "PERSON" and word in names.common_surnames):
            continue
        after = text[end : end + 2]
        if (after[:1] == " " and after[1:].isdigit()) or _norm(word) in load_aliases():
            continue
        if not (_opens_clause(text, start) or _word_after(text, end) in _TITLE_SET) or \
                _capitalised_inside(text, word):
            continue
        if lasts is None:
            lasts = {words[-1] for words in (_name_words(text[s:e]) for s, e in fixed.keys) if len(words) > 1}
        if word not in lasts:
            fixed.keys.remove(key)
            del fixed.labels[key]


def _shouted_words(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A one-word span in capitals that is a common word, in a line written in small letters otherwise, is a word
    set in capitals for emphasis ("China AVOIDS recession", "accounts HACKED"), no entity; a line all in capitals
    (a headline) is read as the model view reads it, and acronyms that are no common word ("NASA") stay."""
    if not names.common_words:
        return
    for key, label in list(fixed.labels.items()):
        if label not in _COMMON_WORD_LABELS:
            continue
        word = text[key[0] : key[1]]
        if len(word) < 4 or not word.isalpha() or not word.isupper():
            continue
        title = word.title()
        if title not in names.common_words or title in places or title in names.given or \
                title in names.demonyms or _norm(word) in load_aliases():
            continue
        line_start = text.rfind("\n", 0, key[0]) + 1
        line_end = text.find("\n", key[1])
        line = text[line_start : len(text) if line_end < 0 else line_end]
        if not _caps_line(line):
            fixed.keys.remove(key)
            del fixed.labels[key]


def _name_words(surface: str) -> list[str]:
    """The words of a span, without the bullets and dashes the model may have taken in ("• Travel")."""
    return [w for w in surface.split() if any(ch.isalnum() for ch in w)] if " " in surface else [surface]


def _word_after(text: str, end: int) -> str:
    """The word right after ``end`` (over one space), case-folded; "" if none."""
    if text[end : end + 1] != " ":
        return ""
    i = end + 1
    while i < len(text) and (text[i].isalpha() or text[i] == "."):
        i += 1
    return text[end + 1 : i].rstrip(".").casefold()


def _capitalised_inside(text: str, word: str) -> bool:
    """Whether the story writes ``word`` capitalised inside a sentence somewhere, before no title ("… said Shell"):
    then it is a name there."""
    i = text.find(word)
    while i >= 0:
        end = i + len(word)
        if (i == 0 or not text[i - 1].isalnum()) and not text[end : end + 1].isalnum() and \
                not _opens_clause(text, i) and _word_after(text, end) not in _TITLE_SET:
            return True
        i = text.find(word, end)
    return False


def _opens_clause(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens a sentence, a line or a list item ("• Travel")."""
    return _sentence_initial(text, pos, LIST_MARKS)


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


# "liquefied natural gas (LNG)": an acronym in brackets (found from its bracket, which the regex engine skips to),
# and the small-letter words before it.
_BRACKET_ACRONYM_RE = re.compile(r" \(([A-Z]{2,6})s?\)")
_SMALL_WORDS_BEFORE_RE = re.compile(r"(?<![\w-])(?:[a-z][a-z-]* ){0,5}[a-z][a-z-]*$")
# Small words an acronym's letters skip ("Organisation of the Petroleum Exporting Countries" → OPEC).
_ACRONYM_SMALL_WORDS = _wordset("of the and for in on to a an")


def _defined_common_acronyms(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """An acronym the story defines by small-letter words ("liquefied natural gas (LNG)", "electric vehicles
    (EVs)") stands for a common noun: it is no entity anywhere in the story."""
    common: set[str] = set()
    for m in _BRACKET_ACRONYM_RE.finditer(text):
        acronym = m.group(1)
        before = _SMALL_WORDS_BEFORE_RE.search(text, max(0, m.start() - 80), m.start())
        if before is None:
            continue
        words = [w for w in before.group().replace("-", " ").split() if w not in _ACRONYM_SMALL_WORDS]
        if len(words) >= len(acronym) and "".join(w[0] for w in words[-len(acronym) :]).upper() == acronym:
            common.update((acronym, acronym + "s"))
    if common:
        for key in [k for k in fixed.keys if text[k[0] : k[1]] in common]:
            fixed.keys.remove(key)
            del fixed.labels[key]



def _lone_surnames(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """News names a person in full before (or after) the surname alone: a one-word PERSON that is no given name,
    follows no title and is the last word of no person's full name in the story is taken for an organisation (the
    small model reads unknown clubs and companies as people: "Ajax", "Barrick").  A headline with no body is left
    alone: it has no room for the full name ("Putin hosts Myanmar's leader")."""
    if "\n" not in text:
        return
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


# Words after a surname that make it a person's ("the Biden administration").
_PERSON_ERA_RE = re.compile(r"[A-Z](?<![\w.&'’-][A-Z])[a-z]+(?=[- ](?:administration|presidency)\b)")


def _administration_persons(text: str, fixed: _SpanSet, places: Mapping[str, str], names: NameTables) -> None:
    """A one-word name the story writes before "administration" or "presidency" ("the Biden administration") is a
    person, there and wherever else the story names it alone ("Biden" ORG in the headline)."""
    if "administration" not in text and "presidency" not in text:
        return
    persons = {m.group() for m in _PERSON_ERA_RE.finditer(text)}
    persons -= names.demonyms
    persons = {w for w in persons if w not in places and w not in names.common_words}
    if persons:
        for key, label in list(fixed.labels.items()):
            if label in ("ORG", "GPE", "LOC", "FAC") and text[key[0] : key[1]] in persons:
                fixed.labels[key] = "PERSON"


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
    _common_words,
    _shouted_words,
    _not_names,
    _head_of_names,
    _repeated_acronyms,
    _defined_common_acronyms,
    _titled_persons,
    _given_name_persons,
    _given_name_missed,
    _places_not_persons,
    _lone_surnames,
    _administration_persons,
    _events_and_venues,
    _match_sides,
    _demonyms,
]
