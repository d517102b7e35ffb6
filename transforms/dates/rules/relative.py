"""Units counted from the anchor: "last week", "this year", "the coming decade", "the weekend", "three years
ago", "two days from now". A quarter named this way becomes the document's quarter under discussion.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.dates.calendar import iso_week, quarter_of, resolve_weekday, shift_months, shift_quarter
from transforms.dates.engine import Context, rule
from transforms.dates.fragments import NUM, SP, UNIT
from transforms.dates.lexicon import TIME_UNITS, parse_number

P_RELATIVE_UNIT = (
    r"\b(?P<rel>(?i:(?:earlier|later|early|late|the[ \t]end[ \t]of|the[ \t]rest[ \t]of)[ \t])?"
    r"(?i:this|last|next|the[ \t]current|the[ \t]previous|the[ \t]coming|the[ \t]latest|the[ \t]past|"
    r"the[ \t]last|the))"
    rf"{SP}(?P<runit>(?i:week(?:end)?|month|year|quarter|decade|century))\b"
    r"(?![ -](?i:ago|earlier|old|of\b))"
)
P_AGO = (
    r"\b(?:(?i:nearly|almost|about|around|roughly|some|more[ \t]than|less[ \t]than|over|just|only|"
    rf"at[ \t]least|barely){SP})?{NUM}[ \t-]{{1,2}}{UNIT}{SP}"
    r"(?P<dir>(?i:ago|earlier|before|back|from[ \t]now|hence))\b"
)


def _offset_value(unit: str, n: int, ctx: Context) -> str:
    """Anchor moved by ``n`` units, at that unit's granularity."""
    a = ctx.anchor
    if unit == "year":
        return f"{a.year + n:04d}" if a else "XXXX"
    if unit == "month":
        if a is None:
            return "XXXX-XX"
        y, mo = shift_months(a.year, a.month, n)
        return f"{y:04d}-{mo:02d}"
    if unit == "week":
        return iso_week(a + dt.timedelta(weeks=n)) if a else "XXXX-WXX"
    if unit == "day":
        return (a + dt.timedelta(days=n)).isoformat() if a else "XXXX-XX-XX"
    if unit == "quarter":
        if a is None:
            return "XXXX-QX"
        y, q = shift_quarter(*quarter_of(a), n)
        return f"{y:04d}-Q{q}"
    if unit == "weekend":
        if a is None:
            return "XXXX-WXX-WE"
        return iso_week(a + dt.timedelta(weeks=n)) + "-WE"
    if unit == "decade":
        return f"{(a.year // 10 + n):03d}" if a else "XXX"
    if unit == "century":
        return f"{(a.year // 100 + n):02d}" if a else "XX"
    raise ValueError(unit)


_REL_OFFSETS = {
    "last": -1, "past": -1, "previous": -1, "this": 0, "current": 0, "next": 1, "coming": 1, "following": 1,
    "latest": -1, "the": 0,
}  # fmt: skip


# "over the last decade" spans the years up to the anchor; "in the last decade" may name the calendar decade
# before it (TimeBank reads it so), "the past decade" never does.
_SPAN_BEFORE_RE = re.compile(r"(?i:\b(?:over|during|throughout|across|within|for))[ \t]$")


def _is_span(m: re.Match[str], ctx: Context, rel: str) -> bool:
    words = m.group("rel").lower().split()
    if words[-2:-1] != ["the"]:
        return False
    if rel == "past":
        return True
    return rel == "last" and _SPAN_BEFORE_RE.search(ctx.text[max(m.start() - 12, 0) : m.start()]) is not None


def _norm_relative_unit(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    rel = m.group("rel").lower().split()[-1]
    unit = m.group("runit").lower()
    if unit == "weekend" and rel == "the" and ctx.anchor is not None:
        # "the weekend": the one just past in a past-tense clause, else the coming one.
        tense = ctx.tense(m)
        sat = resolve_weekday(6, ctx.anchor, "past" if tense == "past" else "future")
        return "DATE", iso_week(sat) + "-WE"
    if unit == "quarter" and rel in {"the", "latest"}:
        if ctx.quarter:
            return "DATE", f"{ctx.quarter[0]:04d}-Q{ctx.quarter[1]}"
        rel = "last"  # the most recently completed quarter
    if rel == "the" and unit in {"week", "month", "year"}:
        rel = "this"
    if unit in {"decade", "century"} and _is_span(m, ctx, rel):
        # "over the past decade": the ten years up to the anchor, not the calendar decade before it
        return "DURATION", "P10Y" if unit == "decade" else "P100Y"
    offset = _REL_OFFSETS[rel]
    on_sunday = ctx.anchor is not None and ctx.anchor.isoweekday() == 7
    if unit == "week" and rel == "this" and on_sunday and ctx.tense(m) == "future":
        offset = 1  # written on a Sunday, the last day of its ISO week, "will … this week" means the coming one
    if unit == "quarter" and ctx.anchor is not None:
        y, q = shift_quarter(*quarter_of(ctx.anchor), offset)
        ctx.quarter = (y, q)
        return "DATE", f"{y:04d}-Q{q}"
    return "DATE", _offset_value(unit, offset, ctx)


def _norm_ago(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    n = parse_number(m.group("num"))
    unit = m.group("unit").lower().rstrip("s")
    unit = "century" if unit == "centurie" else unit
    direction = -1 if m.group("dir").lower() in {"ago", "earlier", "before", "back"} else 1
    if n is None:  # "several years ago"
        return "DATE", "PAST_REF" if direction < 0 else "FUTURE_REF"
    if unit in TIME_UNITS or n != int(n):
        return None
    if ctx.anchor is None:
        return "DATE", _offset_value(unit, 0, ctx)
    n_int = int(n) * direction
    if unit == "year" and abs(n_int) == 1 and ctx.quarter is not None:
        # Financial news: "a year earlier" next to a quarter means the same quarter one year before.
        return "DATE", f"{ctx.quarter[0] + n_int:04d}-Q{ctx.quarter[1]}"
    if unit == "decade":
        return "DATE", f"{ctx.anchor.year + 10 * n_int:04d}"
    if unit == "century":
        return "DATE", f"{(ctx.anchor.year + 100 * n_int) // 100:02d}"
    return "DATE", _offset_value(unit, n_int, ctx)


RELATIVE_UNIT = rule("relative_unit", P_RELATIVE_UNIT, _norm_relative_unit,
                     r"(?i:week|month|year|quarter|decade|century)", before=40, after=12, caseless=True)  # fmt: skip
AGO = rule("ago", P_AGO, _norm_ago, r"(?i:\b(?:ago|earlier|before|back|from[ \t]now|hence)\b)", before=70,
           caseless=True)  # fmt: skip
