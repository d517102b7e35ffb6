"""Clause tense around a mention: which way a weekday or a yearless month-day points from the anchor.

The nearest tense cue in the mention's sentence picks the direction: "will", "is set to", "planned for" look
forward; "said", "-ed" forms, "was" look back.
"""

from __future__ import annotations

import re

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_SENTENCE_BREAK_RE = re.compile(r"[.!?;]\s|\n")
FUTURE_WORDS = frozenset((
    "will", "shall", "'ll", "wo", "won't", "upcoming", "next", "forthcoming", "tomorrow", "would"
))  # fmt: skip
# Verbs of intention are future cues only with "to"/"for" ("plans to meet", "set for Sunday"); as nouns
# ("announced the plan") they say nothing about tense.
_INTENT = (
    "set planned plans plan planning scheduled slated due expected expects intends intend aims hopes going "
    "is are"
)
FUTURE_BIGRAMS = frozenset(
    {(w, "to") for w in _INTENT.split()}
    | {(w, "for") for w in ["set", "planned", "scheduled", "slated", "due"]}
    | {("as", "soon")}
)
# "to be" looks forward after a form of "be" or a verb of intention ("is to be held", "are to be named"), not
# after a participle ("have been determined to be those of a human", "was found to be").
FUTURE_TO_BE_AFTER = frozenset({"is", "are", "am", "set", "due", "going", "expected", "scheduled", "slated"})
PAST_WORDS = frozenset(
    (
        "said", "was", "were", "had", "did", "told", "met", "made", "took", "came", "went", "saw", "gave",
        "left", "rose", "fell", "won", "lost", "began", "held", "sold", "bought", "paid", "got", "found",
        "put", "hit", "cut", "ran", "spent", "fought", "led", "became", "brought", "thought", "knew",
        "grew", "drew", "sent", "felt", "kept", "meant", "stood", "struck", "wrote", "spoke", "broke",
        "chose", "shot", "slid", "sank", "fled", "sought", "ago", "last", "earlier", "yesterday", "has",
        "have", "been"
    )
)  # fmt: skip
PAST_AUXILIARIES = frozenset({"was", "were", "had", "did", "has", "have", "been"})
ED_EXCEPTIONS = frozenset(
    (
        "need", "speed", "red", "bed", "feed", "seed", "indeed", "hundred", "proceed", "exceed", "succeed",
        "breed", "greed", "shed", "weed", "wed", "bred", "sled", "embed", "united", "limited", "red-handed",
        "bloodshed", "sacred", "kindred", "naked", "wicked", "scheduled", "planned", "expected", "slated"
    )
)  # fmt: skip
BE_FORMS = frozenset(["be", "been", "being", "is", "are", "am", "was", "were", "to"])


def sentence_window(text: str, start: int, end: int) -> tuple[str, str]:
    """The part of the mention's sentence before and after it (bounded to 240 characters each side)."""
    lo = max(0, start - 240)
    before = text[lo:start]
    breaks = list(_SENTENCE_BREAK_RE.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    after = text[end : end + 240]
    brk = _SENTENCE_BREAK_RE.search(after)
    if brk:
        after = after[: brk.start()]
    return before, after


def _cue(tokens: list[str], i: int) -> str | None:
    """Tense signalled by token ``i`` (lower-cased tokens): "future", "past", "present" or None."""
    w = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if (w, nxt) in FUTURE_BIGRAMS:
        return "future"
    if (w, nxt) == ("to", "be") and i > 0 and tokens[i - 1] in FUTURE_TO_BE_AFTER:
        return "future"
    if w in FUTURE_WORDS:
        return "future"
    past_form = w in PAST_WORDS or (w.endswith("ed") and len(w) >= 5 and w not in ED_EXCEPTIONS)
    if past_form:
        prev = tokens[i - 1] if i > 0 else ""
        # A participle after an auxiliary ("will be held", "is expected") takes its tense from the auxiliary.
        return None if prev in BE_FORMS and w not in PAST_AUXILIARIES else "past"
    if w in {"is", "are", "am", "says", "say"}:
        return "present"
    return None


def clause_tense(text: str, start: int, end: int) -> str | None:
    """Nearest tense cue around a mention in its sentence: preceding cues first, then following ones."""
    before, after = sentence_window(text, start, end)
    toks_before = [t.lower().replace("’", "'") for t in _WORD_RE.findall(before)]
    for i in range(len(toks_before) - 1, max(-1, len(toks_before) - 13), -1):
        cue = _cue(toks_before, i)
        if cue:
            return cue
    toks_after = [t.lower().replace("’", "'") for t in _WORD_RE.findall(after)]
    for i in range(min(len(toks_after), 12)):
        cue = _cue(toks_after, i)
        if cue:
            return cue
    return None
