"""The parts of a text the NER model must read: the words near a capital that may be part of a name.

The entities the stage keeps (persons, places, organisations, …; see ``spans.KEPT_LABELS``) are written with a
capital somewhere in them ("Kerry", "iPhone", "McDonald’s", "COVID-19"; any letter of a script without case counts
as one, ``_is_capital``); what the model finds far from every capital is a number, a date (labels the stage drops)
or a lower-case stray ("n’t" GPE).  ``name_anchors`` are the capitals but the pronoun "I" and the one opening a
sentence on a common word ("But", "It’s"; not "May" or "Will", which open sentences as names too).
``name_segments`` keeps each word holding one with ``CONTEXT_WORDS`` (4) whitespace-separated words either side —
the model's token vectors read four tokens either side (CNN depth 4, window 1) and a word is at least one token, so
each capital's own vector is the one it has in the whole text, and digits or hyphenated parts beside a capital
("Boeing 737") are read with it; all-caps text is read whole (the extractor cuts by the capitals of the story, not
of its true-cased view).  Gaps of fewer than ``MIN_SKIP_WORDS`` words are
read, not cut.  On 1,000 wirecopy bodies the model then reads 50 % of the words and 99.98 % of the stage's
mentions are those of the model reading the whole text (4 of 25,798 differ); on the article pages of
../shared/corpora/article-html 53 % and 99.95 % (``python -m evaluation.eval_segments``, which gives the curve:
3 words 43 % / 99.72 %, 5 words 56 % / 99.99 %).
``ModelText`` joins a text's segments into one text for the model, with paragraph breaks between them (as good as
or better than a line break or a space in that evaluation), and maps the model's offsets back: one document per
segment would cost more than the skipped words save (spaCy's costs per batch of documents: short documents cost
more per word than whole stories).  The document rules still read the whole text.
"""

from __future__ import annotations

import bisect
import re

from transforms.entities.spans import _wordset

# Words that open a sentence with a capital and are no name when they do.  Not "May", "Will", "Bill" …: those open
# sentences as names too.
_COMMON_OPENERS = _wordset(
    "a about above according across actually after afterwards again against all almost along already also although "
    "always among an and another any anyone anything anyway are around as at back be because before being below "
    "besides between both but by can could currently despite did do does doing during each earlier either else "
    "eventually even ever every everyone everything few finally first for from further given had has have having he "
    "her here hers herself him himself his how however i if in including indeed instead into is it its itself just "
    "last later let like many me meanwhile might more moreover most much must my neither never nevertheless next no "
    "none nor not nothing now of often on once one only or other others otherwise our ours over overall perhaps "
    "previously rather really recently second several she should similarly since so some someone something "
    "sometimes soon still such than that the their theirs them then there therefore these they third this those "
    "though through thus to today together too two under unless until up upon we well were what whatever when "
    "whenever where whereas whether which while who whoever whom whose why with within without would yes yet you "
    "your yours yourself"
)
# Clitics after a word: "it’s", "they're", "don’t".
_CLITIC_RE = re.compile(r"(?:n['’]t|['’](?:s|re|ve|ll|d|m))$")
# A capital letter (ASCII) or any non-ASCII character, which is looked at closer (``_is_capital``).
_CAPITAL_RE = re.compile(r"[A-Z]|[^\x00-\x7f\u2010-\u205f]")
# Where sentences end: after a full stop, a question or exclamation mark (and closing quotes or brackets), and at
# line breaks.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\s*\n\s*")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NONSPACE_RE = re.compile(r"\S+")
# Words read on either side of a word holding a capital: the reach of the model's token vectors (four tokens).
CONTEXT_WORDS = 4
# Fewer words than this between two segments are read rather than skipped: a junction costs the model as much.
MIN_SKIP_WORDS = 4


def _is_capital(ch: str) -> bool:
    """A letter that may open a name: upper or title case, or of a script without case (neither upper nor lower)."""
    return "A" <= ch <= "Z" or (ch.isalpha() and not ch.islower())


def _is_pronoun_i(text: str, pos: int) -> bool:
    """``text[pos]`` is the pronoun "I" ("I", "I'm", "I’ve"): an "I" with no letter or digit either side."""
    return text[pos] == "I" and not (pos > 0 and text[pos - 1].isalnum()) and \
        not (pos + 1 < len(text) and text[pos + 1].isalnum())


def _common_opener(word: str) -> bool:
    """Whether ``word`` (capitalised, opening a sentence) is one of ``_COMMON_OPENERS``, also with a clitic ("It’s",
    "Don’t")."""
    return _CLITIC_RE.sub("", word.lower()) in _COMMON_OPENERS


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of ``text`` (``_SENTENCE_END_RE``), empty ones left out."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = max(m.end(), start)
    if len(text) > start:
        out.append((start, len(text)))
    return out


def _anchors(text: str, start: int, end: int) -> list[int]:
    """Positions of the capitals of ``text[start:end]`` (one sentence) that may be part of a name: every capital
    (``_is_capital``) but the pronoun "I" and the one opening the sentence on a common word."""
    out: list[int] = []
    first: re.Match[str] | None = None
    pos = start
    while (m := _CAPITAL_RE.search(text, pos, end)) is not None:
        pos = m.end()
        if not _is_capital(m.group()) or _is_pronoun_i(text, m.start()):
            continue
        if first is None:
            first = _WORD_RE.search(text, start, end)
        if first is None or m.start() != first.start() or not _common_opener(first.group()):
            out.append(m.start())
    return out


def name_anchors(text: str) -> list[int]:
    """Positions in ``text`` of the capitals that may be part of a name (``_anchors``), in order."""
    return [a for s, e in _sentences(text) for a in _anchors(text, s, e)]


def nameless_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of ``text`` that hold no capital but a common opening word and "I"."""
    return [(s, e) for s, e in _sentences(text) if not _anchors(text, s, e)]


def name_segments(text: str, context_words: int = CONTEXT_WORDS) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``text`` that the model must read, in order, disjoint: each word that holds a
    capital of ``name_anchors`` with ``context_words`` words (whitespace-separated) either side; fewer than
    ``MIN_SKIP_WORDS`` words between two parts are read too.  ``[(0, len(text))]`` when nothing is skipped."""
    if context_words < 0:
        raise ValueError(f"context_words must be >= 0, got {context_words}")
    words = [(m.start(), m.end()) for m in _NONSPACE_RE.finditer(text)]
    starts = [s for s, _ in words]
    runs: list[list[int]] = []  # [first word, last word] of each part
    for pos in name_anchors(text):
        i = bisect.bisect_right(starts, pos) - 1
        lo, hi = max(0, i - context_words), min(len(words) - 1, i + context_words)
        if runs and lo - runs[-1][1] - 1 < MIN_SKIP_WORDS:  # too little to skip between the two: read it
            runs[-1][1] = max(runs[-1][1], hi)
        else:
            runs.append([lo, hi])
    if not runs:
        return []
    if runs == [[0, len(words) - 1]]:
        return [(0, len(text))]
    return [(words[lo][0], words[hi][1]) for lo, hi in runs]


# Between two segments in the text the model reads: a paragraph break.
SEGMENT_SEPARATOR = "\n\n"


class ModelText:
    """The segments of a text joined into the one text the model reads (``text``), and the way back:
    ``source(start, end)`` is the span of the original text at ``text[start:end]`` (None across a separator)."""

    __slots__ = ("_segments", "_starts", "text")

    def __init__(self, source: str, segments: list[tuple[int, int]]) -> None:
        self._segments = segments
        self._starts: list[int] = []  # where each segment starts in ``text``
        pos = 0
        for s, e in segments:
            self._starts.append(pos)
            pos += e - s + len(SEGMENT_SEPARATOR)
        self.text = SEGMENT_SEPARATOR.join(source[s:e] for s, e in segments)

    def source(self, start: int, end: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self._starts, start) - 1
        s, e = self._segments[i]
        offset = s - self._starts[i]
        if end + offset > e:
            return None
        return start + offset, end + offset
