"""Calendar dates in French: "le 5 janvier", "lundi 5 janvier 2026", "1er mars", "janvier 2026", "début mars",
"fin 2025", "mi-juin", "en mars", "mars dernier", "en 2024", seasons ("cet été", "l'hiver dernier", "au printemps
2026"), "05/01/2026" (day first), "2026-01-05".

Month words are lower-case in French prose; a month without a day or a year needs a frame (a preposition,
"début/fin/mi-", "dernier/prochain") because "mars" and "mai" are also other words. The year of a yearless date
comes from its clause's tense, as in English (transforms/dates/calendar.py ``resolve_year``).
"""

from __future__ import annotations

import re

from transforms.dates.calendar import resolve_year, season_year
from transforms.dates.engine import Context, group, rule
from transforms.dates.rules.absolute import date_str
from transforms.dates.rules_fr.fragments import DAY, MON, SP, WEEKDAY, YEAR
from transforms.dates.rules_fr.tense import clause_tense_fr
from transforms.vocabulary import MONTHS_FR

_MOD = r"(?P<mod>(?i:début|debut|fin|mi-|courant|mi[ \t]))"
P_DAY_MONTH = rf"(?:{WEEKDAY}{SP})?{DAY}{SP}{MON}(?:{SP}{YEAR})?"
P_MONTH_YEAR = rf"(?:{_MOD}(?:{SP})?)?{MON}{SP}{YEAR}"
P_MONTH = (
    rf"(?:{_MOD}(?:{SP})?)?{MON}(?:{SP}(?P<rel>(?i:dernier|prochain|passé)))?(?![ \t]\d)"
)
P_YEAR = rf"(?:{_MOD}(?:{SP})?)?(?<![\d/.,-]){YEAR}(?![\d/.,-]\d)"
# A season needs its frame: "été" is also the participle of être ("a été").
P_SEASON = (
    r"(?:(?<![\w-])(?P<frame>(?i:cet|cette|l['’]|fin|début|mi-))(?:[ \t]{1,2})?)?(?<![\w-])"
    r"(?P<season>(?i:printemps|été|automne|hiver))(?![\w-])"
    rf"(?:{SP}(?P<rel>(?i:dernier|prochain)))?(?:{SP}{YEAR})?"
)
P_NUMERIC = r"(?<![\d/.])(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.](?P<y>(?:19|20)\d\d)(?![\d/.]\d)"
P_ISO = r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?!\d)"

# Words before a bare month or year that make it a date: "en mars", "depuis 2020", "d'ici 2030", "jusqu'en mai".
_FRAME_RE = re.compile(
    r"(?i:(?<![\w])(?:en|depuis|dès|des|d['’]ici|jusqu['’]en|jusqu['’]à|avant|après|pour|vers|au[ \t]mois[ \t]de|"
    r"mois[ \t]de|fin|début|entre|et|de|du)[ \t]{1,2})$"
)


def _month(m: re.Match[str]) -> int:
    return MONTHS_FR[m.group("mon").lower().rstrip(".")]


def _day(m: re.Match[str]) -> int:
    raw = m.group("day")
    return 1 if raw.startswith("1") and not raw[1:2].isdigit() and len(raw) > 1 else int(raw)


def _norm_day_month(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month, day = _month(m), _day(m)
    if not 1 <= day <= 31:
        return None
    year = group(m, "year")
    if year:
        value = date_str(int(year), month, day)
        return ("DATE", value) if value else None
    if ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}-{day:02d}"
    y = resolve_year(month, day, ctx.anchor, clause_tense_fr(ctx.text, m.start(), m.end()))
    value = date_str(y, month, day)
    return ("DATE", value) if value else None


def _norm_month_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    return "DATE", f"{int(m.group('year')):04d}-{_month(m):02d}"


def _sentence_initial(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"«“(")
    return not before or before[-1] in ".!?:\n"


def _norm_month(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month = _month(m)
    rel = (group(m, "rel") or "").lower()
    if not (group(m, "mod") or rel or _FRAME_RE.search(ctx.text, max(0, m.start() - 16), m.start())):
        return None
    if m.group("mon")[0].isupper() and not group(m, "mod") and not _sentence_initial(ctx.text, m.start()):
        return None  # French writes months in lower case: "Mai Nguyen", "Mars Express" are names
    if ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}"
    a = ctx.anchor
    if rel in {"dernier", "passé"}:
        year = a.year if month < a.month else a.year - 1
    elif rel == "prochain":
        year = a.year if month > a.month else a.year + 1
    else:
        year = resolve_year(month, None, a, clause_tense_fr(ctx.text, m.start(), m.end()))
    return "DATE", f"{year:04d}-{month:02d}"


def _norm_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if not (group(m, "mod") or _FRAME_RE.search(ctx.text, max(0, m.start() - 16), m.start())):
        return None
    return "DATE", m.group("year")


_SEASONS = {"printemps": "SP", "été": "SU", "automne": "FA", "hiver": "WI"}


_SEASON_FRAME_RE = re.compile(r"(?i:(?<![\w])(?:au|en|dès|depuis|avant|après|pendant|durant)[ \t]{1,2})$")


def _norm_season(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if not (group(m, "frame") or _SEASON_FRAME_RE.search(ctx.text, max(0, m.start() - 10), m.start())):
        return None
    code = _SEASONS[m.group("season").lower()]
    if group(m, "year"):
        return "DATE", f"{m.group('year')}-{code}"
    if ctx.anchor is None:
        return "DATE", f"XXXX-{code}"
    rel = (group(m, "rel") or "").lower()
    direction = {"dernier": "last", "prochain": "next"}.get(rel)
    return "DATE", f"{season_year(code, ctx.anchor, direction):04d}-{code}"


def _norm_numeric(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    value = date_str(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return ("DATE", value) if value else None


DAY_MONTH_FR = rule("fr_day_month", P_DAY_MONTH, _norm_day_month)
MONTH_YEAR_FR = rule("fr_month_year", P_MONTH_YEAR, _norm_month_year)
MONTH_FR = rule("fr_month", P_MONTH, _norm_month)
YEAR_FR = rule("fr_year", P_YEAR, _norm_year)
SEASON_FR = rule("fr_season", P_SEASON, _norm_season, r"(?i:printemps|été|automne|hiver)", before=8, after=20)
NUMERIC_FR = rule("fr_numeric", P_NUMERIC, _norm_numeric)
ISO_FR = rule("fr_iso", P_ISO, _norm_numeric)
