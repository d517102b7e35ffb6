"""Vague references to the present, past and future: "now", "currently", "recently", "the near future", "in
recent years" (TIMEX3 PRESENT_REF, PAST_REF, FUTURE_REF).
"""

from __future__ import annotations

import re

from transforms.dates.engine import Context, rule
from transforms.dates.fragments import SPACES_RE

P_REF = (
    r"\b(?P<ref>(?i:as[ \t]soon[ \t]as[ \t]possible|the[ \t]near[ \t]future|the[ \t]future|now|"
    r"currently|current|nowadays|at[ \t]present|at[ \t]the[ \t]moment|these[ \t]days|the[ \t]present|"
    r"right[ \t]now|recently|lately|the[ \t]past))\b(?![-'’])"
)
P_RECENT = (
    r"\b(?i:(?:the[ \t]|in[ \t])?(?:most[ \t])?recent[ \t]"
    r"(?:years|months|weeks|days|decades|times|history))\b"
)


_REF_VALUES = {
    "now": "PRESENT_REF", "currently": "PRESENT_REF", "current": "PRESENT_REF", "nowadays": "PRESENT_REF",
    "at present": "PRESENT_REF", "at the moment": "PRESENT_REF", "these days": "PRESENT_REF",
    "the present": "PRESENT_REF", "right now": "PRESENT_REF", "just now": "PAST_REF",
    "recently": "PAST_REF", "recent": "PAST_REF", "lately": "PAST_REF", "previously": "PAST_REF",
    "formerly": "PAST_REF", "the past": "PAST_REF", "once": "PAST_REF", "earlier": "PAST_REF",
    "soon": "FUTURE_REF", "the future": "FUTURE_REF", "future": "FUTURE_REF", "shortly": "FUTURE_REF",
    "as soon as possible": "FUTURE_REF", "the near future": "FUTURE_REF", "eventually": "FUTURE_REF",
}  # fmt: skip


def _norm_ref(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    word = SPACES_RE.sub(" ", m.group("ref").lower())
    if word == "current":
        # "current" is temporal as a bare adverbial adjective ("current levels"), not in fixed terms.
        after = ctx.text[m.end() : m.end() + 12].lower()
        if after.startswith((" account", " affairs", " events", " and former", "ly")):
            return None
    return "DATE", _REF_VALUES[word]


def _norm_recent(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    return "DATE", "PAST_REF"


REF = rule("ref", P_REF, _norm_ref, r"(?i:now|current|present|moment|these[ \t]days|recently|lately|past|future|"
           r"as[ \t]soon)", before=16, after=16, caseless=True)  # fmt: skip
RECENT = rule("recent", P_RECENT, _norm_recent, r"(?i:recent)", before=12, after=12, caseless=True)
