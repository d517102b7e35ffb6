"""Durations: "three years", "the past 24 hours", "nearly a decade", "a 10-year plan". "A"/"an" + unit after an
amount ("$5 million a year", "twice a day") is a frequency, so a SET.
"""

from __future__ import annotations

import re

from transforms.dates.engine import Context, rule
from transforms.dates.fragments import NUM, SP, UNIT
from transforms.dates.lexicon import UNIT_CODES, duration_value, parse_number

P_DURATION = (
    r"\b(?:(?i:inside[ \t]of|less[ \t]than|more[ \t]than|at[ \t]least|nearly|almost|about|around|"
    r"roughly|some|over|under|up[ \t]to|the[ \t](?:past|last|next|first|previous|coming|following)|"
    rf"another|the[ \t]better[ \t]part[ \t]of){SP})?{NUM}(?P<hyph>-|[ \t]{{1,2}}){UNIT}(?![A-Za-z])"
)
T_UNIT = r"(?i:second|minute|hour|day|week|month|year|decade|centur|quarter)"

# Words after "a second" that keep it a duration ("a second later", "for a second or two"); any other word makes
# it the ordinal ("a second wave", "a second virus lockdown", "a second time").
_AFTER_A_SECOND_RE = re.compile(
    r"[ \t]+(?!(?:later|earlier|ago|before|after|longer|more|or|and|of|to|in|on|at|for|when|while|than|that|"
    r"too|apart|each|per|faster|slower)\b)[A-Za-z]"
)
# An amount or a multiplier right before "a"/"an" + unit: a rate ("$5 million a year", "twice a day").
_RATE_BEFORE_RE = re.compile(r"(?:illion|\d|percent|%|cents?|dollars|times|twice|once|thrice)\W{0,2}$")


def _norm_duration(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    unit = m.group("unit").lower()
    num_raw = m.group("num")
    n = parse_number(num_raw)
    if num_raw.lower() in {"a", "an"}:
        # "$5 million a year", "twice a day" are frequencies (SET), not durations.
        before = ctx.text[max(0, m.start() - 12) : m.start()].lower()
        if _RATE_BEFORE_RE.search(before):
            return "SET", f"P1{UNIT_CODES[unit.rstrip('s').replace('centurie', 'century')]}"
        if unit == "second" and _AFTER_A_SECOND_RE.match(ctx.text, m.end()):
            return None
    if n is not None and n > 1000:
        return None
    return "DURATION", duration_value(n, unit)


DURATION = rule("duration", P_DURATION, _norm_duration, T_UNIT, before=60, after=10, caseless=True)
