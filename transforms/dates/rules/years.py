"""Years, decades and centuries: "1989", "fiscal 2014", "the 1990s", "the '80s", "the 20th century", "nineteen
ninety-six". A bare four-digit number is a year only when nothing around it says it is an amount.
"""

from __future__ import annotations

import re

from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import MON_FULL, ORD_WORDS, SP, YEAR4, not_after
from transforms.dates.lexicon import NUMBER_WORDS, ORDINAL_WORDS, UNITS_1_19
from transforms.vocabulary import MONTHS

_SPELLED_TENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_TENS_ALT = "|".join(k for k in _SPELLED_TENS if _SPELLED_TENS[k] >= 10)
_UNITS_ALT = "|".join(UNITS_1_19[:9])

P_YEAR = rf"(?:(?P<fiscal>(?i:fiscal(?:[ \t]year)?|the[ \t]year|FY)){SP})?(?<![\d.,'])\b{YEAR4}(?!['’]?s\b)"
P_DECADE = rf"(?<![\w$])(?i:the{SP})?(?:(?P<cent>1[0-9]|20)(?P<dec>\d)0|['’](?P<dec2>\d)0)['’]?s\b"
P_CENTURY = rf"(?i:the{SP})?(?P<ord>\d{{1,2}}(?i:st|nd|rd|th)|(?i:{ORD_WORDS}))[ -](?i:century)\b"
P_SPELLED_YEAR = (
    rf"\b(?:(?P<smon>{MON_FULL}){SP})?(?i:nineteen)[ \t-](?P<stens>(?i:{_TENS_ALT}))"
    rf"(?:[ \t-](?P<sunit1>(?i:{_UNITS_ALT})))?\b"
    r"|(?:(?i:the[ \t]year[ \t])|(?<=[Ii]n[ \t])|(?<=[Bb]y[ \t]))(?P<thousand>(?i:two[ \t]thousand))"
    rf"(?:[ \t](?i:and[ \t])?(?P<tunit>(?i:{_UNITS_ALT})))?\b"
)

_YEAR_UNIT_AFTER_RE = re.compile(
    r"^(?:[ \t]?(?:%|-[ \t]?\d|[\d,.]\d|[:/]\d)|[ \t]{1,2}(?i:percent|per|people|persons|men|women|shares|"
    r"points?|troops|soldiers|miles|feet|foot|meters|metres|kilometers|km|tons|tonnes|barrels|dollars|"
    r"yen|euros?|pounds|cars|vehicles|units|employees|jobs|workers|students|acres|votes|members|pages|"
    r"copies|homes|houses|cases|deaths|kg|lbs?|mph|hours|minutes|seconds|days|weeks|months|years|"
    r"to[ \t]\d|and[ \t]\d)\b)"
)
_YEAR_BEFORE_BAD_RE = re.compile(
    r"(?:[$€£#№]|\d[,.\-/:]|[/:]|No\.[ \t]?|\b(?i:number|flight|route|model|page|pages|room|tel)[ \t])$"
)


def _norm_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if group(m, "fiscal") is None:
        before = ctx.text[max(0, m.start() - 8) : m.start()]
        after = ctx.text[m.end() : m.end() + 14]
        if _YEAR_BEFORE_BAD_RE.search(before) or _YEAR_UNIT_AFTER_RE.match(after):
            return None
    return "DATE", m.group("year")


def _norm_decade(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if m.group("cent"):
        return "DATE", m.group("cent") + m.group("dec")
    two = int(m.group("dec2"))
    century = "19" if two >= 2 else ("20" if ctx.anchor and ctx.anchor.year >= 2000 else "19")
    return "DATE", century + str(two)


def _norm_century(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    raw = m.group("ord")
    n = int(raw[:-2]) if raw[:1].isdigit() else ORDINAL_WORDS.get(raw.lower())
    if not n or n > 22:
        return None
    return "DATE", f"{n - 1:02d}"


def _norm_spelled_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if m.group("thousand"):
        unit = NUMBER_WORDS.get((m.group("tunit") or "").lower(), 0)
        return "DATE", f"{2000 + unit:04d}"
    tens = _SPELLED_TENS[m.group("stens").lower()]
    unit = NUMBER_WORDS.get((m.group("sunit1") or "").lower(), 0)
    year = 1900 + tens + unit
    if m.group("smon"):
        return "DATE", f"{year:04d}-{MONTHS[m.group('smon').lower()]:02d}"
    return "DATE", f"{year:04d}"


# rf"(?<!\d){Y4}(?!\d)", the look-behind after the first digit (fragments.not_after).
_T_YEAR = not_after(r"\d", ("1[0-9]", "20")) + r"\d\d(?!\d)"
YEAR = rule("year", P_YEAR, _norm_year, _T_YEAR, before=16, after=2)
DECADE = rule("decade", P_DECADE, _norm_decade, r"\d0['’]?s\b", before=12)
CENTURY = rule("century", P_CENTURY, _norm_century, r"(?i:century)", before=24, after=7, caseless=True)
SPELLED_YEAR = rule("spelled_year", P_SPELLED_YEAR, _norm_spelled_year, r"(?i:nineteen|two[ \t]thousand)",
                    before=12, after=30, caseless=True)  # fmt: skip
