"""Clock times: "10:35 a.m. EST Friday", "5 p.m.", "noon Thursday", "12:30 on Nov. 9"; the day they fall on comes
from the weekday, deictic day or month-day that follows, else the anchor.
"""

from __future__ import annotations

import datetime as dt
import re

from transforms.dates.calendar import resolve_weekday
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import AMPM, DAY, MON, SP, TZ, WKDAY
from transforms.dates.rules.absolute import norm_month_day
from transforms.dates.rules.days import DEICTIC_DAYS
from transforms.vocabulary import WEEKDAYS

P_TIME = (
    rf"(?:(?<![\d.,:$])(?P<hh>[012]?\d)"
    rf"(?::(?P<mm>[0-5]\d)(?![\d:])(?:[ \t]?(?P<ampm>{AMPM}))?|[ \t]?(?P<ampm2>{AMPM}))"
    rf"|\b(?P<special>(?i:noon|midday|midnight))\b){TZ}"
    rf"(?:,?{SP}(?:(?i:on){SP})?(?:(?P<twd>{WKDAY})(?![A-Za-z])|(?P<tdd>(?i:today|yesterday|tomorrow))"
    rf"|{MON}{SP}{DAY}))?"
)


def _norm_time(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    special = group(m, "special")
    if special:
        hh, mm = (12, 0) if special.lower() in {"noon", "midday"} else (24, 0)
    else:
        hh = int(m.group("hh"))
        mm = int(m.group("mm") or 0)
        ampm = (m.group("ampm") or m.group("ampm2") or "").lower().replace(".", "")
        if ampm.startswith("p") and hh < 12:
            hh += 12
        elif ampm.startswith("a") and hh == 12:
            hh = 0
        if hh > 24 or mm > 59 or (ampm and not 1 <= int(m.group("hh")) <= 12):
            return None
        if not ampm:
            # A bare "12:30" is a clock time; "3:2" style sports scores and ratios never have two digits.
            before = ctx.text[max(0, m.start() - 1) : m.start()]
            if before.isdigit() or ctx.text[m.end() : m.end() + 1].isdigit():
                return None
    day = None
    if group(m, "twd"):
        if ctx.anchor is not None:
            tense = ctx.tense(m)
            direction = "future" if tense in {"future", "present"} else "past"
            day = resolve_weekday(WEEKDAYS[m.group("twd").lower()], ctx.anchor, direction).isoformat()
        else:
            day = f"XXXX-WXX-{WEEKDAYS[m.group('twd').lower()]}"
    elif group(m, "tdd"):
        offset = DEICTIC_DAYS[m.group("tdd").lower()]
        day = (ctx.anchor + dt.timedelta(days=offset)).isoformat() if ctx.anchor else "XXXX-XX-XX"
    elif group(m, "mon"):
        res = norm_month_day(m, ctx)
        day = res[1] if res else None
    if day is None:
        day = ctx.anchor.isoformat() if ctx.anchor else "XXXX-XX-XX"
    return "TIME", f"{day}T{hh:02d}:{mm:02d}"


TIME = rule("time", P_TIME, _norm_time, rf"\d(?::[0-5]\d|[ \t]?{AMPM})|(?i:noon|midday|midnight)", before=2,
            after=40, caseless=True)  # fmt: skip
