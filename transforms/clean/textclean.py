"""Text cleaning for wire stories: HTML to text, Unicode repair, page chrome removal, datelines and timestamps.

Pure functions only; the Beam composite lives in transforms/clean/stage.py. Three entry points:

- `clean_text` — the Unicode/whitespace chain alone (mojibake repair only where detected, NFC, zero-width and
  control characters removed, whitespace collapsed, paragraphs kept, typographic quotes kept);
- `clean_story` — feed content or scraped page text → `Cleaned` (title, body, dateline, page timestamp, credits);
- `extract_article` — a full article page → its main text (trafilatura with its fallbacks; the page's JSON-LD
  articleBody when trafilatura keeps too little of it; a displayed standfirst put back; then the same line-level
  boilerplate removal).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import unescape as html_unescape
from zoneinfo import ZoneInfo

import ftfy
import lxml.etree
import lxml.html

from transforms.entities.places import place_names_casefolded

LOGGER = logging.getLogger(__name__)

__all__ = [
    "Cleaned",
    "Dateline",
    "clean_story",
    "clean_text",
    "extract_article",
    "html_to_text",
    "parse_dateline",
    "parse_page_timestamp",
]


@dataclass(frozen=True, slots=True)
class Dateline:
    """A wire dateline such as ``LONDON, March 14 (Reuters) -``; `date` is resolved against the publish time."""

    location: str
    date_text: str | None
    date: dt.date | None
    agency: str | None
    raw: str


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The story and the metadata lifted out of its text."""

    title: str
    body: str
    dateline: Dateline | None
    page_timestamp: dt.datetime | None  # aware UTC
    credits: tuple[str, ...]
    removed_lines: int


# --------------------------------------------------------------------------------------------------------------
# Unicode and whitespace chain
# --------------------------------------------------------------------------------------------------------------

# UTF-8 read as Latin-1/cp1252 leaves a lead byte (Â..ô) followed by a continuation byte shown as C1 control,
# Latin-1 symbol or cp1252 punctuation. Only texts with such a pair pay for ftfy (~1.7 MB/s); ftfy then decides.
_MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|\ufffd"
)
# Line breaks in all their spellings become "\n" before anything else looks at lines.
_NEWLINE_RE = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_COMMON_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_NEWLINE_CHARS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
# Invisible characters: C0/C1 controls (tab and newline excepted), zero-width spaces and joiners, bidi marks,
# word joiner, BOM, soft hyphen. Reuters inserts zero-width characters into its copy as a watermark.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f"
    "\ufeff\ufff9-\ufffb]+"
)
# Runs of horizontal space (or one non-ASCII/tab space) become one ASCII space; single spaces are left alone so
# the common case does no replacement work.
_HSPACE_RE = re.compile(r"[^\S\n]{2,}|[^\S \n]")
_SPACE_AT_NEWLINE_RE = re.compile(r" \n ?|\n ")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


# Characters that open almost every UTF-8-as-cp1252 sequence for Latin (incl. Central European), punctuation and
# Cyrillic text (Greek and a mangled BOM are left to chance: each needle is one more scan of every text).
# Plain substring tests run at memory speed; the regex and ftfy only see texts holding one of them.
_MOJIBAKE_GATE = ("Ã", "Â", "â€", "Ð", "Ñ", "Å", "Ä", "\ufffd")
_MULTISPACE_RE = re.compile(" {2,}")


def _repair_mojibake(text: str) -> str:
    """ftfy, only when a mojibake signature is present; curly quotes are kept (uncurl_quotes=False)."""
    if not any(gate in text for gate in _MOJIBAKE_GATE) or _MOJIBAKE_HINT_RE.search(text) is None:
        return text
    return ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC", unescape_html=False)


def clean_text(text: str) -> str:
    """Repair mojibake where detected, NFC, drop invisible characters, collapse whitespace, keep paragraphs.

    Lines are kept; runs of blank lines shrink to one blank line (a paragraph break). Typographic quotes stay.
    Zero-width joiners go too (emoji ZWJ sequences fall apart into their parts: acceptable for news text).
    """
    if not text:
        return ""
    if not text.isascii():
        text = _repair_mojibake(text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    # str.isprintable is false for every control, format (zero-width), line/paragraph separator and non-ASCII
    # space character: one C-speed test keeps the common clean text off the regex passes (~60 MB/s each).
    odd_spaces = False
    if not text.replace("\n", " ").isprintable():
        # the usual invisible characters go by str.replace (memory speed); the regexes see what is left
        for char in _COMMON_INVISIBLE:
            if char in text:
                text = text.replace(char, "")
        if not text.replace("\n", " ").isprintable():
            if any(c in text for c in _NEWLINE_CHARS):
                text = _NEWLINE_RE.sub("\n", text)
            text = _INVISIBLE_RE.sub("", text)
            odd_spaces = not text.replace("\n", " ").isprintable()  # tabs, no-break and other non-ASCII spaces
    if odd_spaces:
        text = _HSPACE_RE.sub(" ", text)
    elif "  " in text:
        text = _MULTISPACE_RE.sub(" ", text)
    if "\n" in text:
        if " \n" in text or "\n " in text:
            text = _SPACE_AT_NEWLINE_RE.sub("\n", text)
        if "\n\n\n" in text:
            text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


# --------------------------------------------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Never story text: code, media, widgets, captions, navigation.
_DROP_TAGS = frozenset(
    [
        "applet",
        "audio",
        "button",
        "canvas",
        "embed",
        "figcaption",
        "figure",
        "footer",
        "form",
        "head",
        "iframe",
        "input",
        "label",
        "link",
        "map",
        "meta",
        "nav",
        "noscript",
        "object",
        "option",
        "picture",
        "script",
        "select",
        "source",
        "style",
        "svg",
        "template",
        "textarea",
        "title",
        "track",
        "video",
        "aside",
        "math",
    ]
)
# Dropped elements that sit between paragraphs: text on either side of them is not one paragraph.
_BLOCKISH_DROP_TAGS = frozenset(
    [
        "aside",
        "audio",
        "canvas",
        "embed",
        "figure",
        "footer",
        "form",
        "iframe",
        "nav",
        "object",
        "picture",
        "svg",
        "table",
        "video",
    ]
)
# class/id words that mark share widgets, ads, captions, newsletter boxes in feed HTML (a fragment has no page
# layout for a main-text extractor to work with, so markup names are the best evidence there is).
_CHROME_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|newsletter|advert\w*|ads?|adslot|sponsor\w*|promo\w*|related|"
    r"caption|credits?|cookie\w*|subscribe|signup|paywall|outbrain|taboola|comments?|toolbar|breadcrumbs?)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_HTML_DOC_RE = re.compile(r"<(?:!doctype|html|body|head)\b", re.IGNORECASE)
_HTML_BLOCK_RE = re.compile(r"<(?:p|br|div|li|h[1-6]|blockquote|table|tr)\b", re.IGNORECASE)
_LOOKS_HTML_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_TAG_RE = re.compile(r"<[^<>]*>")
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_HTML_WS_RE = re.compile(r"\s+")


def _is_chrome_element(el: lxml.html.HtmlElement) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
    if attrs != " " and _CHROME_ATTR_RE.search(attrs):
        return True
    return el.get("hidden") is not None or el.get("aria-hidden") == "true"


def _parse_html(content: str) -> lxml.html.HtmlElement | None:
    try:
        if _HTML_DOC_RE.search(content[:2000]):
            return lxml.html.document_fromstring(content)
        return lxml.html.fragment_fromstring(content, create_parent="div")
    except (lxml.etree.ParserError, ValueError) as exc:
        LOGGER.debug("HTML not parsed (%s); tags stripped by regex", exc)
        return None


def _collapse_space(text: str) -> str:
    """Each whitespace run as one space (HTML rendering)."""
    # Most text nodes hold single spaces only (the one whitespace character str.isprintable allows): nothing to
    # collapse, and re.sub would still rebuild them piece by piece.
    if text.isprintable() and "  " not in text:
        return text
    return _HTML_WS_RE.sub(" ", text)


def html_to_text(content: str) -> str:
    """HTML (fragment or page) → text with one blank line between blocks; scripts, captions, widgets dropped."""
    root = _parse_html(content)
    if root is None:
        return html_unescape(_TAG_RE.sub(" ", content))
    # A fragment without any block markup keeps its own line breaks (paragraphs "as plain newlines").
    keep_newlines = _HTML_BLOCK_RE.search(content) is None
    parts: list[str] = []

    def add(text: str | None) -> None:
        if text:
            parts.append(text if keep_newlines else _collapse_space(text))

    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions: only their tail is text
            if event == "end":
                add(el.tail)
            continue
        tag = tag.lower()
        if event == "start":
            if tag in _DROP_TAGS or _is_chrome_element(el):
                walker.skip_subtree()  # its "end" event still comes and adds the tail
                continue
            if tag == "br":
                parts.append("\n")
            elif tag in _BLOCK_TAGS:
                parts.append("\n\n")
            add(el.text)
        else:
            if tag in _BLOCK_TAGS or tag in _BLOCKISH_DROP_TAGS:
                parts.append("\n\n")
            add(el.tail)
    return "".join(parts)


def _unescape(text: str) -> str:
    """Unescape entities left in plain text (feeds often escape twice)."""
    return html_unescape(text) if "&" in text and _ENTITY_RE.search(text) else text


# --------------------------------------------------------------------------------------------------------------
# Datelines
# --------------------------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("january", "jan"),
        ("february", "feb"),
        ("march", "mar"),
        ("april", "apr"),
        ("may",),
        ("june", "jun"),
        ("july", "jul"),
        ("august", "aug"),
        ("september", "sep", "sept"),
        ("october", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

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
# AP style with the agency dropped ("WASHINGTON — The ..."): only an em/en dash or "--" counts, never a hyphen.
_DATELINE_DASH_ONLY_RE = re.compile(rf"{_LOCATION}\s+(?:--|[–—])(?:\s+(?=[A-Z0-9“\"‘'])|$)")
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
    month = _MONTHS.get(month_name.lower().rstrip("."))
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


def _standalone_place(location: str) -> bool:
    """Whether "LOCATION —" with neither agency nor date can be a dateline: AP style lets only major places stand
    alone ("WASHINGTON —", "KYIV/MOSCOW —", in the gazetteer) and qualifies the rest ("SPRINGFIELD, Ill. —");
    a capitalised name opening a sentence ("NASA — The agency said") is neither."""
    if "," in location:
        return True
    known = place_names_casefolded()
    return all(part.strip().casefold() in known for part in location.split("/"))


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
    _DATELINE_AGENCY_ONLY_RE,
)


def parse_dateline(line: str, published: dt.datetime | None) -> tuple[Dateline, int] | None:
    """The dateline opening `line` and how many characters it takes (with the dash and following space).

    Ordered parsers, first hit wins: "PLACE[, Month D] (Agency) -", "PLACE, Month D -", "PLACE —",
    "(Agency) -". Returns None when the line does not open with a dateline.
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
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower().rstrip("."))
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


# --------------------------------------------------------------------------------------------------------------
# Boilerplate and credit lines
# --------------------------------------------------------------------------------------------------------------

_BULLET = r"(?:[•·▪●◦‣∙*>»|-]\s*)?"
# Whole-line page chrome (matched on a stripped line, case-insensitive).
_CHROME_LINE_RE = re.compile(
    _BULLET + r"(?:"
    r"\d+\s*:\s*\d+"  # share counter "0 : 0"
    # responsive-layout breakpoint labels, "narrow-browser-and-phone"
    r"|(?:narrow|medium|wide|landscape|portrait|above|below|phone|tablet|browser|desktop|mobile|and|larger|"
    r"smaller)(?:-(?:narrow|medium|wide|landscape|portrait|above|below|phone|tablet|browser|desktop|mobile|and|"
    r"larger|smaller))+"
    r"|advertisements?|advertising|anzeige|publicidad|publicité|pubblicità|reklama|mainos|sponsored(?: content)?"
    r"|(?:story|article) continues below(?: advertisement)?|continue reading(?: below| the main story)?"
    r"|scroll (?:down )?to continue(?: with content)?|skip (?:to )?(?:main )?content|skip advert(?:isement)?"
    r"|read (?:more|next|also|the full (?:story|article))|see also|also read|more on this(?: story)?"
    r"|related(?: coverage| stories| articles| content| news| topics| links| video)?|recommended(?: for you)?"
    r"|most (?:read|popular|viewed|shared)|trending(?: now| stories)?|top stories|latest news|more stories"
    r"|\d+\s*min(?:ute)?s?\s*read|\d+\s*min\.?"
    r"|share(?: this)?(?: article| story| page| on)?|(?:share|follow) (?:on|via) \w+|print(?: this)?(?: article)?"
    r"|(?:(?:facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|telegram|e-?mail|copy link|print|flipboard"
    r"|messenger)\s*[|,/]?\s*){1,8}"
    r"|comments?|\d+ comments?|(?:write|leave|post|add|show|view|load) (?:a |all |more )?comments?"
    r"|sign in|log in|sign up|subscribe(?: now)?|register|log in to comment|back to top|click here"
    r"|(?:image|photo|video|picture|photograph|graphic|illustration)s?(?: credit)?"
    r"|all rights reserved\.?|(?:©|\(c\)|copyright)\s.{0,80}"
    r"|_{3,}|-{3,}|\*{3,}|={3,}"
    r")[.:!]?",
    re.IGNORECASE,
)
# Lines opening with a "read this too" marker in the languages of the wire services' markets.
_READ_MORE_PREFIX_RE = re.compile(
    r"(?:read more|read also|also read|see also|related(?: coverage| stories)?|recommended|more on this"
    r"|lesen sie (?:auch|hier|mehr)|mehr zum thema|weitere informationen|auch interessant|das könnte sie"
    r"|lea también|lee también|le puede interesar|te puede interesar|puede interesarle|más sobre|ver también"
    r"|lire aussi|à lire aussi|a lire aussi|voir aussi|leggi anche|vedi anche|leia também|veja também"
    r"|czytaj (?:też|także|więcej)|zobacz (?:też|także)|dowiedz się więcej|lue myös|läs (?:också|mer)"
    r"|les også|lees ook|bekijk ook)\b"
    # a separator right after the marker, or a short lead-in ending in a colon, or nothing else on a short line
    r"(?:\s*[:»>|-]|[^.!?]{0,80}:$|[^.!?:]{0,50}$)",
    re.IGNORECASE,
)
# Weaker markers ("MORE: ...", "WATCH: ...") count only on a short line that is not a sentence.
_WEAK_PREFIX_RE = re.compile(r"(?:more|watch|video|listen|podcast|gallery|photos|live)\s*:", re.IGNORECASE)
_WEAK_PREFIX_MAX = 150
# Short lines that are a prompt: newsletter and sign-up boxes, cookie banners, app and paywall notices.
_PROMPT_RE = re.compile(
    r"newsletter|(?:sign(?:ing)?[ -]up|subscribe|register|log ?in|sign in|click|tap)\b.{0,40}\b(?:here|now|today|"
    r"free|for free|to (?:read|continue|get|receive|comment))\b|we use cookies|(?:site|website) uses cookies"
    r"|accept (?:all )?cookies|cookie (?:policy|settings|preferences)|letters? to the editor|write to us at"
    r"|free trial|download (?:the|our) app|follow us on|enable javascript|your browser (?:does|is)"
    r"|ad[- ]?blocker|privacy (?:policy|settings)|(?:listen|follow|subscribe) (?:on|via) (?:apple|spotify|google)"
    r"|listen on the \w+ app"
    r"|never miss|don'?t miss (?:a|our|the)|already (?:a )?subscriber|support (?:our|independent) journalism"
    r"|to continue reading|you have reached your|unlimited (?:digital )?access",
)
# Substrings one of which every prompt above contains: cheap `in` tests spare most lines the regex.
_PROMPT_TRIGGERS = (
    "newsletter",
    "sign",
    "subscri",
    "regist",
    "log",
    "click",
    "tap",
    "cookie",
    "editor",
    "write to us",
    "trial",
    "app",
    "follow",
    "javascript",
    "browser",
    "block",
    "privacy",
    "listen",
    "miss",
    "journalism",
    "continue",
    "reached",
    "access",
)
_PROMPT_WITH_NEWSLETTER_RE = re.compile(
    r"sign|subscri|suscri|abonn|inbox|e-?mail|free|get|receive|deliver|regist|anmeld"
)
_PROMPT_MAX = 240
_ITEM_SEP_RE = re.compile(r"\s*[•·▪●|]\s*|\s{2,}")
_ITEM_SEPS = ("•", "·", "▪", "●", "|", "  ")
# Photo credits alone on a line: "Photo: Jane Doe/Reuters", "(Image courtesy of NASA)".
_PHOTO_CREDIT_RE = re.compile(
    r"\(?\s*(?:(?:photo|image|picture|photograph|foto|fotografía|bild|credit|crédito|illustration|graphic)s?"
    r"(?: credit)?\s*[:/|]|(?:photo|image)s? (?:by|courtesy(?: of)?)\b)[^()\n]{1,80}\)?\.?",
    re.IGNORECASE,
)
# Captions end in a credit: "... in Taipei. Photo: AP", "(AP Photo/J. Scott Applewhite)", "REUTERS/Kevin Lamarque".
# Searched in the last characters of a line only, so long lines cost no more than short ones.
_CAPTION_TAIL_RE = re.compile(
    r"(?:\(\s*(?:photo|image|picture|photograph|foto|fotografía|bild|credit|crédito|illustration|graphic)s?"
    r"(?: credit)?\s*[:/|][^()\n]{1,80}\)\.?"
    r"|[.!?]\s+(?:photo|image|foto|bild|credit)s?\s*:\s*[^.!?()\n]{1,80}\.?"
    r"|(?:reuters|ap photo|afp|getty images|epa(?:-efe)?|shutterstock|bloomberg|pool|dpa|xinhua|via getty|photo)"
    r"(?:/[^/\n()]{1,60}){1,3}\)?\.?"
    r"|(?:getty images|shutterstock|afp via getty images|reuters pictures)\)?\.?)$",
)
_CAPTION_TAIL = 200
_CAPTION_TRIGGERS = ("/", ":", "|", "getty", "shutterstock", "reuters pictures")
_CAPTION_MAX = 400
# A page title repeated with its site and section: "Headline | Section | Site | 23.05.2011".
_TITLE_BAR_RE = re.compile(r"[^|\n]{3,200}(?: \| [^|\n]{1,60}){2,}")

# Credit lines move to `Cleaned.credits`.
_CREDIT_LINE_RE = re.compile(
    r"\(?\s*(?:(?:additional |further )?reporting|writing|written|editing|edited|compiled|research|"
    r"additional research|graphics?|produced|fact[- ]checking|translated|photos?|video)\s+by\b.{0,300}"
    r"|our standards:.{0,80}"
    r"|.{0,200}\bcontributed(?: to)?(?: this)? (?:report|story|reporting)\b.{0,40}"
    r"|(?:follow|contact|email|e-mail) (?:the )?(?:author|reporter|writer)s?\b.{0,150}"
    # a byline: capitalised names only (case-sensitive inside, so "By the numbers:" is no byline)
    r"|by (?-i:[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:(?:,| and) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3})*)"
    r"(?:,? (?:Reuters|Associated Press|AP|AFP|Bloomberg)(?: \w+){0,3})?",
    re.IGNORECASE | re.DOTALL,
)
_CREDIT_MAX = 400
# "... body text. (Reporting by X; Editing by Y)" at the end of a paragraph.
_TRAILING_CREDIT_RE = re.compile(
    r"\s*\((?:(?:additional )?reporting|writing|editing|compiled|research)\s+by\b[^()]*(?:\([^()]*\)[^()]*)*\)\s*$",
    re.IGNORECASE,
)
_SENTENCE_BREAK_RE = re.compile(r"(?<![A-Z])[.!?] [A-Z]")
_WORD_RE = re.compile(r"\w+")


def _is_chrome_line(line: str) -> bool:
    """Page chrome or boilerplate: widgets, prompts, captions, read-more links (case-insensitive, whole line)."""
    if line.startswith("|"):
        return False  # a table row (trafilatura writes tables as "| a | b |"), never chrome
    if _CHROME_LINE_RE.fullmatch(line):
        return True
    n = len(line)
    # widget lists flattened into one line ("0 : 0 • narrow-browser-and-phone • landscape-tablet")
    if n <= 2000 and any(sep in line for sep in _ITEM_SEPS):
        items = [item for item in _ITEM_SEP_RE.split(line) if item]
        if len(items) > 1 and all(_CHROME_LINE_RE.fullmatch(item) for item in items):
            return True
    if n > _CAPTION_MAX:
        return False  # every rule below is for short lines; a long paragraph is story
    if n <= 300 and _READ_MORE_PREFIX_RE.match(line):
        return True
    if n <= _WEAK_PREFIX_MAX and _WEAK_PREFIX_RE.match(line) and not line.endswith("."):
        return True
    # the prompt and caption patterns are matched on the lowercased line: IGNORECASE makes `re` several times slower
    low = line.lower()
    if n <= _PROMPT_MAX and any(t in low for t in _PROMPT_TRIGGERS) and (m := _PROMPT_RE.search(low)) is not None:
        return m.group(0) != "newsletter" or _PROMPT_WITH_NEWSLETTER_RE.search(low) is not None
    if _PHOTO_CREDIT_RE.fullmatch(line):
        return True
    tail = low[-_CAPTION_TAIL:]
    if any(t in tail for t in _CAPTION_TRIGGERS) and _CAPTION_TAIL_RE.search(tail):
        return True
    return n <= 300 and _TITLE_BAR_RE.fullmatch(line) is not None


def _is_credit_line(line: str) -> bool:
    if len(line) > _CREDIT_MAX:
        return False
    if not _CREDIT_LINE_RE.fullmatch(line):
        return False
    # "By the numbers" or "By Tuesday, ..." are sentences, not bylines: a byline has few words and no verb-ish end.
    return not (line[:3].lower() == "by " and (len(line.split()) > 12 or line.rstrip().endswith(".")))


@lru_cache(maxsize=1024)
def _key(text: str) -> str:
    """Comparison key: casefolded words only."""
    return " ".join(_WORD_RE.findall(text.casefold()))


_AGENCY_TITLE_SUFFIX_RE = re.compile(
    r"\s+[-|–—:]\s+(?:Reuters|AP News|The Associated Press|Associated Press|AFP|Bloomberg|UPI)\s*$"
)


def _clean_title(title: str) -> str:
    text = _unescape(title)
    if "<" in text and _LOOKS_HTML_RE.search(text):
        text = _TAG_RE.sub("", text)
    text = clean_text(text).replace("\n", " ")
    return _AGENCY_TITLE_SUFFIX_RE.sub("", text)


def _same_headline(line: str, title_key: str) -> bool:
    """The line repeats the title: equal words, a truncated title, or the title plus a short site suffix."""
    if not title_key:
        return False
    key = _key(line)
    if not key:
        return False
    if key == title_key or (len(key) > 20 and title_key.startswith(key)):
        return True
    return key.startswith(title_key) and len(key[len(title_key) :].split()) <= 3 and not line.endswith(".")


def _looks_like_headline(line: str) -> bool:
    """Short, no sentence punctuation at the end or inside: a headline rather than a first sentence."""
    words = len(line.split())
    return (
        2 <= words <= 22
        and len(line) <= 180
        and not line.endswith((".", "!", "?", ",", ";", ":", "…", '"', "”", "’", ")"))
        and _SENTENCE_BREAK_RE.search(line) is None
        and not line.islower()
    )


# --------------------------------------------------------------------------------------------------------------
# Paragraphs
# --------------------------------------------------------------------------------------------------------------

_HARD_WRAP_END_RE = re.compile(r"[\w,;-]$")
# Link annotations scraped with the text: "BP (BP.L) , opens new tab on Monday".
_INLINE_CHROME_RE = re.compile(r"\s?,? ?opens new tab\b")


def _paragraphs(text: str) -> list[str]:
    """Non-empty lines as paragraphs; hard-wrapped lines inside a block (no sentence end, next starts lowercase)
    are joined back."""
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = [ln.strip() for ln in block.split("\n")]
        current = ""
        for ln in lines:
            if not ln:
                continue
            if current and _HARD_WRAP_END_RE.search(current) and ln[0].islower():
                current = f"{current} {ln}"
            else:
                if current:
                    out.append(current)
                current = ln
        if current:
            out.append(current)
    return out


# --------------------------------------------------------------------------------------------------------------
# Stories
# --------------------------------------------------------------------------------------------------------------

_HEADER_SCAN = 6  # lines before the story proper that may hold timestamp, headline, byline
_HEADER_LINE_MAX = 300
_SENTENCE_MIN_WORDS = 8


@dataclass(slots=True)
class _Header:
    """What the lines above the story proper gave."""

    headline: str | None = None
    timestamp: dt.datetime | None = None
    removed: int = 0


def _split_off_credit(paragraph: str) -> tuple[str, str | None]:
    m = _TRAILING_CREDIT_RE.search(paragraph)
    if m is None or m.start() == 0:
        return paragraph, None
    return paragraph[: m.start()].rstrip(), m.group(0).strip()


def _looks_like_sentence(line: str) -> bool:
    return len(line.split()) >= _SENTENCE_MIN_WORDS and line.endswith((".", "!", "?", "…", '"', "”", "’", "»"))


def _read_header(lines: Sequence[str], title_key: str, credits: list[str]) -> tuple[_Header, int, list[str]]:
    """Consume header lines (timestamp, headline, byline, chrome): the header, where the story proper starts,
    and sentences found above a dateline (a standfirst), which stay in the story.

    Lines before a dateline within the first few lines are header unless they are sentences; without a dateline
    only lines recognised as timestamp, headline repeat, byline or chrome are.
    """
    header = _Header()
    kept: list[str] = []
    limit = min(len(lines), _HEADER_SCAN)
    dateline_at = next((i for i in range(limit) if parse_dateline(lines[i], None) is not None), None)
    if dateline_at is not None and any(len(ln) > _HEADER_LINE_MAX for ln in lines[:dateline_at]):
        dateline_at = None  # a long paragraph before it: the dateline is inside the story, not its start
    i = 0
    while i < limit:
        line = lines[i]
        if dateline_at is not None and i >= dateline_at:
            break
        if header.timestamp is None and (ts := parse_page_timestamp(line)) is not None:
            header.timestamp = ts
        elif _same_headline(line, title_key):
            header.headline = header.headline or line
        elif _is_credit_line(line):
            credits.append(line)
            i += 1
            continue
        elif _is_chrome_line(line):
            pass
        elif dateline_at is not None:
            if _looks_like_sentence(line):
                kept.append(line)
                i += 1
                continue
            if header.headline is None and _looks_like_headline(line):
                header.headline = line
        elif not title_key and header.headline is None and i + 1 < len(lines) and _looks_like_headline(line):
            header.headline = line
        else:
            break
        header.removed += 1
        i += 1
    return header, i, kept


def _clean_story(content: str, title: str | None, is_html: bool, published: dt.datetime | None) -> Cleaned:
    if is_html or (_LOOKS_HTML_RE.search(content) and _HTML_BLOCK_RE.search(content)):
        text = html_to_text(content)
    else:
        text = _unescape(content)
    text = clean_text(text)
    if "opens new tab" in text:
        text = _INLINE_CHROME_RE.sub("", text)
    lines = _paragraphs(text)
    clean_title = _clean_title(title) if title else ""
    credits: list[str] = []
    header, start, body = _read_header(lines, _key(clean_title), credits)
    removed = header.removed
    dateline: Dateline | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        if index == start and (found := parse_dateline(line, published)) is not None:
            dateline, consumed = found
            line = line[consumed:].lstrip()
            if not line:
                continue
        if _is_credit_line(line):
            credits.append(line)
            continue
        if _is_chrome_line(line):
            removed += 1
            continue
        line, trailing_credit = _split_off_credit(line)
        if trailing_credit:
            credits.append(trailing_credit)
        body.append(line)
    return Cleaned(
        title=clean_title or header.headline or "",
        body="\n\n".join(body),
        dateline=dateline,
        page_timestamp=header.timestamp,
        credits=tuple(credits),
        removed_lines=removed,
    )


def clean_story(content: str, *, title: str | None, is_html: bool, published: dt.datetime | None) -> Cleaned:
    """Feed content (HTML) or scraped page text → the story, its dateline, page timestamp and credit lines.

    The body keeps paragraphs ("\\n\\n" between them) and loses header lines, the headline repeat, the dateline,
    page chrome and boilerplate. `title` falls back to a headline found at the top of the text. Never raises.
    """
    try:
        return _clean_story(content if isinstance(content, str) else "", title, is_html, published)
    except Exception:  # a story must never crash the stage: broad on purpose, logged, degraded output
        LOGGER.exception("clean_story failed; returning the text with tags stripped")
        try:
            body = clean_text(_TAG_RE.sub(" ", content))
        except Exception:  # clean_text on hostile input: nothing left to try
            body = ""
        return Cleaned(title=title or "", body=body, dateline=None, page_timestamp=None, credits=(), removed_lines=0)


# --------------------------------------------------------------------------------------------------------------
# Full article pages
# --------------------------------------------------------------------------------------------------------------


_LD_JSON_XPATH = '//script[@type="application/ld+json"]/text()'
_DESCRIPTION_XPATH = (
    '//meta[@property="og:description"]/@content|//meta[@name="description"]/@content'
    '|//meta[@name="twitter:description"]/@content'
)
_TITLE_XPATH = '//meta[@property="og:title"]/@content|//title/text()'
_VISIBLE_TEXT_XPATH = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
# A standfirst shorter than this is a tagline, not a paragraph of the story.
_STANDFIRST_MIN_WORDS = 12
_STANDFIRST_MAX_CHARS = 1200
_OPENING_WORDS = 5
_MAX_CANDIDATES = 5
_TEXT_NODE_XPATH = (
    "//body//text()[contains(normalize-space(.), $opening)]"
    "[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
_INLINE_TAGS = frozenset(["a", "b", "strong", "em", "i", "span", "u", "small", "mark", "abbr", "cite", "q", "font"])
_PROBE_WORDS = 12
# JSON-LD articleBody replaces trafilatura's text when trafilatura kept less than this share of it.
_LD_BODY_RATIO = 0.5
_LD_BODY_MIN_CHARS = 500
# Fewer words than this is not an article (a wire brief has more), it is what is left of a page without one.
_MIN_ARTICLE_WORDS = 12
_MIN_ARTICLE_CHARS = 80  # scripts written without spaces between words


@dataclass(frozen=True, slots=True)
class _PageHints:
    """What a page says about its own article, read before trafilatura prunes the tree."""

    titles: tuple[str, ...]
    description: str | None
    ld_body: str | None
    # read for the visible text only when a standfirst candidate needs checking (trafilatura works on a copy)
    tree: lxml.html.HtmlElement


def _ld_article_bodies(node: object, out: list[str], depth: int = 0) -> None:
    """Collect `articleBody` strings from parsed JSON-LD (objects, lists, @graph), bounded in depth."""
    if depth > 8:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "articleBody" and isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict | list):
                _ld_article_bodies(value, out, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _ld_article_bodies(item, out, depth + 1)


def _page_hints(tree: lxml.html.HtmlElement) -> _PageHints:
    import json  # only the article path reads JSON-LD

    bodies: list[str] = []
    for raw in tree.xpath(_LD_JSON_XPATH):
        try:
            _ld_article_bodies(json.loads(raw, strict=False), bodies)
        except ValueError:  # broken JSON-LD is common; it only costs us a hint
            continue
    ld_body = max(bodies, key=len) if bodies else None
    descriptions = [d.strip() for d in tree.xpath(_DESCRIPTION_XPATH) if d and d.strip()]
    titles = tuple(_key(clean_text(t)) for t in tree.xpath(_TITLE_XPATH) if t and t.strip())
    return _PageHints(
        titles=titles,
        description=clean_text(_unescape(descriptions[0])) if descriptions else None,
        ld_body=ld_body,
        tree=tree,
    )


def _shown_paragraph(tree: lxml.html.HtmlElement, desc: str, probe: str) -> str | None:
    """The page's own paragraph holding the description (meta descriptions are often cut short)."""
    opening = " ".join(desc.split()[:_OPENING_WORDS])
    for node in tree.xpath(_TEXT_NODE_XPATH, opening=opening)[:_MAX_CANDIDATES]:
        parent = node.getparent()
        while parent is not None and parent.tag in _INLINE_TAGS:
            parent = parent.getparent()
        if parent is None:
            continue
        shown = " ".join(clean_text(parent.text_content()).split())
        if len(shown) <= _STANDFIRST_MAX_CHARS and probe in _key(shown):
            return shown
    return None


def _standfirst(hints: _PageHints, text_key: str) -> str | None:
    """The page's description when it is shown on the page (a standfirst) but missing from the extracted text.

    Main-text extractors often skip the standfirst because it sits in the article header, away from the body.
    The paragraph as shown is preferred to the meta text, which may be cut short.
    """
    desc = hints.description
    if not desc:
        return None
    words = _key(desc).split()
    if len(words) < _STANDFIRST_MIN_WORDS:
        return None
    probe = " ".join(words[:_PROBE_WORDS])
    if probe in text_key:
        return None
    shown = _shown_paragraph(hints.tree, desc, probe)
    if shown is not None or desc.endswith(("…", "...")):
        return shown  # a cut-off description is not the paragraph the page shows
    visible_key = _key(clean_text(" ".join(hints.tree.xpath(_VISIBLE_TEXT_XPATH))))
    return desc if probe in visible_key else None


def _is_page_title(line: str, hints: _PageHints) -> bool:
    return any(_same_headline(line, title) for title in hints.titles)


def extract_article(html: str, url: str | None = None) -> str | None:
    """Main text of a full article page (paragraphs separated by a blank line), cleaned; None if none found.

    trafilatura (with its readability/jusText fallbacks) finds the text; the page's own JSON-LD articleBody
    replaces it when trafilatura kept under half of it; a standfirst shown on the page but skipped by the
    extractor is put back in front; then title repeats, page chrome and boilerplate lines are removed. Credit
    lines stay (clean_story moves them to `credits`).
    """
    import trafilatura  # deferred: a heavy import only the article path needs
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
        if tree is None:
            return None
        hints = _page_hints(tree)
        text = trafilatura.extract(
            tree, url=url, fast=False, include_comments=False, include_tables=True, include_formatting=False
        )
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        LOGGER.warning("article extraction failed on %s: %s", url, exc)
        return None
    text = clean_text(text or "")
    if hints.ld_body and len(hints.ld_body) >= _LD_BODY_MIN_CHARS and len(text) < _LD_BODY_RATIO * len(hints.ld_body):
        body = hints.ld_body
        if _LOOKS_HTML_RE.search(body):
            body = html_to_text(body)
        text = clean_text(_unescape(body))
    if not text:
        return None
    lines = _paragraphs(text)
    standfirst = _standfirst(hints, _key(text))
    if standfirst:
        lines.insert(0, standfirst)
    kept = [ln for ln in lines if not _is_chrome_line(ln) and not _is_page_title(ln, hints)]
    result = "\n\n".join(kept)
    # What the extractors return for pages without an article is navigation or a stray line.
    return result if len(result.split()) >= _MIN_ARTICLE_WORDS or len(result) >= _MIN_ARTICLE_CHARS else None
