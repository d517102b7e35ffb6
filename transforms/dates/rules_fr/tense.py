"""Clause tense of French news around a mention: which way "lundi" or "le 5 janvier" points from the anchor.

The nearest cue in the mention's sentence decides, as in English (transforms/dates/tense.py): the futur simple
("recevra", "sera"), "va/vont" + infinitive, "prévu", "prochain" look forward; the passé composé's auxiliaries
("a", "ont", "s'est"), the imparfait of être/avoir and "hier", "dernier" look back; "est", "sont" are present.
"""

from __future__ import annotations

import re

from transforms.dates.tense import sentence_window

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(words.split())


FUTURE_WORDS = _wordset(
    "va vont allons allez sera seront serons aura auront devrait devraient doit doivent prévu prévue prévus "
    "prévues prévoit prévoient prochain prochaine prochains prochaines demain compte comptent entend entendent "
    "pourrait pourraient"
)
PAST_WORDS = _wordset(
    "a ont ai avons avez avait avaient avions eu eut fut furent était étaient hier dernier dernière derniers "
    "dernières déjà s'est s’est"
)
PRESENT_WORDS = _wordset("est sont")
# Futur simple endings ("annoncera", "recevront", "présenterons"); the words below end so without being verbs.
_FUTURE_ENDINGS = ("ra", "ront", "rons")
_PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées")
# Words after "est" ending like a participle that are not one ("est né" is, "est la clé" is not reached: the
# article comes first).
_NOT_PARTICIPLES = _wordset("été")
_NOT_FUTURE = _wordset("extra contra cobra opéra opera caméra camera tiara guerra sierra mantra chimera algebra")


def _cue(tokens: list[str], i: int) -> str | None:
    w = tokens[i]
    if w in FUTURE_WORDS:
        return "future"
    if w in PAST_WORDS:
        # "il y a" opens a duration back in time ("il y a trois jours"): a past cue too.
        return "past"
    if w in PRESENT_WORDS:
        # "est resté", "sont arrivés": the passé composé of verbs conjugated with être.
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        return "past" if nxt.endswith(_PARTICIPLE_ENDINGS) and nxt not in _NOT_PARTICIPLES else "present"
    if len(w) >= 6 and w.endswith(_FUTURE_ENDINGS) and w not in _NOT_FUTURE:
        return "future"
    return None


def clause_tense_fr(text: str, start: int, end: int) -> str | None:
    """Nearest tense cue around a mention in its sentence: preceding cues first, then following ones."""
    before, after = sentence_window(text, start, end)
    toks = [t.lower() for t in _WORD_RE.findall(before)]
    for i in range(len(toks) - 1, max(-1, len(toks) - 13), -1):
        if cue := _cue(toks, i):
            return cue
    toks = [t.lower() for t in _WORD_RE.findall(after)]
    for i in range(min(len(toks), 12)):
        if cue := _cue(toks, i):
            return cue
    return None
