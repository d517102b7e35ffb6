"""Dates written out: ISO and slashed dates, "March 14, 2014", "14 March", "Nov. 6", "March 2014", "the week of
March 6". A month-day without a year takes the year its clause's tense points to.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.dates.calendar import PART_OF_DAY, iso_week, resolve_year
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import DAY, MON, MON_ABBR, MON_FULL, ORD_WORDS, SP, WEEKDAY, Y4, YEAR4, not_after
from transforms.dates.lexicon import ORDINAL_WORDS
from transforms.vocabulary import MONTHS, WEEKDAYS

_YPHR = r"(?P<yphr>(?:1[0-9]|20)\d\d(?!\d)|(?i:this|last|next)[ \t]year)"
_MD_TAIL = (
    rf"(?:,?{SP}{YEAR4}|{SP}(?P<yphr>(?i:this|last|next)[ \t]year))?"
    rf"(?:{SP}(?P<tpart>(?i:morning|afternoon|evening|night)))?"
)
P_ISO = rf"\b(?P<y>{Y4})-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?:[T ](?P<hh>[0-2]\d):(?P<mm>[0-5]\d))?\b"
P_SLASH = rf"(?<![\d/])(?P<m>[01]?\d)/(?P<d>[0-3]?\d)/(?P<y>\d\d|{Y4})(?![\d/])"
P_MONTH_DAY = rf"(?:{WEEKDAY},?{SP})?(?<![A-Za-z]){MON}{SP}{DAY}(?![A-Za-z]){_MD_TAIL}"
P_DAY_MONTH = (
    rf"(?:{WEEKDAY},?{SP})?(?<![\d.,])"
    rf"(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?|(?i:the{SP})?(?P<dayw>(?i:{ORD_WORDS})))"
    rf"(?:{SP}(?i:of))?{SP}{MON}{_MD_TAIL}"
)
P_MONTH_YEAR = rf"(?<![A-Za-z]){MON}(?:{SP}(?i:of))?,?{SP}{_YPHR}"
P_WEEK_OF = rf"\b(?i:the[ \t]week[ \t]of){SP}(?<![A-Za-z]){MON}{SP}{DAY}(?![A-Za-z])(?:,?{SP}{YEAR4})?"
# Any month name or abbreviation, the trigger of the rules above: rf"(?<![A-Za-z])(?:{MON_FULL}|{MON_ABBR}|
# {MON_ABBR.upper()})(?![a-z])", the look-behind after the first letter (fragments.not_after).
T_MON = rf"{not_after('[A-Za-z]', f'{MON_FULL}|{MON_ABBR}|{MON_ABBR.upper()}'.split('|'))}(?![a-z])"


def day_of(m: re.Match[str]) -> int | None:
    raw = group(m, "day")
    if raw:
        return int(raw)
    word = group(m, "dayw")
    return ORDINAL_WORDS.get(word.lower()) if word else None


def month_of(m: re.Match[str]) -> int:
    return MONTHS[m.group("mon").lower().rstrip(".")]


def date_str(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _norm_iso(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    value = date_str(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    if value is None:
        return None
    if m.group("hh"):
        return "TIME", f"{value}T{m.group('hh')}:{m.group('mm')}"
    return "DATE", value


def _norm_slash(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    year = int(m.group("y"))
    if year < 100:
        year += 1900 if year >= 50 else 2000
    value = date_str(year, int(m.group("m")), int(m.group("d")))
    return ("DATE", value) if value else None


def year_from_phrase(phrase: str, ctx: Context) -> int | None:
    """Year for "1989", "this year", "last year", "next year"; None when unknown."""
    p = phrase.lower()
    if p[:1].isdigit():
        return int(p)
    if ctx.anchor is None:
        return None
    offset = {"this": 0, "last": -1, "next": 1}.get(p.split()[0])
    return ctx.anchor.year + offset if offset is not None else None


def norm_month_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month, day = month_of(m), day_of(m)
    if day is None or not 1 <= day <= 31:
        return None
    year_raw = group(m, "year") or group(m, "yphr")
    if year_raw:
        year = year_from_phrase(year_raw, ctx)
        if year is None:
            return "DATE", f"XXXX-{month:02d}-{day:02d}"
    elif ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}-{day:02d}"
    else:
        year = resolve_year(month, day, ctx.anchor, ctx.tense(m))
        wd = group(m, "wd")
        if wd:  # "Friday, Oct. 13": prefer the nearby year in which the weekday agrees
            for cand in (year, ctx.anchor.year, ctx.anchor.year - 1, ctx.anchor.year + 1):
                d = date_str(cand, month, day)
                if d and dt.date.fromisoformat(d).isoweekday() == WEEKDAYS[wd.lower()]:
                    year = cand
                    break
    value = date_str(year, month, day)
    if value is None:
        return None
    if group(m, "tpart"):
        return "TIME", value + "T" + PART_OF_DAY[m.group("tpart").lower()]
    return "DATE", value


def _norm_month_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month = month_of(m)
    year = year_from_phrase(m.group("yphr"), ctx)
    return "DATE", f"{year:04d}-{month:02d}" if year is not None else f"XXXX-{month:02d}"


def _norm_week_of(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    res = norm_month_day(m, ctx)
    if res is None or res[1].startswith("X"):
        return ("DATE", "XXXX-WXX") if res else None
    return "DATE", iso_week(dt.date.fromisoformat(res[1][:10]))


ISO = rule("iso", P_ISO, _norm_iso, r"\d-[01]\d-[0-3]\d", before=4, after=9)
SLASH = rule("slash", P_SLASH, _norm_slash, r"\d/\d", before=2, after=6)
MONTH_DAY = rule("month_day", P_MONTH_DAY, norm_month_day, T_MON, before=14, after=40)
DAY_MONTH = rule("day_month", P_DAY_MONTH, norm_month_day, T_MON, before=30, after=40)
MONTH_YEAR = rule("month_year", P_MONTH_YEAR, _norm_month_year, T_MON, after=30)
WEEK_OF = rule("week_of", P_WEEK_OF, _norm_week_of, r"(?i:week[ \t]of)", before=6, after=40, caseless=True)
