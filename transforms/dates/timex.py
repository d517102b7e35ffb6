"""Rule-based temporal tagger for English news (HeidelTime-style): TIMEX3 values resolved against an anchor.

The public entry point is :func:`extract_dates`. Design:

1. An ordered registry of :class:`Rule` objects, each a compiled regex plus a normalization function that
   returns (type, value) or None to reject. Regexes are linear (no nested unbounded quantifiers), so any
   ``str`` is safe; rules that open with optional modifiers only run around a cheap keyword trigger.
2. Overlapping accepted candidates are resolved longest-first (ties: earlier rule), so mentions never overlap.
3. Mentions are normalized left to right with a small per-document context (the anchor, the last explicit
   fiscal quarter) so "the year-earlier quarter" follows the quarter the story is about.

Weekdays, month-days and months without a year are resolved by the tense of their clause: the nearest tense
cue ("will", "is set to", "planned for" → future; "said", "-ed", "was" → past) picks the direction.

With ``anchor=None``, absolute dates are normalized as usual and anchor-relative ones keep their granularity
with X placeholders ("Friday" → ``XXXX-WXX-5``, "Nov. 6" → ``XXXX-11-06``, "last year" → ``XXXX``,
"8:16 AM" → ``XXXX-XX-XXT08:16``); "now" and "today" map to ``PRESENT_REF``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from dateutil.easter import easter

LOGGER = logging.getLogger(__name__)

__all__ = ["TimexMention", "extract_dates"]


@dataclass(frozen=True, slots=True)
class TimexMention:
    """One temporal expression: ``body[start:end] == text``; ``value`` is TIMEX3-style."""

    text: str
    start: int
    end: int
    type: str  # "DATE" | "TIME" | "DURATION" | "SET"
    value: str


# ----------------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------------

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)}
MONTHS.update(
    {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
     "nov": 11, "dec": 12}
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(WEEKDAY_NAMES, 1)}

UNITS_1_19 = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"
)
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(UNITS_1_19, 1)}
NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(TENS)})
NUMBER_WORDS.update({"a": 1, "an": 1, "a couple of": 2, "a dozen": 12, "dozen": 12, "half a": 0})
ORDINAL_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        (
            "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth"
        ),
        1,
    )
}
ORDINAL_WORDS.update({"twenty-" + w: 20 + i for w, i in list(ORDINAL_WORDS.items())[:9]})
ORDINAL_WORDS.update({"thirtieth": 30, "thirty-first": 31})
VAGUE_QUANTITIES = ("several", "a few", "few", "many", "some", "a number of", "numerous")

UNIT_CODES: dict[str, str] = {
    "second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y",
    "decade": "DE", "century": "CE", "quarter": "Q", "weekend": "WE",
}  # fmt: skip
TIME_UNITS = frozenset({"second", "minute", "hour"})
PART_OF_DAY: dict[str, str] = {
    "morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI", "overnight": "NI",
}  # fmt: skip
SEASONS: dict[str, str] = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}

# ----------------------------------------------------------------------------------------------------
# Regex fragments. Month and weekday names are case-sensitive (Title or UPPER case) so "may", "march" and
# "august" as ordinary words are not dates; everything else is matched case-insensitively via (?i:...).
# Whitespace runs are bounded ({1,3}) so no pattern can backtrack over long blank stretches.
# ----------------------------------------------------------------------------------------------------

SP = r"[ \t\u00a0]{1,3}(?:\n[ \t]{0,3})?"
_MON_FULL = "|".join(MONTH_NAMES + tuple(m.upper() for m in MONTH_NAMES))
_MON_ABBR = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
MON = rf"(?P<mon>(?:{_MON_FULL})(?![A-Za-z])|(?:{_MON_ABBR}|{_MON_ABBR.upper()})(?:\.|(?![A-Za-z])))"
_ORD_WORDS = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
DAY = rf"(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:.,]\d)(?!\s?%)|(?i:the{SP})?(?P<dayw>(?i:{_ORD_WORDS})))"
YEAR4 = r"(?P<year>(?:1[0-9]|20)\d\d)(?![\d%])"
WKDAY = "|".join(WEEKDAY_NAMES + tuple(w.upper() for w in WEEKDAY_NAMES))
# A possessive ("Friday's close") is still the day; the "'s" stays outside the extent.
WEEKDAY = rf"(?P<wd>{WKDAY})(?![A-Za-z])"
_NUM_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w != "half a"), key=len, reverse=True))
# "twenty four", "twenty-four", "24", "2.5", "a", "several"
NUM = (
    rf"(?P<num>\d{{1,4}}(?:\.\d{{1,2}})?|(?i:(?:{'|'.join(TENS)})[ -](?:{'|'.join(UNITS_1_19[:9])})"
    rf"|{_NUM_WORDS}|{'|'.join(VAGUE_QUANTITIES)}))"
)
UNIT = (
    r"(?P<unit>(?i:second|minute|hour|day|week(?!end)|month|year|decade|centur(?:y|ie)|quarter))"
    r"(?P<plural>(?i:s)?)"
)
PART = r"(?P<part>(?i:morning|afternoon|evening|night))"
AMPM = r"(?i:a\.m\.?|p\.m\.?|am\b|pm\b)"
TZ = r"(?:[ \t]{0,2}\(?(?P<tz>(?:[ECMP][SD]T|GMT|UTC|ET|BST|CET|CEST|JST|HKT|IST))\)?)?"

# ----------------------------------------------------------------------------------------------------
# Tense cues for resolving weekdays and month-days without a year
# ----------------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_SENTENCE_BREAK_RE = re.compile(r"[.!?;]\s|\n")
FUTURE_WORDS = frozenset((
    "will", "shall", "'ll", "wo", "won't", "upcoming", "next", "forthcoming", "tomorrow", "would"
))
# Verbs of intention are future cues only with "to"/"for" ("plans to meet", "set for Sunday"); as nouns
# ("announced the plan") they say nothing about tense.
_INTENT = (
    "set planned plans plan planning scheduled slated due expected expects intends intend aims hopes going "
    "is are"
)
FUTURE_BIGRAMS = frozenset(
    {(w, "to") for w in _INTENT.split()}
    | {(w, "for") for w in ["set", "planned", "scheduled", "slated", "due"]}
    | {("as", "soon"), ("to", "be")}
)
PAST_WORDS = frozenset(
    (
        "said", "was", "were", "had", "did", "told", "met", "made", "took", "came", "went", "saw", "gave",
        "left", "rose", "fell", "won", "lost", "began", "held", "sold", "bought", "paid", "got", "found",
        "put", "hit", "cut", "ran", "spent", "fought", "led", "became", "brought", "thought", "knew",
        "grew", "drew", "sent", "felt", "kept", "meant", "stood", "struck", "wrote", "spoke", "broke",
        "chose", "shot", "slid", "sank", "fled", "sought", "ago", "last", "earlier", "yesterday", "has",
        "have", "been"
    )
)
PAST_AUXILIARIES = frozenset({"was", "were", "had", "did", "has", "have", "been"})
ED_EXCEPTIONS = frozenset(
    (
        "need", "speed", "red", "bed", "feed", "seed", "indeed", "hundred", "proceed", "exceed", "succeed",
        "breed", "greed", "shed", "weed", "wed", "bred", "sled", "embed", "united", "limited", "red-handed",
        "bloodshed", "sacred", "kindred", "naked", "wicked", "scheduled", "planned", "expected", "slated"
    )
)
BE_FORMS = frozenset(["be", "been", "being", "is", "are", "am", "was", "were", "to"])


def _sentence_window(text: str, start: int, end: int) -> tuple[str, str]:
    """The part of the mention's sentence before and after it (bounded to 240 characters each side)."""
    lo = max(0, start - 240)
    before = text[lo:start]
    breaks = list(_SENTENCE_BREAK_RE.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    after = text[end : end + 240]
    brk = _SENTENCE_BREAK_RE.search(after)
    if brk:
        after = after[: brk.start()]
    return before, after


def _cue(tokens: list[str], i: int) -> str | None:
    """Tense signalled by token ``i`` (lower-cased tokens): "future", "past", "present" or None."""
    w = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if (w, nxt) in FUTURE_BIGRAMS:
        return "future"
    if w in FUTURE_WORDS:
        return "future"
    past_form = w in PAST_WORDS or (w.endswith("ed") and len(w) >= 5 and w not in ED_EXCEPTIONS)
    if past_form:
        prev = tokens[i - 1] if i > 0 else ""
        # A participle after an auxiliary ("will be held", "is expected") takes its tense from the auxiliary.
        return None if prev in BE_FORMS and w not in PAST_AUXILIARIES else "past"
    if w in {"is", "are", "am", "says", "say"}:
        return "present"
    return None


def clause_tense(text: str, start: int, end: int) -> str | None:
    """Nearest tense cue around a mention in its sentence: preceding cues first, then following ones."""
    before, after = _sentence_window(text, start, end)
    toks_before = [t.lower().replace("’", "'") for t in _WORD_RE.findall(before)]
    for i in range(len(toks_before) - 1, max(-1, len(toks_before) - 13), -1):
        cue = _cue(toks_before, i)
        if cue:
            return cue
    toks_after = [t.lower().replace("’", "'") for t in _WORD_RE.findall(after)]
    for i in range(min(len(toks_after), 12)):
        cue = _cue(toks_after, i)
        if cue:
            return cue
    return None


# ----------------------------------------------------------------------------------------------------
# Calendar helpers (pure)
# ----------------------------------------------------------------------------------------------------


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


def parse_number(raw: str) -> float | None:
    """Cardinal from digits or English words; None for vague quantities ("several")."""
    s = raw.lower().replace("-", " ").strip()
    if s in VAGUE_QUANTITIES:
        return None
    if s[:1].isdigit():
        return float(s)
    if s in NUMBER_WORDS:
        return float(NUMBER_WORDS[s])
    parts = s.split()
    if len(parts) == 2 and parts[0] in NUMBER_WORDS and parts[1] in NUMBER_WORDS:
        return float(NUMBER_WORDS[parts[0]] + NUMBER_WORDS[parts[1]])
    return None


def fmt_num(n: float | None) -> str:
    """2.0 → "2", 1.5 → "1.5", None → "X"."""
    if n is None:
        return "X"
    return str(int(n)) if n == int(n) else f"{n:g}"


def duration_value(n: float | None, unit: str) -> str:
    """TIMEX3 duration, e.g. P3Y, PT8H, P10Y for a decade."""
    unit = unit.lower().rstrip("s")
    if unit == "centurie":
        unit = "century"
    if unit in {"decade", "century"}:
        scale = 10 if unit == "decade" else 100
        return f"P{fmt_num(n * scale)}Y" if n is not None else f"PX{'DE' if unit == 'decade' else 'CE'}"
    prefix = "PT" if unit in TIME_UNITS else "P"
    return f"{prefix}{fmt_num(n)}{UNIT_CODES[unit]}"


# ----------------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """Per-document normalization state."""

    text: str
    anchor: dt.date | None
    quarter: tuple[int, int] | None = None  # last explicitly mentioned fiscal quarter (year, q)

    def tense(self, m: re.Match[str]) -> str | None:
        return clause_tense(self.text, m.start(), m.end())


Normalizer = Callable[[re.Match[str], Context], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern and the function that turns its match into (type, value); None rejects the match.

    With a ``trigger`` (a cheap keyword regex) the pattern only runs in a window of ``before``/``after``
    characters around each trigger hit: patterns that open with optional modifiers ("the past", "nearly")
    cannot use the regex engine's first-character skip, and scanning every position made them 10x slower.
    ``lower_trigger`` is the same trigger without its case-insensitive flags, for the lower-cased text (see
    ``_FOLD_UNSAFE_RE``); set only for triggers that are case-insensitive throughout.
    """

    name: str
    pattern: re.Pattern[str]
    normalize: Normalizer
    trigger: re.Pattern[str] | None = None
    before: int = 0
    after: int = 0
    lower_trigger: re.Pattern[str] | None = None


def _g(m: re.Match[str], name: str) -> str | None:
    """Named group or None when the pattern has no such group."""
    try:
        return m.group(name)
    except IndexError:
        return None


def _day_of(m: re.Match[str]) -> int | None:
    raw = _g(m, "day")
    if raw:
        return int(raw)
    word = _g(m, "dayw")
    return ORDINAL_WORDS.get(word.lower()) if word else None


def _month_of(m: re.Match[str]) -> int:
    return MONTHS[m.group("mon").lower().rstrip(".")]


def _date_str(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _norm_iso(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    value = _date_str(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    if value is None:
        return None
    if m.group("hh"):
        return "TIME", f"{value}T{m.group('hh')}:{m.group('mm')}"
    return "DATE", value


def _norm_slash(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    year = int(m.group("y"))
    if year < 100:
        year += 1900 if year >= 50 else 2000
    value = _date_str(year, int(m.group("m")), int(m.group("d")))
    return ("DATE", value) if value else None


def _year_from_phrase(phrase: str, ctx: Context) -> int | None:
    """Year for "1989", "this year", "last year", "next year"; None when unknown."""
    p = phrase.lower()
    if p[:1].isdigit():
        return int(p)
    if ctx.anchor is None:
        return None
    offset = {"this": 0, "last": -1, "next": 1}.get(p.split()[0])
    return ctx.anchor.year + offset if offset is not None else None


def _norm_month_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month, day = _month_of(m), _day_of(m)
    if day is None or not 1 <= day <= 31:
        return None
    year_raw = _g(m, "year") or _g(m, "yphr")
    if year_raw:
        year = _year_from_phrase(year_raw, ctx)
        if year is None:
            return "DATE", f"XXXX-{month:02d}-{day:02d}"
    elif ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}-{day:02d}"
    else:
        year = resolve_year(month, day, ctx.anchor, ctx.tense(m))
        wd = _g(m, "wd")
        if wd:  # "Friday, Oct. 13": prefer the nearby year in which the weekday agrees
            for cand in (year, ctx.anchor.year, ctx.anchor.year - 1, ctx.anchor.year + 1):
                d = _date_str(cand, month, day)
                if d and dt.date.fromisoformat(d).isoweekday() == WEEKDAYS[wd.lower()]:
                    year = cand
                    break
    value = _date_str(year, month, day)
    if value is None:
        return None
    if _g(m, "tpart"):
        return "TIME", value + "T" + PART_OF_DAY[m.group("tpart").lower()]
    return "DATE", value


def _norm_month_year(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month = _month_of(m)
    year = _year_from_phrase(m.group("yphr"), ctx)
    return "DATE", f"{year:04d}-{month:02d}" if year is not None else f"XXXX-{month:02d}"


def _month_direction(m: re.Match[str], ctx: Context) -> str | None:
    rel = (_g(m, "rel") or "").lower().split()
    if rel and rel[-1] in {"last", "past", "previous"}:
        return "last"
    if rel and rel[-1] in {"next", "coming"}:
        return "next"
    if rel and rel[-1] == "this":
        return "this"
    return ctx.tense(m)


_MONTH_GUARD_BEFORE_RE = re.compile(
    r"(?i:\b(?:in|since|by|until|till|through|of|last|this|next|early|late|mid|from|to|before|after|during|the|"
    r"on|for|between|and|or|through|past|coming|end)[ \t-]{1,2})$"
)
_MONTH_GUARD_AFTER_RE = re.compile(r"^(?:[ \t]{1,2}(?:\d|of\b|last\b|this\b|next\b)|,[ \t]?\d)")


def _norm_month(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month = _month_of(m)
    name = m.group("mon")
    # "May" and "March" are also a modal and a verb; only accept them in an unambiguously temporal frame.
    if name.lower() in {"may", "march"} and not _g(m, "rel"):
        before = ctx.text[max(0, m.start() - 12) : m.start()]
        after = ctx.text[m.end() : m.end() + 8]
        if not (_MONTH_GUARD_BEFORE_RE.search(before) or _MONTH_GUARD_AFTER_RE.match(after)):
            return None
    if ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}"
    direction = _month_direction(m, ctx)
    a = ctx.anchor
    if direction == "last":
        year = a.year if month < a.month else a.year - 1
    elif direction == "next":
        year = a.year if month > a.month else a.year + 1
    elif direction == "this":
        year = a.year
    else:
        year = resolve_year(month, None, a, direction)
    return "DATE", f"{year:04d}-{month:02d}"


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
    if _g(m, "fiscal") is None:
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


def _norm_weekday(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    wd = WEEKDAYS[m.group("wd").lower()]
    part = _g(m, "part")
    suffix = "T" + PART_OF_DAY[part.lower()] if part else ""
    if ctx.anchor is None:
        return ("TIME" if part else "DATE"), f"XXXX-WXX-{wd}{suffix}"
    rel = (_g(m, "rel") or "").lower().split()
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


_DEICTIC_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1, "tonight": 0}


def _norm_deictic_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    word = m.group("dd").lower()
    offset = _DEICTIC_DAYS[word]
    if _g(m, "before"):
        offset -= 1
    if _g(m, "after"):
        offset += 1
    part = _g(m, "part") or ("night" if word == "tonight" else None)
    if ctx.anchor is None:
        if word == "today" and not part:
            return "DATE", "PRESENT_REF"
        base = "XXXX-XX-XX"
    else:
        base = (ctx.anchor + dt.timedelta(days=offset)).isoformat()
    if part:
        return "TIME", f"{base}T{PART_OF_DAY[part.lower()]}"
    return "DATE", base


def _norm_part_of_day(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    rel = m.group("rel").lower()
    offset = -1 if rel == "last" else 0
    if rel == "last" and m.group("part").lower() != "night":
        return None  # "last morning" is not idiomatic English; avoid false hits
    base = (ctx.anchor + dt.timedelta(days=offset)).isoformat() if ctx.anchor else "XXXX-XX-XX"
    return "TIME", f"{base}T{PART_OF_DAY[m.group('part').lower()]}"


def _offset_value(unit: str, n: int, ctx: Context) -> str:
    """Anchor moved by ``n`` units, at that unit's granularity."""
    a = ctx.anchor
    if unit == "year":
        return f"{a.year + n:04d}" if a else "XXXX"
    if unit == "month":
        if a is None:
            return "XXXX-XX"
        y, mo = shift_months(a.year, a.month, n)
        return f"{y:04d}-{mo:02d}"
    if unit == "week":
        return iso_week(a + dt.timedelta(weeks=n)) if a else "XXXX-WXX"
    if unit == "day":
        return (a + dt.timedelta(days=n)).isoformat() if a else "XXXX-XX-XX"
    if unit == "quarter":
        if a is None:
            return "XXXX-QX"
        y, q = shift_quarter(*quarter_of(a), n)
        return f"{y:04d}-Q{q}"
    if unit == "weekend":
        if a is None:
            return "XXXX-WXX-WE"
        return iso_week(a + dt.timedelta(weeks=n)) + "-WE"
    if unit == "decade":
        return f"{(a.year // 10 + n):03d}" if a else "XXX"
    if unit == "century":
        return f"{(a.year // 100 + n):02d}" if a else "XX"
    raise ValueError(unit)


_REL_OFFSETS = {
    "last": -1, "past": -1, "previous": -1, "this": 0, "current": 0, "next": 1, "coming": 1, "following": 1,
    "latest": -1, "the": 0,
}  # fmt: skip


def _norm_relative_unit(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    rel = m.group("rel").lower().split()[-1]
    unit = m.group("runit").lower()
    if unit == "weekend" and rel == "the" and ctx.anchor is not None:
        # "the weekend": the one just past in a past-tense clause, else the coming one.
        tense = ctx.tense(m)
        sat = resolve_weekday(6, ctx.anchor, "past" if tense == "past" else "future")
        return "DATE", iso_week(sat) + "-WE"
    if unit == "quarter" and rel in {"the", "latest"}:
        if ctx.quarter:
            return "DATE", f"{ctx.quarter[0]:04d}-Q{ctx.quarter[1]}"
        rel = "last"  # the most recently completed quarter
    if rel == "the" and unit in {"week", "month", "year"}:
        rel = "this"
    offset = _REL_OFFSETS[rel]
    if unit == "quarter" and ctx.anchor is not None:
        y, q = shift_quarter(*quarter_of(ctx.anchor), offset)
        ctx.quarter = (y, q)
        return "DATE", f"{y:04d}-Q{q}"
    return "DATE", _offset_value(unit, offset, ctx)


def _norm_ago(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    n = parse_number(m.group("num"))
    unit = m.group("unit").lower().rstrip("s")
    unit = "century" if unit == "centurie" else unit
    direction = -1 if m.group("dir").lower() in {"ago", "earlier", "before", "back"} else 1
    if n is None:  # "several years ago"
        return "DATE", "PAST_REF" if direction < 0 else "FUTURE_REF"
    if unit in TIME_UNITS or n != int(n):
        return None
    if ctx.anchor is None:
        return "DATE", _offset_value(unit, 0, ctx)
    n_int = int(n) * direction
    if unit == "year" and abs(n_int) == 1 and ctx.quarter is not None:
        # Financial news: "a year earlier" next to a quarter means the same quarter one year before.
        return "DATE", f"{ctx.quarter[0] + n_int:04d}-Q{ctx.quarter[1]}"
    if unit == "decade":
        return "DATE", f"{ctx.anchor.year + 10 * n_int:04d}"
    if unit == "century":
        return "DATE", f"{(ctx.anchor.year + 100 * n_int) // 100:02d}"
    return "DATE", _offset_value(unit, n_int, ctx)


_QUARTER_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                     "final": 4, "last": 4}  # fmt: skip


def _norm_quarter(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    q = _QUARTER_ORDINALS[m.group("qord").lower()]
    half = m.group("qunit").lower().startswith("half")
    if m.group("qord").lower() == "last":
        if not half:
            return None  # "last quarter" is the previous quarter (relative_unit), not Q4
        q = 2
    if half and q > 2:
        return None
    yphr = _g(m, "qyear") or _g(m, "qyear2")
    year: int | None
    if yphr:
        yphr = yphr.lower().replace("'s", "").replace("’s", "").replace("fiscal", "").strip()
        year = _year_from_phrase(yphr, ctx) if yphr else None
    else:
        year = ctx.anchor.year if ctx.anchor else None
        if ctx.anchor and not half and q > quarter_of(ctx.anchor)[1] and ctx.tense(m) == "past":
            year = ctx.anchor.year - 1
    ago = bool(_g(m, "qago") or _g(m, "qago2"))
    if ago and year is not None:
        year -= 1
    ystr = f"{year:04d}" if year is not None else "XXXX"
    if half:
        return "DATE", f"{ystr}-H{q}"
    if year is not None and not ago:
        ctx.quarter = (year, q)
    return "DATE", f"{ystr}-Q{q}"


def _norm_ago_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """"the year-earlier quarter", "the year-ago period": the quarter under discussion, a year back."""
    ref = ctx.quarter
    if ref is None and ctx.anchor is not None:
        ref = shift_quarter(*quarter_of(ctx.anchor), -1)
    if ref is None:
        return "DATE", "XXXX-QX"
    return "DATE", f"{ref[0] - 1:04d}-Q{ref[1]}"


def _norm_season(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    code = SEASONS[m.group("season").lower()]
    yphr = _g(m, "syear")
    rel = (_g(m, "rel") or "").lower().split()
    if yphr:
        year = _year_from_phrase(yphr, ctx)
    elif ctx.anchor is None:
        year = None
    else:
        rel_word = rel[-1] if rel else ""
        direction = {"last": "last", "past": "last", "previous": "last", "next": "next", "coming": "next"}.get(
            rel_word
        )
        year = season_year(code, ctx.anchor, direction)
    return "DATE", f"{year:04d}-{code}" if year is not None else f"XXXX-{code}"


_SPACES_RE = re.compile(r"\s+")


def _norm_holiday(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    name = _SPACES_RE.sub(" ", m.group("hol").lower()).replace("’", "'")
    yphr = _g(m, "hyear")
    rel = (_g(m, "rel") or "").lower()
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


_REF_VALUES = {
    "now": "PRESENT_REF", "currently": "PRESENT_REF", "current": "PRESENT_REF", "nowadays": "PRESENT_REF",
    "at present": "PRESENT_REF", "at the moment": "PRESENT_REF", "these days": "PRESENT_REF",
    "the present": "PRESENT_REF", "right now": "PRESENT_REF", "just now": "PAST_REF",
    "recently": "PAST_REF", "recent": "PAST_REF", "lately": "PAST_REF", "previously": "PAST_REF",
    "formerly": "PAST_REF", "the past": "PAST_REF", "once": "PAST_REF", "earlier": "PAST_REF",
    "soon": "FUTURE_REF", "the future": "FUTURE_REF", "future": "FUTURE_REF", "shortly": "FUTURE_REF",
    "as soon as possible": "FUTURE_REF", "the near future": "FUTURE_REF", "eventually": "FUTURE_REF",
}  # fmt: skip


def _norm_ref(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    word = _SPACES_RE.sub(" ", m.group("ref").lower())
    if word == "current":
        # "current" is temporal as a bare adverbial adjective ("current levels"), not in fixed terms.
        after = ctx.text[m.end() : m.end() + 12].lower()
        if after.startswith((" account", " affairs", " events", " and former", "ly")):
            return None
    return "DATE", _REF_VALUES[word]


def _norm_recent(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    return "DATE", "PAST_REF"


def _norm_time(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    special = _g(m, "special")
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
    if _g(m, "twd"):
        if ctx.anchor is not None:
            tense = ctx.tense(m)
            direction = "future" if tense in {"future", "present"} else "past"
            day = resolve_weekday(WEEKDAYS[m.group("twd").lower()], ctx.anchor, direction).isoformat()
        else:
            day = f"XXXX-WXX-{WEEKDAYS[m.group('twd').lower()]}"
    elif _g(m, "tdd"):
        offset = _DEICTIC_DAYS[m.group("tdd").lower()]
        day = (ctx.anchor + dt.timedelta(days=offset)).isoformat() if ctx.anchor else "XXXX-XX-XX"
    elif _g(m, "mon"):
        res = _norm_month_day(m, ctx)
        day = res[1] if res else None
    if day is None:
        day = ctx.anchor.isoformat() if ctx.anchor else "XXXX-XX-XX"
    return "TIME", f"{day}T{hh:02d}:{mm:02d}"


# An amount or a multiplier right before "a"/"an" + unit: a rate ("$5 million a year", "twice a day").
_RATE_BEFORE_RE = re.compile(r"(?:illion|\d|percent|%|cents?|dollars|times|twice|once|thrice)\W{0,2}$")


def _norm_duration(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    unit = m.group("unit").lower()
    num_raw = m.group("num")
    n = parse_number(num_raw)
    if num_raw.lower() in {"a", "an"}:
        # "$5 million a year", "twice a day" are frequencies (SET), not durations.
        before = ctx.text[max(0, m.start() - 12) : m.start()].lower()
        if _RATE_BEFORE_RE.search(before):
            return "SET", f"P1{UNIT_CODES[unit.rstrip('s').replace('centurie', 'century')]}"
    if n is not None and n > 1000:
        return None
    return "DURATION", duration_value(n, unit)


_SET_UNITS = {"daily": "P1D", "weekly": "P1W", "monthly": "P1M", "yearly": "P1Y", "annually": "P1Y",
              "hourly": "PT1H", "nightly": "P1D", "biweekly": "P2W", "quarterly": "P1Q",
              "semiannually": "P6M", "biannually": "P6M"}  # fmt: skip


def _norm_set(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    adv = _g(m, "adv")
    if adv:
        return "SET", _SET_UNITS[adv.lower()]
    wd = _g(m, "swd")
    if wd:
        day_num = WEEKDAYS[wd.lower().rstrip("s")]
        part = _g(m, "spart")
        return "SET", f"XXXX-WXX-{day_num}" + (f"T{PART_OF_DAY[part.lower().rstrip('s')]}" if part else "")
    sunit = m.group("sunit").lower()
    if sunit in PART_OF_DAY:
        return "SET", f"XXXX-XX-XXT{PART_OF_DAY[sunit]}"
    num = _g(m, "snum")
    n = 2.0 if num and num.lower() == "other" else parse_number(num) if num else 1.0
    code = UNIT_CODES[sunit.rstrip("s")]
    prefix = "PT" if sunit.rstrip("s") in TIME_UNITS else "P"
    return "SET", f"{prefix}{fmt_num(n)}{code}"


_SPELLED_TENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip


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


def _norm_week_of(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    res = _norm_month_day(m, ctx)
    if res is None or res[1].startswith("X"):
        return ("DATE", "XXXX-WXX") if res else None
    return "DATE", iso_week(dt.date.fromisoformat(res[1][:10]))


def _norm_year_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """"the 1988 quarter": the quarter under discussion, in that year."""
    q: int | None = None
    if ctx.quarter:
        q = ctx.quarter[1]
    elif ctx.anchor:
        q = shift_quarter(*quarter_of(ctx.anchor), -1)[1]
    return "DATE", f"{m.group('year')}-Q{q}" if q else m.group("year")


def _norm_relative_unit_period(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """"the latest period" / "the latest quarter": the quarter under discussion."""
    if ctx.quarter:
        return "DATE", f"{ctx.quarter[0]:04d}-Q{ctx.quarter[1]}"
    if ctx.anchor is None:
        return "DATE", "XXXX-QX"
    y, q = shift_quarter(*quarter_of(ctx.anchor), -1)
    return "DATE", f"{y:04d}-Q{q}"


_SEASON_FRAME_BEFORE = ("in ", "by ", "during ", "until ", "since ", "through ", "this ", "last ", "next ")


def _norm_season_guarded(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """Seasons need a frame: "fall"/"spring" are also a verb and a noun ("the fall of the Berlin Wall")."""
    word = m.group("season").lower()
    if _g(m, "rel") or _g(m, "syear"):
        return _norm_season(m, ctx)
    prefix = m.group(0)[: m.start("season") - m.start()].strip().lower()
    before = ctx.text[max(0, m.start() - 8) : m.start()].lower()
    after = ctx.text[m.end() : m.end() + 4].lower()
    if prefix in {"early", "late", "mid", "mid-"} or (
        before.endswith(_SEASON_FRAME_BEFORE) and not after.startswith(" of")
    ):
        return _norm_season(m, ctx)
    if prefix == "" and word not in {"fall", "spring"} and before.endswith(_SEASON_FRAME_BEFORE):
        return _norm_season(m, ctx)
    return None


def _rule(
    name: str,
    pattern: str,
    normalize: Normalizer,
    trigger: str | None = None,
    before: int = 0,
    after: int = 0,
    caseless: bool = False,
) -> Rule:
    """A rule; ``caseless`` says every letter of ``trigger`` is inside a ``(?i:...)`` group."""
    lower_trigger = None
    if caseless:
        if trigger is None:
            raise ValueError(f"rule {name}: caseless needs a trigger")
        source = trigger.replace("(?i:", "(?:")
        if source != source.lower():
            raise ValueError(f"rule {name}: a caseless trigger must be written in lower case, got {trigger!r}")
        lower_trigger = re.compile(source)
    return Rule(
        name, re.compile(pattern), normalize, re.compile(trigger) if trigger else None, before, after, lower_trigger
    )




_YPHR = r"(?P<yphr>(?:1[0-9]|20)\d\d(?!\d)|(?i:this|last|next)[ \t]year)"
_REL = r"(?P<rel>(?i:this[ \t]coming|this[ \t]past|the[ \t]previous|last|next|this|coming|past))"
_TENS_ALT = "|".join(k for k in _SPELLED_TENS if _SPELLED_TENS[k] >= 10)
_UNITS_ALT = "|".join(UNITS_1_19[:9])
_HOLIDAYS = (
    r"Christmas(?:[ \t](?:Day|Eve))?|New[ \t]Year['’]s[ \t](?:Day|Eve)|Thanksgiving(?:[ \t]Day)?|"
    r"Independence[ \t]Day|Halloween|Valentine['’]s[ \t]Day|Veterans[ \t]Day|Boxing[ \t]Day|"
    r"Election[ \t]Day|Labor[ \t]Day|Memorial[ \t]Day|Easter(?:[ \t]Sunday)?"
)
_MD_TAIL = (
    rf"(?:,?{SP}{YEAR4}|{SP}(?P<yphr>(?i:this|last|next)[ \t]year))?"
    rf"(?:{SP}(?P<tpart>(?i:morning|afternoon|evening|night)))?"
)
_Y4 = r"(?:1[0-9]|20)\d\d"

P_ISO = rf"\b(?P<y>{_Y4})-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?:[T ](?P<hh>[0-2]\d):(?P<mm>[0-5]\d))?\b"
P_SLASH = rf"(?<![\d/])(?P<m>[01]?\d)/(?P<d>[0-3]?\d)/(?P<y>\d\d|{_Y4})(?![\d/])"
P_MONTH_DAY = rf"(?:{WEEKDAY},?{SP})?(?<![A-Za-z]){MON}{SP}{DAY}(?![A-Za-z]){_MD_TAIL}"
P_DAY_MONTH = (
    rf"(?:{WEEKDAY},?{SP})?(?<![\d.,])"
    rf"(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?|(?i:the{SP})?(?P<dayw>(?i:{_ORD_WORDS})))"
    rf"(?:{SP}(?i:of))?{SP}{MON}{_MD_TAIL}"
)
P_MONTH_YEAR = rf"(?<![A-Za-z]){MON}(?:{SP}(?i:of))?,?{SP}{_YPHR}"
# A bare month must be spelled out: "Jan" alone is more often a name than a month.
P_MONTH = rf"(?:{_REL}{SP})?(?<![A-Za-z])(?P<mon>{_MON_FULL})(?![A-Za-z])"
P_YEAR = rf"(?:(?P<fiscal>(?i:fiscal(?:[ \t]year)?|the[ \t]year|FY)){SP})?(?<![\d.,'])\b{YEAR4}(?!['’]?s\b)"
P_DECADE = rf"(?<![\w$])(?i:the{SP})?(?:(?P<cent>1[0-9]|20)(?P<dec>\d)0|['’](?P<dec2>\d)0)['’]?s\b"
P_CENTURY = rf"(?i:the{SP})?(?P<ord>\d{{1,2}}(?i:st|nd|rd|th)|(?i:{_ORD_WORDS}))[ -](?i:century)\b"
P_WEEKDAY = rf"(?:{_REL}{SP})?(?<![A-Za-z]){WEEKDAY}(?:{SP}{PART})?"
P_DEICTIC_DAY = (
    rf"\b(?:(?P<before>(?i:the{SP}day{SP}before)){SP}|(?P<after>(?i:the{SP}day{SP}after)){SP})?"
    rf"(?P<dd>(?i:today|yesterday|tomorrow|tonight))\b(?:{SP}{PART})?"
)
P_PART_OF_DAY = rf"\b(?P<rel>(?i:this|last))[ \t]{PART}\b"
P_RELATIVE_UNIT = (
    r"\b(?P<rel>(?i:(?:earlier|later|early|late|the[ \t]end[ \t]of|the[ \t]rest[ \t]of)[ \t])?"
    r"(?i:this|last|next|the[ \t]current|the[ \t]previous|the[ \t]coming|the[ \t]latest|the[ \t]past|"
    r"the[ \t]last|the))"
    rf"{SP}(?P<runit>(?i:week(?:end)?|month|year|quarter|decade|century))\b"
    r"(?![ -](?i:ago|earlier|old|of\b))"
)
P_AGO = (
    r"\b(?:(?i:nearly|almost|about|around|roughly|some|more[ \t]than|less[ \t]than|over|just|only|"
    rf"at[ \t]least|barely){SP})?{NUM}[ \t-]{{1,2}}{UNIT}{SP}"
    r"(?P<dir>(?i:ago|earlier|before|back|from[ \t]now|hence))\b"
)
P_QUARTER = (
    rf"\b(?:(?i:the){SP})?(?:(?P<qyear>(?i:this[ \t]year['’]s|last[ \t]year['’]s|next[ \t]year['’]s|"
    rf"fiscal[ \t]{_Y4}['’]s|{_Y4}['’]s|{_Y4})){SP})?"
    rf"(?:(?P<qago2>(?i:year[ \t-](?:ago|earlier))){SP})?(?:(?i:fiscal|calendar|current|latest){SP})?"
    r"(?P<qord>(?i:first|second|third|fourth|1st|2nd|3rd|4th|final|last))[ \t-]"
    r"(?P<qunit>(?i:quarter|half))(?!-?(?i:s\b|ly))"
    rf"(?:{SP}(?i:of){SP}(?P<qyear2>{_Y4}|(?i:this|last|next|fiscal)[ \t](?:year|{_Y4}))"
    rf"|(?P<qago>{SP}(?i:a[ \t]year[ \t](?:earlier|ago|before))))?"
)
P_WEEK_OF = rf"\b(?i:the[ \t]week[ \t]of){SP}(?<![A-Za-z]){MON}{SP}{DAY}(?![A-Za-z])(?:,?{SP}{YEAR4})?"
P_YEAR_PERIOD = rf"\b(?i:the){SP}{YEAR4}{SP}(?i:quarter|period|three[ \t]months)\b"
_YEAR_AGO = r"(?i:year[ \t-](?:earlier|ago)|prior[ \t-]year|year[ \t]before)"
P_YEAR_AGO_PERIOD = rf"\b(?:(?i:the){SP})?{_YEAR_AGO}(?:{SP}(?i:quarter|period|three[ \t]months))?\b"
P_LATEST_PERIOD = r"\b(?P<rel>(?i:the[ \t]latest|the[ \t]same))[ \t](?P<runit>(?i:period|quarter))\b"
P_SEASON = (
    rf"\b(?:{_REL}{SP}|(?i:the|early|late|mid-?){SP}?)?(?P<season>(?i:spring|summer|fall|autumn|winter))\b"
    rf"(?:(?:{SP}(?i:of))?{SP}(?P<syear>{_Y4}(?!\d)))?"
)
P_HOLIDAY = rf"(?:{_REL}{SP})?\b(?P<hol>{_HOLIDAYS})\b(?:,?{SP}(?P<hyear>{_Y4}))?"
P_REF = (
    r"\b(?P<ref>(?i:as[ \t]soon[ \t]as[ \t]possible|the[ \t]near[ \t]future|the[ \t]future|now|"
    r"currently|current|nowadays|at[ \t]present|at[ \t]the[ \t]moment|these[ \t]days|the[ \t]present|"
    r"right[ \t]now|recently|lately|the[ \t]past))\b(?![-'’])"
)
P_RECENT = (
    r"\b(?i:(?:the[ \t]|in[ \t])?(?:most[ \t])?recent[ \t]"
    r"(?:years|months|weeks|days|decades|times|history))\b"
)
P_TIME = (
    rf"(?:(?<![\d.,:$])(?P<hh>[012]?\d)"
    rf"(?::(?P<mm>[0-5]\d)(?![\d:])(?:[ \t]?(?P<ampm>{AMPM}))?|[ \t]?(?P<ampm2>{AMPM}))"
    rf"|\b(?P<special>(?i:noon|midday|midnight))\b){TZ}"
    rf"(?:,?{SP}(?:(?i:on){SP})?(?:(?P<twd>{WKDAY})(?![A-Za-z])|(?P<tdd>(?i:today|yesterday|tomorrow))"
    rf"|{MON}{SP}{DAY}))?"
)
P_DURATION = (
    r"\b(?:(?i:inside[ \t]of|less[ \t]than|more[ \t]than|at[ \t]least|nearly|almost|about|around|"
    r"roughly|some|over|under|up[ \t]to|the[ \t](?:past|last|next|first|previous|coming|following)|"
    rf"another|the[ \t]better[ \t]part[ \t]of){SP})?{NUM}(?P<hyph>-|[ \t]{{1,2}}){UNIT}(?![A-Za-z])"
)
P_SET = (
    r"\b(?:(?P<adv>(?i:daily|weekly|monthly|yearly|annually|hourly|nightly|biweekly|semiannually|"
    r"biannually))\b"
    rf"|(?i:every|each|per)(?:{SP}(?P<snum>\d{{1,3}}|(?i:{_NUM_WORDS}|other)))?{SP}"
    r"(?P<sunit>(?i:second|minute|hour|day|week|month|year|quarter|decade|morning|afternoon|evening|"
    r"night))s?\b"
    rf"|(?i:every|each){SP}(?P<swd>(?:{WKDAY})s?)"
    rf"(?:{SP}(?P<spart>(?i:morning|afternoon|evening|night)s?))?\b)"
)
P_WEEKDAY_PLURAL = rf"(?<![A-Za-z])(?P<swd>(?:{WKDAY})s)\b"
P_SPELLED_YEAR = (
    rf"\b(?:(?P<smon>{_MON_FULL}){SP})?(?i:nineteen)[ \t-](?P<stens>(?i:{_TENS_ALT}))"
    rf"(?:[ \t-](?P<sunit1>(?i:{_UNITS_ALT})))?\b"
    r"|(?:(?i:the[ \t]year[ \t])|(?<=[Ii]n[ \t])|(?<=[Bb]y[ \t]))(?P<thousand>(?i:two[ \t]thousand))"
    rf"(?:[ \t](?i:and[ \t])?(?P<tunit>(?i:{_UNITS_ALT})))?\b"
)

# Triggers: cheap keyword regexes whose hits bound where the full pattern is tried (see Rule).
T_MON = rf"(?<![A-Za-z])(?:{_MON_FULL}|{_MON_ABBR}|{_MON_ABBR.upper()})(?![a-z])"
T_UNIT = r"(?i:second|minute|hour|day|week|month|year|decade|centur|quarter)"

# Order matters only for ties: among overlapping candidates the longest wins, then the earlier rule. ``caseless``
# marks triggers whose letters are all case-insensitive: they scan the lower-cased text, several times faster.
RULES: tuple[Rule, ...] = (
    _rule("iso", P_ISO, _norm_iso, r"\d-[01]\d-[0-3]\d", before=4, after=9),
    _rule("slash", P_SLASH, _norm_slash, r"\d/\d", before=2, after=6),
    _rule("month_day", P_MONTH_DAY, _norm_month_day, T_MON, before=14, after=40),
    _rule("day_month", P_DAY_MONTH, _norm_month_day, T_MON, before=30, after=40),
    _rule("month_year", P_MONTH_YEAR, _norm_month_year, T_MON, after=30),
    _rule("month", P_MONTH, _norm_month, rf"(?<![A-Za-z])(?:{_MON_FULL})(?![a-z])", before=14, after=12),
    _rule("year", P_YEAR, _norm_year, rf"(?<!\d){_Y4}(?!\d)", before=16, after=2),
    _rule("decade", P_DECADE, _norm_decade, r"\d0['’]?s\b", before=12),
    _rule("century", P_CENTURY, _norm_century, r"(?i:century)", before=24, after=7, caseless=True),
    _rule("weekday", P_WEEKDAY, _norm_weekday, rf"(?:{WKDAY})(?![a-z])", before=16, after=12),
    _rule("deictic_day", P_DEICTIC_DAY, _norm_deictic_day, r"(?i:today|yesterday|tomorrow|tonight)", before=30,
          after=12, caseless=True),
    _rule("part_of_day", P_PART_OF_DAY, _norm_part_of_day, r"(?i:morning|afternoon|evening|night)", before=6,
          caseless=True),
    _rule("relative_unit", P_RELATIVE_UNIT, _norm_relative_unit,
          r"(?i:week|month|year|quarter|decade|century)", before=40, after=12, caseless=True),
    _rule("ago", P_AGO, _norm_ago, r"(?i:\b(?:ago|earlier|before|back|from[ \t]now|hence)\b)", before=70,
          caseless=True),
    _rule("quarter", P_QUARTER, _norm_quarter, r"(?i:quarter|half)", before=70, after=40, caseless=True),
    _rule("week_of", P_WEEK_OF, _norm_week_of, r"(?i:week[ \t]of)", before=6, after=40, caseless=True),
    _rule("year_period", P_YEAR_PERIOD, _norm_year_period, r"(?i:quarter|period|three[ \t]months)",
          before=12, caseless=True),
    _rule("year_ago_period", P_YEAR_AGO_PERIOD, _norm_ago_period, _YEAR_AGO, before=6, after=20, caseless=True),
    _rule("latest_period", P_LATEST_PERIOD, _norm_relative_unit_period, r"(?i:period|quarter)", before=14,
          caseless=True),
    _rule("season", P_SEASON, _norm_season_guarded, r"(?i:spring|summer|fall|autumn|winter)", before=18,
          after=14, caseless=True),
    _rule("holiday", P_HOLIDAY, _norm_holiday, _HOLIDAYS, before=16, after=8),
    _rule("ref", P_REF, _norm_ref, r"(?i:now|current|present|moment|these[ \t]days|recently|lately|past|future|"
          r"as[ \t]soon)", before=16, after=16, caseless=True),
    _rule("recent", P_RECENT, _norm_recent, r"(?i:recent)", before=12, after=12, caseless=True),
    _rule("time", P_TIME, _norm_time, rf"\d(?::[0-5]\d|[ \t]?{AMPM})|(?i:noon|midday|midnight)", before=2,
          after=40, caseless=True),
    _rule("duration", P_DURATION, _norm_duration, T_UNIT, before=60, after=10, caseless=True),
    _rule("set", P_SET, _norm_set, r"(?i:daily|weekly|monthly|yearly|annually|hourly|nightly|biweekly|"
          r"semiannually|biannually|every|each|per)\b", after=40, caseless=True),
    _rule("weekday_plural", P_WEEKDAY_PLURAL, _norm_set, rf"(?:{WKDAY})s", after=1),
    _rule("spelled_year", P_SPELLED_YEAR, _norm_spelled_year, r"(?i:nineteen|two[ \t]thousand)", before=12,
          after=30, caseless=True),
)  # fmt: skip


# Modifiers that TimeML puts inside the extent of the expression they modify ("late November", "mid-1990s").
_PREFIX_RE = re.compile(
    r"(?:\b(?i:early|late|mid|the[ \t]end[ \t]of|the[ \t]beginning[ \t]of|the[ \t]start[ \t]of|"
    r"the[ \t]middle[ \t]of|the[ \t]turn[ \t]of|the[ \t](?:early|late|mid)|the[ \t](?:first|second|last)"
    r"[ \t]half[ \t]of|the[ \t]end[ \t]of[ \t]the|earlier|later)(?:[ \t]|-)|\bmid-)$"
)


# ----------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------

_Candidate = tuple[int, int, int, re.Match[str]]  # (start, end, rule index, match)


def _normalize(rule: Rule, m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    try:
        return rule.normalize(m, ctx)
    except (ValueError, KeyError, OverflowError, IndexError, TypeError, AttributeError) as exc:
        LOGGER.debug("rule %s failed on %r: %s", rule.name, m.group(0), exc)
        return None


# Characters that re's IGNORECASE takes for an ASCII letter but str.lower() does not turn into that letter (or,
# for "İ", turns into two characters). In a text without them, a case-insensitive trigger finds exactly the spans
# that its lower-case, case-sensitive form finds in text.lower() (tests/test_timex.py checks every code point);
# the regex engine skips ahead to a case-sensitive pattern's first letters but tries every position otherwise.
_FOLD_UNSAFE_RE = re.compile("[\u0130\u0131\u017f]")


def _lowered(text: str) -> str | None:
    """``text.lower()`` for the caseless triggers, or None when that could change what they find."""
    return None if _FOLD_UNSAFE_RE.search(text) else text.lower()


def _trigger_hits(rule: Rule, text: str, lowered: str | None = None) -> list[tuple[int, int]]:
    """Spans of ``rule.trigger`` in ``text``, scanned in ``lowered`` (see ``_lowered``) when the rule allows it."""
    assert rule.trigger is not None
    if lowered is not None and rule.lower_trigger is not None:
        return [m.span() for m in rule.lower_trigger.finditer(lowered)]
    return [m.span() for m in rule.trigger.finditer(text)]


def _triggered(rule: Rule, text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[re.Match[str]]:
    """Matches of ``rule.pattern`` that cover a trigger hit, searched only in a window around it."""
    seen: set[tuple[int, int]] = set()
    size = len(text)
    for hit_start, hit_end in _trigger_hits(rule, text) if hits is None else hits:
        lo, hi = max(0, hit_start - rule.before), min(size, hit_end + rule.after)
        pos = lo
        while pos <= hit_start:
            m = rule.pattern.search(text, pos, hi)
            if m is None or m.start() > hit_start:
                break
            if m.end() >= hit_end:
                if m.span() not in seen:
                    seen.add(m.span())
                    yield m
                break
            pos = m.start() + 1


def _candidates(text: str, anchor: dt.date | None) -> list[_Candidate]:
    """Every rule match that its normalizer accepts (with a scratch context, so rejects cannot shadow
    shorter valid matches during overlap resolution)."""
    scratch = Context(text=text, anchor=anchor)
    out: list[_Candidate] = []
    lowered = _lowered(text)
    hits_by_trigger: dict[re.Pattern[str], list[tuple[int, int]]] = {}  # rules that share a trigger scan once
    for idx, rule in enumerate(RULES):
        if rule.trigger is None:
            matches: Iterator[re.Match[str]] = rule.pattern.finditer(text)
        else:
            hits = hits_by_trigger.get(rule.trigger)
            if hits is None:
                hits = hits_by_trigger[rule.trigger] = _trigger_hits(rule, text, lowered)
            matches = _triggered(rule, text, hits)
        for m in matches:
            start, end = m.span()
            # Trailing whitespace can be swallowed by optional groups; it is never part of the extent.
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start and _normalize(rule, m, scratch) is not None:
                out.append((start, end, idx, m))
    return out


def _select(cands: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping candidates: the longest of any overlapping run wins, ties go to the earlier rule."""
    cands.sort(key=lambda c: (c[0], c[0] - c[1], c[2]))
    chosen: list[_Candidate] = []
    for cand in cands:
        if chosen and cand[0] < chosen[-1][1]:
            last = chosen[-1]
            if cand[1] - cand[0] > last[1] - last[0]:
                chosen[-1] = cand
            continue
        chosen.append(cand)
    return chosen


def _extend_prefix(text: str, start: int, typ: str) -> int:
    if typ != "DATE":
        return start
    m = _PREFIX_RE.search(text, max(0, start - 24), start)
    return m.start() if m and m.end() == start else start


def extract_dates(text: str, anchor: dt.date | None) -> list[TimexMention]:
    """Temporal expressions in ``text``, sorted by start, non-overlapping, values resolved against ``anchor``.

    Never raises: a rule that fails on an odd input is logged and its mention skipped.
    """
    if not isinstance(text, str) or not text:
        return []
    if isinstance(anchor, dt.datetime):
        anchor = anchor.date()
    ctx = Context(text=text, anchor=anchor)
    try:
        chosen = _select(_candidates(text, anchor))
    except (RecursionError, MemoryError):  # pragma: no cover - defensive, regexes are linear
        LOGGER.warning("temporal tagging skipped a %d-character text", len(text))
        return []
    out: list[TimexMention] = []
    last_end = 0
    for start, end, idx, m in chosen:
        result = _normalize(RULES[idx], m, ctx)
        if result is None:
            continue
        typ, value = result
        extended = _extend_prefix(text, start, typ)
        if extended >= last_end:  # never grow into the previous mention
            start = extended
        out.append(TimexMention(text=text[start:end], start=start, end=end, type=typ, value=value))
        last_end = end
    return out
