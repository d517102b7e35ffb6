"""Datelines and page timestamps: the metadata a wire story carries in its first lines.

`parse_dateline` reads "LONDON, March 14 (Reuters) -" and its shorter forms; `parse_page_timestamp` reads a page's
own timestamp line ("March 14, 2014 / 8:16 AM / 4 years ago"). Both are ordered lists of small parsers, first hit
wins. Month words come from the calendar vocabulary the date tagger shares (transforms/vocabulary.py); the places
a dateline may name alone come from the gazetteer (transforms/entities/places.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from transforms.entities.places import place_names_casefolded
from transforms.vocabulary import MONTHS

LOGGER = logging.getLogger(__name__)

__all__ = ["Dateline", "is_place_name", "parse_dateline", "parse_page_timestamp"]


@dataclass(frozen=True, slots=True)
class Dateline:
    """A wire dateline such as ``LONDON, March 14 (Reuters) -``; `date` is resolved against the publish time."""

    location: str
    date_text: str | None
    date: dt.date | None
    agency: str | None
    raw: str


# --------------------------------------------------------------------------------------------------------------
# Datelines
# --------------------------------------------------------------------------------------------------------------

# A month as datelines and page timestamps write it ("Sept.", "March"); MONTHS gives its number.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# One place name in capitals: "LONDON", "ST. LOUIS", "RIO DE JANEIRO", "N'DJAMENA", "KYIV/MOSCOW".
_PLACE = r"[A-Z][A-Z.'’\-]*(?: [A-Z][A-Z.'’\-]*){0,4}"
_LOCATION = (
    rf"(?P<location>{_PLACE}(?:\s?/\s?{_PLACE}){{0,3}}(?:, (?!{_MONTH} \d)[A-Z][A-Za-z.]+(?: [A-Z][A-Za-z.]+)?)?)"
)
_DATE = rf"(?P<date_text>{_MONTH} \d{{1,2}}(?:,? \d{{4}})?|\d{{1,2}} {_MONTH}(?: \d{{4}})?)"
_AGENCY = r"\((?P<agency>[A-Z][A-Za-z&.' ]{1,40}?)\)"
_DASH = r"\s*(?:--|[-–—:])\s*"

_DATELINE_WITH_AGENCY_RE = re.compile(rf"{_LOCATION}(?:,?\s+{_DATE})?\s+{_AGENCY}{_DASH}")
# Feeds that cut the place off: "April 13 (Reuters) -", "April 13 -".
_DATELINE_NO_PLACE_RE = re.compile(rf"{_DATE}(?:\s+{_AGENCY})?\s*(?:--|[-–—])\s+(?=\S)")
_DATELINE_AGENCY_ONLY_RE = re.compile(rf"{_AGENCY}{_DASH}(?=\S)")
_DATELINE_DATE_ONLY_RE = re.compile(rf"{_LOCATION},?\s+{_DATE}\s*(?:--|[-–—])\s+(?=\S)")
# AP style with the agency dropped ("WASHINGTON — The ...", "KUALA LUMPUR, Malaysia — The ...").
_DATELINE_DASH_ONLY_RE = re.compile(rf"{_LOCATION}\s+(?:--|[–—])(?:\s+(?=[A-Z0-9“\"‘'])|$)")
# The same with a spaced hyphen, as Asian and European outlets write it ("SINGAPORE - The ..."); like the dash
# form it needs a place that may stand alone, so "ABC - The network" stays text.
_DATELINE_HYPHEN_RE = re.compile(rf"{_LOCATION} - (?=[A-Z0-9“\"‘'])")
_DATE_PARTS_RE = re.compile(
    r"(?P<a>[A-Za-z]+)\.? (?P<b>\d{1,2})(?:,? (?P<y>\d{4}))?|(?P<d>\d{1,2}) (?P<m>[A-Za-z]+)"
    r"\.?(?: (?P<y2>\d{4}))?"
)
_KNOWN_AGENCY_RE = re.compile(
    r"Reuters(?: [A-Z][a-z]+)*|AP|Associated Press|AFP|Bloomberg|UPI|dpa|DPA|Xinhua|IANS|PTI|ANSA|EFE|Kyodo|"
    r"Yonhap|Interfax|TASS|IFR|LPC|Thomson Reuters Foundation|CNN|BBC|NYT|WSJ|Dow Jones|MarketWatch|"
    r"Reuters Breakingviews|AAP|CP|AFP-JIJI|Jiji|KUNA|WAM|SPA|Anadolu|NAN|APA|ATS|Belga|ANP|Lusa|PAP|CTK|MTI|"
    r"HINA|STA|BTA|Agerpres|RIA|Ukrinform|Bernama|Antara|Yonhap News|Kyodo News|Press Association|PA"
)
# Words a capitalised first word of a body sentence can be but a dateline place cannot ("BREAKING — ...").
_NOT_PLACES = frozenset(
    {
        "BREAKING",
        "UPDATE",
        "UPDATED",
        "EXCLUSIVE",
        "ANALYSIS",
        "OPINION",
        "WATCH",
        "LIVE",
        "CORRECTED",
        "REFILE",
        "FACTBOX",
        "EXPLAINER",
        "COLUMN",
        "BRIEF",
        "URGENT",
        "NOTE",
        "EDITOR",
    }
)


def _resolve_day(date_text: str, published: dt.datetime | None) -> dt.date | None:
    """Month and day (year if written), the year otherwise taken as the one putting the day nearest `published`.

    "Dec 31" on a story published Jan 1 is the previous year; "Jan 1" published Dec 31 the next one.
    """
    m = _DATE_PARTS_RE.fullmatch(date_text)
    if m is None:
        return None
    if m.group("a") is not None:
        month_name, day, year_text = m.group("a"), int(m.group("b")), m.group("y")
    else:
        month_name, day, year_text = m.group("m"), int(m.group("d")), m.group("y2")
    month = MONTHS.get(month_name.lower().rstrip("."))
    if month is None:
        return None
    if year_text is not None:
        try:
            return dt.date(int(year_text), month, day)
        except ValueError:
            return None
    if published is None:
        return None
    ref = published.astimezone(dt.UTC).date() if published.tzinfo else published.date()
    candidates = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:  # Feb 29 in a common year
            continue
    return min(candidates, key=lambda d: abs((d - ref).days)) if candidates else None


def is_place_name(text: str) -> bool:
    """A place the gazetteer knows, in any case ("NEW YORK", "Kyiv/Moscow" part by part)."""
    known = place_names_casefolded()
    return all(part.strip().casefold() in known for part in text.split("/"))


def _standalone_place(location: str) -> bool:
    """Whether "LOCATION —" with neither agency nor date can be a dateline: AP style lets only major places stand
    alone ("WASHINGTON —", "KYIV/MOSCOW —", in the gazetteer) and qualifies the rest ("SPRINGFIELD, Ill. —");
    a capitalised name opening a sentence ("NASA — The agency said") is neither."""
    return "," in location or is_place_name(location)


def _dateline_from_match(m: re.Match[str], published: dt.datetime | None) -> Dateline | None:
    groups = m.groupdict()
    location = (groups.get("location") or "").strip()
    first_word = location.split(" ", 1)[0].split("/", 1)[0].rstrip(",")
    if location and (first_word in _NOT_PLACES or len(location.replace(" ", "")) < 2):
        return None
    agency = groups.get("agency")
    date_text = groups.get("date_text")
    if location and agency is None and date_text is None and not _standalone_place(location):
        return None  # "PLACE —" alone: see _standalone_place
    if (
        agency is not None
        and "location" not in groups
        and "date_text" not in groups
        and _KNOWN_AGENCY_RE.fullmatch(agency) is None
    ):
        return None  # a bare "(Word) -" opening is only a dateline for a known agency
    return Dateline(
        location=location,
        date_text=date_text,
        date=_resolve_day(date_text, published) if date_text else None,
        agency=agency,
        raw=m.group(0).strip(),
    )


_DATELINE_PATTERNS: tuple[re.Pattern[str], ...] = (
    _DATELINE_WITH_AGENCY_RE,
    _DATELINE_DATE_ONLY_RE,
    _DATELINE_NO_PLACE_RE,
    _DATELINE_DASH_ONLY_RE,
    _DATELINE_HYPHEN_RE,
    _DATELINE_AGENCY_ONLY_RE,
)


def parse_dateline(line: str, published: dt.datetime | None) -> tuple[Dateline, int] | None:
    """The dateline opening `line` and how many characters it takes (with the dash and following space).

    Ordered parsers, first hit wins: "PLACE[, Month D] (Agency) -", "PLACE, Month D -", "PLACE —",
    "PLACE - ", "(Agency) -". Returns None when the line does not open with a dateline.
    """
    head = line[:200]
    for pattern in _DATELINE_PATTERNS:
        m = pattern.match(head)
        if m is None:
            continue
        dateline = _dateline_from_match(m, published)
        if dateline is not None:
            return dateline, m.end()
    return None


# --------------------------------------------------------------------------------------------------------------
# Page timestamps
# --------------------------------------------------------------------------------------------------------------

_UTC = dt.UTC
_TZ_OFFSETS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 60,
    "IST": 330,
    "CET": 60,
    "CEST": 120,
    "MEZ": 60,
    "MESZ": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "JST": 540,
    "KST": 540,
    "HKT": 480,
    "SGT": 480,
    "AEST": 600,
    "AEDT": 660,
}
# Zone names that switch with daylight saving: resolved with the tz database for the given day.
_TZ_NAMES: dict[str, str] = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "UK": "Europe/London",
}
_TZ = r"(?P<tz>[A-Z]{1,4}|[+-]\d{2}:?\d{2})"
_CLOCK = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
_MDY = rf"(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
_DMY = rf"(?P<day>\d{{1,2}})\.?\s+(?P<month>{_MONTH})\s+(?P<year>\d{{4}})"
_WEEKDAY = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?"
_LEAD = r"(?:(?:Published|Updated|Posted|Last updated|First published|Modified)(?: on| at)?:?\s+)?"
_AGO = r"(?:\s*[/|·•]\s*(?:Updated\s+)?(?:\d+|an?|one)\s+\w+\s+ago)?"

# Each shape once with month-day-year and once with day-month-year order (re has no duplicate group names).
_TIMESTAMP_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Reuters 2014-2018: "March 14, 2014 / 8:16 AM / 4 years ago" (the relative part says nothing we need)
        *(rf"{_LEAD}{_WEEKDAY}{d},?\s*(?:[/|·•,]|at)?\s*{_CLOCK}(?:\s+{_TZ})?{_AGO}" for d in (_MDY, _DMY)),
        # AP: "Published 3:02 PM EST, Fri March 14, 2014"
        *(rf"{_LEAD}{_CLOCK}(?:\s+{_TZ})?\s*(?:,|on)?\s+{_WEEKDAY}{d}{_AGO}" for d in (_MDY, _DMY)),
        # ISO 8601 and near variants: "2014-03-14T08:16:00Z", "2014-03-14 08:16 GMT"
        rf"{_LEAD}(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})(?:[T ]{_CLOCK}(?:\.\d+)?\s*{_TZ}?)?{_AGO}",
        # a date alone on its own line: "March 14, 2014" / "14 March 2014" (midnight UTC)
        *(rf"{_LEAD}{_WEEKDAY}{d}{_AGO}" for d in (_MDY, _DMY)),
    )
)


def _tzinfo(name: str | None, day: dt.date) -> dt.tzinfo | None:
    """tzinfo for an abbreviation or offset; None if unknown."""
    if not name:
        return None
    upper = name.upper()
    if upper in _TZ_OFFSETS:
        return dt.timezone(dt.timedelta(minutes=_TZ_OFFSETS[upper]))
    if upper in _TZ_NAMES:
        return ZoneInfo(_TZ_NAMES[upper])
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3))
        return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
    return None


def _build_timestamp(m: re.Match[str]) -> dt.datetime | None:
    g = m.groupdict()
    month_text = g["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        return None
    hour = int(g.get("hour") or 0)
    minute = int(g.get("minute") or 0)
    second = int(g.get("second") or 0)
    ampm = (g.get("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        day = dt.date(int(g["year"]), month, int(g["day"]))
        naive = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        return None
    tz_name = g.get("tz")
    tz = _tzinfo(tz_name, day)
    if tz_name and tz is None:
        return None  # an unknown zone word: not a timestamp we understand
    if tz is None:
        # No zone written: taken as UTC (wire pages print UTC); callers are told by this debug line.
        LOGGER.debug("page timestamp %r has no zone; taken as UTC", m.group(0))
        tz = _UTC
    return naive.replace(tzinfo=tz).astimezone(_UTC)


def _timestamp_parser(pattern: re.Pattern[str]) -> Callable[[str], dt.datetime | None]:
    def parse(line: str) -> dt.datetime | None:
        m = pattern.fullmatch(line)
        return _build_timestamp(m) if m else None

    parse.__name__ = f"parse_{pattern.pattern[:20]}"
    return parse


_TIMESTAMP_PARSERS: tuple[Callable[[str], dt.datetime | None], ...] = tuple(
    _timestamp_parser(p) for p in _TIMESTAMP_PATTERNS
)


def parse_page_timestamp(line: str) -> dt.datetime | None:
    """A page's own timestamp line → aware UTC datetime; None if the whole line is not a timestamp.

    "March 14, 2014 / 8:16 AM / 4 years ago", "Published 3:02 PM EST, Fri March 14, 2014",
    "2014-03-14T08:16:00Z", "14 March 2014". A time without a zone is taken as UTC (logged at debug level);
    relative parts ("4 years ago") are ignored.
    """
    line = line.strip().rstrip(".")
    if not line or len(line) > 120 or not any(c.isdigit() for c in line):
        return None
    for parser in _TIMESTAMP_PARSERS:
        value = parser(line)
        if value is not None:
            return value
    return None
