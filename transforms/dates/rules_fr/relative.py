"""Units counted from the anchor in French: "la semaine dernière", "le mois prochain", "l'an dernier", "l'année
prochaine", "cette semaine", "ce mois-ci", "cette année", "il y a trois jours", "dans deux semaines", and
durations ("pendant trois ans", "dix jours") with the same TIMEX3 values as English.
"""

from __future__ import annotations

import re

from transforms.dates.engine import Context, group, rule
from transforms.dates.lexicon import fmt_num
from transforms.dates.rules.relative import _offset_value
from transforms.dates.rules_fr.fragments import NUM, NUMBERS, SP, UNIT, UNIT_CODES

_RUNIT = r"(?P<runit>(?i:semaine|mois|année|an|trimestre|week-end))"
P_RELATIVE = (
    rf"(?<![\w-])(?:(?i:la|le|l['’])(?:{SP})?{_RUNIT}{SP}(?P<rel>(?i:dernière|dernier|prochaine|prochain|passée|passé|"
    r"précédente|précédent|suivante|suivant|en[ \t]cours)))(?![\w-])"
)
P_THIS = rf"(?<![\w-])(?i:cette|ce|cet){SP}{_RUNIT}(?:-ci)?(?![\w-])"
P_AGO = rf"(?<![\w-])(?P<dir>(?i:il[ \t]y[ \t]a|dans)){SP}{NUM}{SP}{UNIT}"
P_DURATION = rf"(?<![\w-]){NUM}{SP}{UNIT}"
_UNIT_OF = {"semaine": "week", "mois": "month", "année": "year", "an": "year", "trimestre": "quarter",
            "week-end": "weekend", "jour": "day", "journée": "day"}  # fmt: skip
_PAST = ("dernier", "dernière", "passé", "passée", "précédent", "précédente")
_NEXT = ("prochain", "prochaine", "suivant", "suivante")


def _unit(raw: str) -> str:
    w = raw.lower()
    return w if w in UNIT_CODES or w == "mois" else w.rstrip("s")


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else NUMBERS[raw.lower()]


def _norm_relative(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    unit = _UNIT_OF[m.group("runit").lower()]
    rel = (group(m, "rel") or "").lower()
    offset = -1 if rel in _PAST else 1 if rel in _NEXT else 0
    if unit == "quarter" and ctx.anchor is not None:
        value = _offset_value("quarter", offset, ctx)
        ctx.quarter = (int(value[:4]), int(value[-1]))
        return "DATE", value
    return "DATE", _offset_value(unit, offset, ctx)


def _norm_ago(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    unit = _UNIT_OF.get(_unit(m.group("unit")))
    if unit is None:  # hours and minutes: a time of day, not resolved here
        return None
    sign = -1 if m.group("dir").lower().startswith("il") else 1
    n = _number(m.group("num"))
    return "DATE", _offset_value(unit, sign * n, ctx) if ctx.anchor else _offset_value(unit, 0, ctx)


def _norm_duration(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    unit = _unit(m.group("unit"))
    code = UNIT_CODES[unit]
    prefix = "PT" if unit in {"heure", "minute"} else "P"
    return "DURATION", f"{prefix}{fmt_num(_number(m.group('num')))}{code}"


RELATIVE_FR = rule("fr_relative", P_RELATIVE, _norm_relative)
THIS_UNIT_FR = rule("fr_this_unit", P_THIS, _norm_relative)
AGO_FR = rule("fr_ago", P_AGO, _norm_ago)
DURATION_FR = rule("fr_duration", P_DURATION, _norm_duration)
