"""Days named relative to the anchor in French: weekdays ("lundi", "mardi dernier", "jeudi prochain soir"),
deictic days ("hier", "aujourd'hui", "demain", "avant-hier", "après-demain", "hier soir") and parts of today
("ce matin", "cette nuit", "la nuit dernière"). A bare weekday points the way its clause's tense does.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.dates.calendar import resolve_weekday
from transforms.dates.engine import Context, group, rule
from transforms.dates.rules_fr.fragments import PART, SP, WEEKDAY
from transforms.dates.rules_fr.tense import clause_tense_fr
from transforms.vocabulary import WEEKDAYS_FR

# TIMEX3 codes of the French parts of the day.
PART_CODES = {"matin": "MO", "matinée": "MO", "après-midi": "AF", "apres-midi": "AF", "soir": "EV", "soirée": "EV",
              "nuit": "NI"}  # fmt: skip
DEICTIC_DAYS = {"avant-hier": -2, "hier": -1, "aujourd'hui": 0, "demain": 1, "après-demain": 2}
_LAST = ("dernier", "dernière", "passé", "passée", "précédent")
_NEXT = ("prochain", "prochaine", "suivant")

P_WEEKDAY = (
    rf"{WEEKDAY}(?:{SP}(?P<rel>(?i:dernier|prochain|passé|précédent|suivant)))?"
    rf"(?:{SP}(?P<part>(?i:matin|après-midi|soir)))?(?![\w-])"
)
P_DEICTIC = (
    r"(?<![\w-])(?P<dd>(?i:avant-hier|après-demain|apres-demain|hier|aujourd['’]hui|demain))(?![\w-])"
    rf"(?:{SP}(?P<part>(?i:matin|après-midi|soir)))?(?![\w-])"
)
P_PART = (
    rf"(?<![\w-])(?:(?P<this>(?i:ce|cet|cette)){SP}{PART}|(?i:la|cette){SP}(?P<lastnight>(?i:nuit)){SP}"
    r"(?i:dernière))(?![\w-])"
)


def _norm_part(part: str | None) -> str:
    return "T" + PART_CODES[part.lower().replace(" ", "-").replace("è", "è")] if part else ""


def _norm_weekday(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    wd = WEEKDAYS_FR[m.group("wd").lower()]
    part = group(m, "part")
    suffix = _norm_part(part)
    typ = "TIME" if part else "DATE"
    if ctx.anchor is None:
        return typ, f"XXXX-WXX-{wd}{suffix}"
    rel = (group(m, "rel") or "").lower()
    if rel.startswith(_LAST):
        direction = "last"
    elif rel.startswith(_NEXT):
        direction = "next"
    else:
        tense = clause_tense_fr(ctx.text, m.start(), m.end())
        direction = "future" if tense in {"future", "present"} else "past"
    return typ, resolve_weekday(wd, ctx.anchor, direction).isoformat() + suffix


def _norm_deictic(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    word = m.group("dd").lower().replace("’", "'").replace("apres", "après")
    part = group(m, "part")
    if ctx.anchor is None:
        if word == "aujourd'hui" and not part:
            return "DATE", "PRESENT_REF"
        base = "XXXX-XX-XX"
    else:
        base = (ctx.anchor + dt.timedelta(days=DEICTIC_DAYS[word])).isoformat()
    return ("TIME", base + _norm_part(part)) if part else ("DATE", base)


def _norm_part_of_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    if group(m, "lastnight"):
        day, code = (ctx.anchor - dt.timedelta(days=1)) if ctx.anchor else None, "TNI"
    else:
        day, code = ctx.anchor, _norm_part(m.group("part"))
    return "TIME", (day.isoformat() if day else "XXXX-XX-XX") + code


WEEKDAY_FR = rule("fr_weekday", P_WEEKDAY, _norm_weekday)
DEICTIC_DAY_FR = rule("fr_deictic_day", P_DEICTIC, _norm_deictic)
PART_OF_DAY_FR = rule("fr_part_of_day", P_PART, _norm_part_of_day, r"(?i:matin|midi|soir|nuit)", before=8,
                      after=10)  # fmt: skip
