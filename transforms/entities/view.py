"""ALL-CAPS lines: the model reads a true-cased copy (same length, so offsets hold).

``model_view`` true-cases headline and table lines from the story's own usage and turns zero-width marks into
spaces; ``_caps_line`` says which lines are written in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from transforms.entities.spans import _INVISIBLE, _wordset

_LINE_RE = re.compile(r"[^\n]+")
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


# What may stand between a sentence's end and its first word: spaces, quotes and brackets; ``LIST_MARKS`` adds the
# bullets and dashes that open list items.
OPENING_MARKS = " \t\"'“‘("
LIST_MARKS = OPENING_MARKS + "•·*-–—"


def _sentence_initial(text: str, pos: int, marks: str = OPENING_MARKS) -> bool:
    """Whether the word at ``pos`` opens a sentence or line (over ``marks``: spaces, quotes and brackets; with
    ``LIST_MARKS`` also a list item)."""
    j = pos - 1
    while j >= 0 and text[j] in marks:
        j -= 1
    return j < 0 or text[j] in ".!?:\n"
