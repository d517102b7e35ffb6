"""The temporal tagger's engine: rules, the per-document context, and the matching loop.

1. A :class:`Rule` is a compiled regex plus a normalizer that returns (type, value) or None to reject. Regexes
   are linear (no nested unbounded quantifiers), so any ``str`` is safe; rules that open with optional modifiers
   only run around a cheap keyword trigger.
2. Overlapping accepted candidates are resolved longest-first (ties: the earlier rule of the table), so mentions
   never overlap.
3. Mentions are normalized left to right with a small per-document :class:`Context` (the anchor, the last
   explicit fiscal quarter) so "the year-earlier quarter" follows the quarter the story is about.

The engine knows no rule: :func:`tag` runs the table it is given (transforms/dates/rules/).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from transforms.dates.tense import clause_tense

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimexMention:
    """One temporal expression: ``body[start:end] == text``; ``value`` is TIMEX3-style."""

    text: str
    start: int
    end: int
    type: str  # "DATE" | "TIME" | "DURATION" | "SET"
    value: str


@dataclass(slots=True)
class Context:
    """Per-document normalization state."""

    text: str
    anchor: dt.date | None
    quarter: tuple[int, int] | None = None  # last explicitly mentioned fiscal quarter (year, q)

    def tense(self, m: re.Match[str]) -> str | None:
        return clause_tense(self.text, m.start(), m.end())


Normalizer = Callable[[re.Match[str], Context], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern and the function that turns its match into (type, value); None rejects the match.

    With a ``trigger`` (a cheap keyword regex) the pattern only runs in a window of ``before``/``after``
    characters around each trigger hit: patterns that open with optional modifiers ("the past", "nearly")
    cannot use the regex engine's first-character skip, so scanning every position would be slow.
    ``lower_trigger`` is the same trigger without its case-insensitive flags, for the lower-cased text (see
    ``FOLD_UNSAFE_RE``); set only for triggers that are case-insensitive throughout.
    """

    name: str
    pattern: re.Pattern[str]
    normalize: Normalizer
    trigger: re.Pattern[str] | None = None
    before: int = 0
    after: int = 0
    lower_trigger: re.Pattern[str] | None = None


def rule(
    name: str,
    pattern: str,
    normalize: Normalizer,
    trigger: str | None = None,
    before: int = 0,
    after: int = 0,
    caseless: bool = False,
) -> Rule:
    """A rule; ``caseless`` says every letter of ``trigger`` is inside a ``(?i:...)`` group."""
    lower_trigger = None
    if caseless:
        if trigger is None:
            raise ValueError(f"rule {name}: caseless needs a trigger")
        source = trigger.replace("(?i:", "(?:")
        if source != source.lower():
            raise ValueError(f"rule {name}: a caseless trigger must be written in lower case, got {trigger!r}")
        lower_trigger = re.compile(source)
    return Rule(
        name, re.compile(pattern), normalize, re.compile(trigger) if trigger else None, before, after, lower_trigger
    )


def group(m: re.Match[str], name: str) -> str | None:
    """Named group or None when the pattern has no such group."""
    try:
        return m.group(name)
    except IndexError:
        return None


# Modifiers that TimeML puts inside the extent of the expression they modify ("late November", "mid-1990s").
_PREFIX_RE = re.compile(
    r"(?:\b(?i:early|late|mid|the[ \t]end[ \t]of|the[ \t]beginning[ \t]of|the[ \t]start[ \t]of|"
    r"the[ \t]middle[ \t]of|the[ \t]turn[ \t]of|the[ \t](?:early|late|mid)|the[ \t](?:first|second|last)"
    r"[ \t]half[ \t]of|the[ \t]end[ \t]of[ \t]the|earlier|later)(?:[ \t]|-)|\bmid-)$"
)

_Candidate = tuple[int, int, int, re.Match[str]]  # (start, end, rule index, match)


def _normalize(rule: Rule, m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    try:
        return rule.normalize(m, ctx)
    except (ValueError, KeyError, OverflowError, IndexError, TypeError, AttributeError) as exc:
        LOGGER.debug("rule %s failed on %r: %s", rule.name, m.group(0), exc)
        return None


# Characters that re's IGNORECASE takes for an ASCII letter but str.lower() does not turn into that letter (or,
# for "İ", turns into two characters). In a text without them, a case-insensitive trigger finds exactly the spans
# that its lower-case, case-sensitive form finds in text.lower() (tests/test_timex.py checks every code point);
# the regex engine skips ahead to a case-sensitive pattern's first letters but tries every position otherwise.
FOLD_UNSAFE_RE = re.compile("[\u0130\u0131\u017f]")


def lowered(text: str) -> str | None:
    """``text.lower()`` for the caseless triggers, or None when that could change what they find."""
    return None if FOLD_UNSAFE_RE.search(text) else text.lower()


def trigger_hits(rule: Rule, text: str, lower: str | None = None) -> list[tuple[int, int]]:
    """Spans of ``rule.trigger`` in ``text``, scanned in ``lower`` (see ``lowered``) when the rule allows it."""
    assert rule.trigger is not None
    if lower is not None and rule.lower_trigger is not None:
        return [m.span() for m in rule.lower_trigger.finditer(lower)]
    return [m.span() for m in rule.trigger.finditer(text)]


def triggered(rule: Rule, text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[re.Match[str]]:
    """Matches of ``rule.pattern`` that cover a trigger hit, searched only in a window around it."""
    seen: set[tuple[int, int]] = set()
    size = len(text)
    for hit_start, hit_end in trigger_hits(rule, text) if hits is None else hits:
        lo, hi = max(0, hit_start - rule.before), min(size, hit_end + rule.after)
        pos = lo
        while pos <= hit_start:
            m = rule.pattern.search(text, pos, hi)
            if m is None or m.start() > hit_start:
                break
            if m.end() >= hit_end:
                if m.span() not in seen:
                    seen.add(m.span())
                    yield m
                break
            pos = m.start() + 1


def _candidates(text: str, anchor: dt.date | None, rules: Sequence[Rule]) -> list[_Candidate]:
    """Every rule match that its normalizer accepts (with a scratch context, so rejects cannot shadow
    shorter valid matches during overlap resolution)."""
    scratch = Context(text=text, anchor=anchor)
    out: list[_Candidate] = []
    lower = lowered(text)
    hits_by_trigger: dict[re.Pattern[str], list[tuple[int, int]]] = {}  # rules that share a trigger scan once
    for idx, rule in enumerate(rules):
        if rule.trigger is None:
            matches: Iterator[re.Match[str]] = rule.pattern.finditer(text)
        else:
            hits = hits_by_trigger.get(rule.trigger)
            if hits is None:
                hits = hits_by_trigger[rule.trigger] = trigger_hits(rule, text, lower)
            matches = triggered(rule, text, hits)
        for m in matches:
            start, end = m.span()
            # Trailing whitespace can be swallowed by optional groups; it is never part of the extent.
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start and _normalize(rule, m, scratch) is not None:
                out.append((start, end, idx, m))
    return out


def _select(cands: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping candidates: the longest of any overlapping run wins, ties go to the earlier rule."""
    cands.sort(key=lambda c: (c[0], c[0] - c[1], c[2]))
    chosen: list[_Candidate] = []
    for cand in cands:
        if chosen and cand[0] < chosen[-1][1]:
            last = chosen[-1]
            if cand[1] - cand[0] > last[1] - last[0]:
                chosen[-1] = cand
            continue
        chosen.append(cand)
    return chosen


def _extend_prefix(text: str, start: int, typ: str) -> int:
    if typ != "DATE":
        return start
    m = _PREFIX_RE.search(text, max(0, start - 24), start)
    return m.start() if m and m.end() == start else start


def tag(text: str, anchor: dt.date | None, rules: Sequence[Rule]) -> list[TimexMention]:
    """Mentions of ``rules`` in ``text``, sorted by start, non-overlapping, values resolved against ``anchor``.

    Never raises: a rule that fails on an odd input is logged and its mention skipped.
    """
    if not isinstance(text, str) or not text:
        return []
    if isinstance(anchor, dt.datetime):
        anchor = anchor.date()
    ctx = Context(text=text, anchor=anchor)
    try:
        chosen = _select(_candidates(text, anchor, rules))
    except (RecursionError, MemoryError):  # pragma: no cover - defensive, regexes are linear
        LOGGER.warning("temporal tagging skipped a %d-character text", len(text))
        return []
    out: list[TimexMention] = []
    last_end = 0
    for start, end, idx, m in chosen:
        result = _normalize(rules[idx], m, ctx)
        if result is None:
            continue
        typ, value = result
        extended = _extend_prefix(text, start, typ)
        if extended >= last_end:  # never grow into the previous mention
            start = extended
        out.append(TimexMention(text=text[start:end], start=start, end=end, type=typ, value=value))
        last_end = end
    return out
