"""Days named relative to the anchor: weekdays ("on Sunday", "last Friday night"), deictic days ("yesterday",
"the day after tomorrow"), "this morning"/"last night", and public holidays ("Christmas Day", "last
Thanksgiving"). A bare weekday points the way its clause's tense does.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.dates.calendar import PART_OF_DAY as PART_CODES
from transforms.dates.calendar import holiday_date, resolve_weekday, resolve_year
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import PART, REL, SP, SPACES_RE, WKDAY, Y4
from transforms.dates.fragments import WEEKDAY as WEEKDAY_WORD
from transforms.vocabulary import WEEKDAYS

_HOLIDAYS = (
    r"Christmas(?:[ \t](?:Day|Eve))?|New[ \t]Year['’]s[ \t](?:Day|Eve)|Thanksgiving(?:[ \t]Day)?|"
    r"Independence[ \t]Day|Halloween|Valentine['’]s[ \t]Day|Veterans[ \t]Day|Boxing[ \t]Day|"
    r"Election[ \t]Day|Labor[ \t]Day|Memorial[ \t]Day|Easter(?:[ \t]Sunday)?"
)
P_WEEKDAY = rf"(?:{REL}{SP})?(?<![A-Za-z]){WEEKDAY_WORD}(?:{SP}{PART})?"
P_DEICTIC_DAY = (
    rf"\b(?:(?P<before>(?i:the{SP}day{SP}before)){SP}|(?P<after>(?i:the{SP}day{SP}after)){SP})?"
    rf"(?P<dd>(?i:today|yesterday|tomorrow|tonight))\b(?:{SP}{PART})?"
)
P_PART_OF_DAY = rf"\b(?P<rel>(?i:this|last))[ \t]{PART}\b"
P_HOLIDAY = rf"(?:{REL}{SP})?\b(?P<hol>{_HOLIDAYS})\b(?:,?{SP}(?P<hyear>{Y4}))?"

# Sunday papers named for the day: "the Herald on Sunday", "The Mail on Sunday", "the Independent on Sunday" —
# "Sunday" there is part of a title, not a date. Only names that are not also places ("Scotland on Sunday" is
# both) and that the capital letter marks as a title.
_SUNDAY_PAPER_RE = re.compile(r"\b(?:Herald|Mail|Independent)[ \t]on[ \t]$")

# Day offset from the anchor of each deictic day word.
DEICTIC_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1, "tonight": 0}


def _names_a_sunday_paper(m: re.Match[str], ctx: Context) -> bool:
    return _SUNDAY_PAPER_RE.search(ctx.text[max(m.start() - 20, 0) : m.start()]) is not None


def _norm_weekday(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    wd = WEEKDAYS[m.group("wd").lower()]
    part = group(m, "part")
    if wd == 7 and not part and m.group(0) == m.group("wd") and _names_a_sunday_paper(m, ctx):
        return None
    suffix = "T" + PART_CODES[part.lower()] if part else ""
    if ctx.anchor is None:
        return ("TIME" if part else "DATE"), f"XXXX-WXX-{wd}{suffix}"
    rel = (group(m, "rel") or "").lower().split()
    rel_word = rel[-1] if rel else ""
    if rel_word in {"last", "past", "previous"}:
        direction = "last"
    elif rel_word in {"next"}:
        direction = "next"
    elif rel_word in {"this", "coming"}:
        direction = "future"
    else:
        tense = ctx.tense(m)
        direction = "future" if tense in {"future", "present"} else "past"
    day = resolve_weekday(wd, ctx.anchor, direction)
    return ("TIME" if part else "DATE"), day.isoformat() + suffix


def _norm_deictic_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    word = m.group("dd").lower()
    offset = DEICTIC_DAYS[word]
    if group(m, "before"):
        offset -= 1
    if group(m, "after"):
        offset += 1
    part = group(m, "part") or ("night" if word == "tonight" else None)
    if ctx.anchor is None:
        if word == "today" and not part:
            return "DATE", "PRESENT_REF"
        base = "XXXX-XX-XX"
    else:
        base = (ctx.anchor + dt.timedelta(days=offset)).isoformat()
    if part:
        return "TIME", f"{base}T{PART_CODES[part.lower()]}"
    return "DATE", base


def _norm_part_of_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    rel = m.group("rel").lower()
    offset = -1 if rel == "last" else 0
    if rel == "last" and m.group("part").lower() != "night":
        return None  # "last morning" is not idiomatic English; avoid false hits
    base = (ctx.anchor + dt.timedelta(days=offset)).isoformat() if ctx.anchor else "XXXX-XX-XX"
    return "TIME", f"{base}T{PART_CODES[m.group('part').lower()]}"


def _norm_holiday(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    name = SPACES_RE.sub(" ", m.group("hol").lower()).replace("’", "'")
    yphr = group(m, "hyear")
    rel = (group(m, "rel") or "").lower()
    if yphr:
        year = int(yphr)
    elif ctx.anchor is None:
        probe = holiday_date(name, 2001)
        return "DATE", f"XXXX-{probe:%m-%d}" if probe and "easter" not in name else "XXXX-XX-XX"
    else:
        year = ctx.anchor.year
        this_year = holiday_date(name, year)
        if this_year is None:
            return None
        rel_word = rel.split()[-1] if rel else ""
        if rel_word in {"last", "past", "previous"}:
            year = year - 1 if this_year >= ctx.anchor else year
        elif rel_word in {"next", "this", "coming"}:
            year = year + 1 if this_year < ctx.anchor else year
        else:
            year = resolve_year(this_year.month, this_year.day, ctx.anchor, ctx.tense(m))
    day = holiday_date(name, year)
    return ("DATE", day.isoformat()) if day else None


WEEKDAY = rule("weekday", P_WEEKDAY, _norm_weekday, rf"(?:{WKDAY})(?![a-z])", before=16, after=12)
DEICTIC_DAY = rule("deictic_day", P_DEICTIC_DAY, _norm_deictic_day, r"(?i:today|yesterday|tomorrow|tonight)",
                   before=30, after=12, caseless=True)  # fmt: skip
PART_OF_DAY = rule("part_of_day", P_PART_OF_DAY, _norm_part_of_day, r"(?i:morning|afternoon|evening|night)",
                   before=6, caseless=True)  # fmt: skip
HOLIDAY = rule("holiday", P_HOLIDAY, _norm_holiday, _HOLIDAYS, before=16, after=8)
