"""Fiscal periods of financial news: "the third quarter of 1989", "the first half", "the year-ago quarter", "the
1988 period", "the latest quarter". An explicit quarter becomes the document's quarter under discussion, which
the later "year-earlier" and "latest" periods refer to.
"""

from __future__ import annotations

import re

from transforms.dates.calendar import quarter_of, shift_quarter
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import SP, Y4, YEAR4
from transforms.dates.rules.absolute import year_from_phrase

P_QUARTER = (
    rf"\b(?:(?i:the){SP})?(?:(?P<qyear>(?i:this[ \t]year['’]s|last[ \t]year['’]s|next[ \t]year['’]s|"
    rf"fiscal[ \t]{Y4}['’]s|{Y4}['’]s|{Y4})){SP})?"
    rf"(?:(?P<qago2>(?i:year[ \t-](?:ago|earlier))){SP})?(?:(?i:fiscal|calendar|current|latest){SP})?"
    r"(?P<qord>(?i:first|second|third|fourth|1st|2nd|3rd|4th|final|last))[ \t-]"
    r"(?P<qunit>(?i:quarter|half))(?!-?(?i:s\b|ly))"
    rf"(?:{SP}(?i:of){SP}(?P<qyear2>{Y4}|(?i:this|last|next|fiscal)[ \t](?:year|{Y4}))"
    rf"|(?P<qago>{SP}(?i:a[ \t]year[ \t](?:earlier|ago|before))))?"
)
P_YEAR_PERIOD = rf"\b(?i:the){SP}{YEAR4}{SP}(?i:quarter|period|three[ \t]months)\b"
_YEAR_AGO = r"(?i:year[ \t-](?:earlier|ago)|prior[ \t-]year|year[ \t]before)"
P_YEAR_AGO_PERIOD = rf"\b(?:(?i:the){SP})?{_YEAR_AGO}(?:{SP}(?i:quarter|period|three[ \t]months))?\b"
P_LATEST_PERIOD = r"\b(?P<rel>(?i:the[ \t]latest|the[ \t]same))[ \t](?P<runit>(?i:period|quarter))\b"


_QUARTER_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                     "final": 4, "last": 4}  # fmt: skip


def _norm_quarter(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    q = _QUARTER_ORDINALS[m.group("qord").lower()]
    half = m.group("qunit").lower().startswith("half")
    if m.group("qord").lower() == "last":
        if not half:
            return None  # "last quarter" is the previous quarter (relative_unit), not Q4
        q = 2
    if half and q > 2:
        return None
    yphr = group(m, "qyear") or group(m, "qyear2")
    year: int | None
    if yphr:
        yphr = yphr.lower().replace("'s", "").replace("’s", "").replace("fiscal", "").strip()
        year = year_from_phrase(yphr, ctx) if yphr else None
    else:
        year = ctx.anchor.year if ctx.anchor else None
        if ctx.anchor and not half and q > quarter_of(ctx.anchor)[1] and ctx.tense(m) == "past":
            year = ctx.anchor.year - 1
    ago = bool(group(m, "qago") or group(m, "qago2"))
    if ago and year is not None:
        year -= 1
    ystr = f"{year:04d}" if year is not None else "XXXX"
    if half:
        return "DATE", f"{ystr}-H{q}"
    if year is not None and not ago:
        ctx.quarter = (year, q)
    return "DATE", f"{ystr}-Q{q}"


def _norm_ago_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """ "the year-earlier quarter", "the year-ago period": the quarter under discussion, a year back."""
    ref = ctx.quarter
    if ref is None and ctx.anchor is not None:
        ref = shift_quarter(*quarter_of(ctx.anchor), -1)
    if ref is None:
        return "DATE", "XXXX-QX"
    return "DATE", f"{ref[0] - 1:04d}-Q{ref[1]}"


def _norm_year_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """ "the 1988 quarter": the quarter under discussion, in that year."""
    q: int | None = None
    if ctx.quarter:
        q = ctx.quarter[1]
    elif ctx.anchor:
        q = shift_quarter(*quarter_of(ctx.anchor), -1)[1]
    return "DATE", f"{m.group('year')}-Q{q}" if q else m.group("year")


def _norm_relative_unit_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """ "the latest period" / "the latest quarter": the quarter under discussion."""
    if ctx.quarter:
        return "DATE", f"{ctx.quarter[0]:04d}-Q{ctx.quarter[1]}"
    if ctx.anchor is None:
        return "DATE", "XXXX-QX"
    y, q = shift_quarter(*quarter_of(ctx.anchor), -1)
    return "DATE", f"{y:04d}-Q{q}"


QUARTER = rule("quarter", P_QUARTER, _norm_quarter, r"(?i:quarter|half)", before=70, after=40, caseless=True)
YEAR_PERIOD = rule("year_period", P_YEAR_PERIOD, _norm_year_period, r"(?i:quarter|period|three[ \t]months)",
                   before=12, caseless=True)  # fmt: skip
YEAR_AGO_PERIOD = rule("year_ago_period", P_YEAR_AGO_PERIOD, _norm_ago_period, _YEAR_AGO, before=6, after=20,
                       caseless=True)  # fmt: skip
LATEST_PERIOD = rule("latest_period", P_LATEST_PERIOD, _norm_relative_unit_period, r"(?i:period|quarter)",
                     before=14, caseless=True)  # fmt: skip
