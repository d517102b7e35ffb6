"""Calendar arithmetic for TIMEX3 values (pure): ISO weeks, month and quarter shifts, the nearest weekday or
year of a date given without one, seasons and public holidays.

Also the TIMEX3 codes of parts of the day and of seasons.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.easter import easter

PART_OF_DAY: dict[str, str] = {
    "morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI", "overnight": "NI",
}  # fmt: skip
SEASONS: dict[str, str] = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}


def iso_week(day: dt.date) -> str:
    """TIMEX3 week value, e.g. 2014-W10."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def shift_months(year: int, month: int, delta: int) -> tuple[int, int]:
    """(year, month) moved by ``delta`` months."""
    idx = year * 12 + (month - 1) + delta
    return idx // 12, idx % 12 + 1


def quarter_of(day: dt.date) -> tuple[int, int]:
    """(year, quarter) containing ``day``."""
    return day.year, (day.month - 1) // 3 + 1


def shift_quarter(year: int, quarter: int, delta: int) -> tuple[int, int]:
    """(year, quarter) moved by ``delta`` quarters."""
    idx = year * 4 + (quarter - 1) + delta
    return idx // 4, idx % 4 + 1


def resolve_weekday(weekday: int, anchor: dt.date, direction: str) -> dt.date:
    """The date of ISO ``weekday`` near ``anchor``: "past" → on/before, "future" → on/after,
    "last" → strictly before, "next" → strictly after."""
    diff = weekday - anchor.isoweekday()
    if direction == "future":
        return anchor + dt.timedelta(days=diff % 7)
    if direction == "next":
        return anchor + dt.timedelta(days=diff % 7 or 7)
    if direction == "last":
        return anchor - dt.timedelta(days=(-diff) % 7 or 7)
    return anchor - dt.timedelta(days=(-diff) % 7)


def resolve_year(month: int, day: int | None, anchor: dt.date, tense: str | None) -> int:
    """Year for a month (and day) given without one.

    Past tense: the anchor year unless the date would lie more than three months after the anchor (then the
    year before); future tense: symmetric; no cue: the occurrence nearest the anchor. The three-month slack is
    there because tense cues are noisy ("said the offer expires Nov. 20" is past by its first verb) while news
    rarely mentions a yearless date far from its own.
    """
    months_away = (month - anchor.month) + ((day or 15) - (anchor.day if day else 15)) / 31
    if tense == "past":
        return anchor.year - 1 if months_away > 3 else anchor.year
    if tense == "future":
        return anchor.year + 1 if months_away < -3 else anchor.year
    if months_away > 6:
        return anchor.year - 1
    if months_away < -6:
        return anchor.year + 1
    return anchor.year


def season_year(season: str, anchor: dt.date, direction: str | None) -> int:
    """Year of ``season`` relative to the anchor ("last" → most recent finished one, "next" → following)."""
    order = {"WI": 0, "SP": 1, "SU": 2, "FA": 3}
    cur = {12: "WI", 1: "WI", 2: "WI"}.get(anchor.month) or ("SP" if anchor.month <= 5 else "SU")
    if 9 <= anchor.month <= 11:
        cur = "FA"
    elif 6 <= anchor.month <= 8:
        cur = "SU"
    year = anchor.year
    if direction == "last":
        return year - 1 if order[season] >= order[cur] else year
    if direction == "next":
        return year + 1 if order[season] <= order[cur] else year
    return year


@lru_cache(maxsize=512)
def holiday_date(name: str, year: int) -> dt.date | None:
    """Date of a (mostly US) public holiday in ``year``."""
    fixed = {
        "christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24), "new year's day": (1, 1),
        "new year's eve": (12, 31), "independence day": (7, 4), "halloween": (10, 31),
        "valentine's day": (2, 14), "veterans day": (11, 11), "boxing day": (12, 26),
    }  # fmt: skip
    if name in fixed:
        return dt.date(year, *fixed[name])
    if name in {"thanksgiving", "thanksgiving day"}:
        nov1 = dt.date(year, 11, 1)
        return nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 21)
    if name == "election day":
        nov1 = dt.date(year, 11, 1)
        first_monday = nov1 + dt.timedelta(days=(0 - nov1.weekday()) % 7)
        return first_monday + dt.timedelta(days=1)
    if name == "labor day":
        sep1 = dt.date(year, 9, 1)
        return sep1 + dt.timedelta(days=(0 - sep1.weekday()) % 7)
    if name == "memorial day":
        may31 = dt.date(year, 5, 31)
        return may31 - dt.timedelta(days=may31.weekday())
    if name in {"easter", "easter sunday"}:
        return easter(year)
    return None
