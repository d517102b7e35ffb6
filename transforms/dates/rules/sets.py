"""Sets (recurring times): "daily", "every other week", "each Monday morning", "per day", "on Sundays"."""

from __future__ import annotations

import re

from transforms.dates.calendar import PART_OF_DAY
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import NUM_WORDS, SP, WKDAY
from transforms.dates.lexicon import TIME_UNITS, UNIT_CODES, fmt_num, parse_number
from transforms.vocabulary import WEEKDAYS

P_SET = (
    r"\b(?:(?P<adv>(?i:daily|weekly|monthly|yearly|annually|hourly|nightly|biweekly|semiannually|"
    r"biannually))\b"
    rf"|(?i:every|each|per)(?:{SP}(?P<snum>\d{{1,3}}|(?i:{NUM_WORDS}|other)))?{SP}"
    r"(?P<sunit>(?i:second|minute|hour|day|week|month|year|quarter|decade|morning|afternoon|evening|"
    r"night))s?\b"
    rf"|(?i:every|each){SP}(?P<swd>(?:{WKDAY})s?)"
    rf"(?:{SP}(?P<spart>(?i:morning|afternoon|evening|night)s?))?\b)"
)
P_WEEKDAY_PLURAL = rf"(?<![A-Za-z])(?P<swd>(?:{WKDAY})s)\b"


_SET_UNITS = {"daily": "P1D", "weekly": "P1W", "monthly": "P1M", "yearly": "P1Y", "annually": "P1Y",
              "hourly": "PT1H", "nightly": "P1D", "biweekly": "P2W", "quarterly": "P1Q",
              "semiannually": "P6M", "biannually": "P6M"}  # fmt: skip


def _norm_set(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    adv = group(m, "adv")
    if adv:
        return "SET", _SET_UNITS[adv.lower()]
    wd = group(m, "swd")
    if wd:
        day_num = WEEKDAYS[wd.lower().rstrip("s")]
        part = group(m, "spart")
        return "SET", f"XXXX-WXX-{day_num}" + (f"T{PART_OF_DAY[part.lower().rstrip('s')]}" if part else "")
    sunit = m.group("sunit").lower()
    if sunit in PART_OF_DAY:
        return "SET", f"XXXX-XX-XXT{PART_OF_DAY[sunit]}"
    num = group(m, "snum")
    n = 2.0 if num and num.lower() == "other" else parse_number(num) if num else 1.0
    code = UNIT_CODES[sunit.rstrip("s")]
    prefix = "PT" if sunit.rstrip("s") in TIME_UNITS else "P"
    return "SET", f"{prefix}{fmt_num(n)}{code}"


SET = rule("set", P_SET, _norm_set, r"(?i:daily|weekly|monthly|yearly|annually|hourly|nightly|biweekly|"
           r"semiannually|biannually|every|each|per)\b", after=40, caseless=True)  # fmt: skip
WEEKDAY_PLURAL = rule("weekday_plural", P_WEEKDAY_PLURAL, _norm_set, rf"(?:{WKDAY})s", after=1)
