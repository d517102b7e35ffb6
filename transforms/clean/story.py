"""Story assembly: feed content or scraped page text → `Cleaned` (title, body, dateline, page timestamp, credits).

Pure functions; the Beam composite is in transforms/clean/stage.py. The text is repaired and turned into
paragraphs (transforms/clean/text.py); the lines above the story proper (timestamp, headline repeat, byline,
chrome) are read as its header; the dateline opening the first paragraph is lifted (transforms/clean/dateline.py);
chrome lines are dropped and credit lines moved aside (transforms/clean/boilerplate.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from transforms.clean.boilerplate import (
    byline_names,
    column_byline,
    is_chrome_line,
    is_credit_line,
    is_link_only,
    looks_like_headline,
    same_headline,
    split_off_credit,
)
from transforms.clean.dateline import Dateline, is_place_name, parse_dateline, parse_page_timestamp
from transforms.clean.text import (
    HTML_BLOCK_RE,
    LOOKS_HTML_RE,
    TAG_RE,
    clean_text,
    comparison_key,
    html_to_text,
    paragraphs,
    unescape_entities,
)

LOGGER = logging.getLogger(__name__)

__all__ = ["Cleaned", "clean_story"]


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The story and the metadata lifted out of its text."""

    title: str
    body: str
    dateline: Dateline | None
    page_timestamp: dt.datetime | None  # aware UTC
    credits: tuple[str, ...]
    removed_lines: int
    authors: tuple[str, ...] = ()  # names from byline lines ("By Jane Roe, Editor") and column bylines


# --------------------------------------------------------------------------------------------------------------
# Stories
# --------------------------------------------------------------------------------------------------------------

_HEADER_SCAN = 6  # lines before the story proper that may hold timestamp, headline, byline
_HEADER_LINE_MAX = 300
_SENTENCE_MIN_WORDS = 8
# Link annotations scraped with the text: "BP (BP.L) , opens new tab on Monday".
_INLINE_CHROME_RE = re.compile(r"\s?,? ?opens new tab\b")
# The space scrapers leave before a comma or full stop where a link was cut out: "Shell (SHEL.L) , Europe's".
_SPACE_BEFORE_PUNCT_RE = re.compile(r"(?<=[\w)\]”’\"%]) +(?=[,.](?:\s|$))")


def repair_spacing(text: str) -> str:
    """Remove the space a scraper left before "," and "." ("said ." → "said."); ellipses and ".5" are kept."""
    if " ," not in text and " ." not in text:
        return text
    return _SPACE_BEFORE_PUNCT_RE.sub("", text)


def _take_credit(line: str, credits: list[str], authors: list[str]) -> None:
    """A credit line goes to `credits`, a byline's names to `authors`."""
    names = byline_names(line)
    if names:
        authors.extend(n for n in names if n not in authors)
    else:
        credits.append(line)


@dataclass(slots=True)
class _Header:
    """What the lines above the story proper gave."""

    headline: str | None = None
    timestamp: dt.datetime | None = None
    removed: int = 0


def _looks_like_sentence(line: str) -> bool:
    return len(line.split()) >= _SENTENCE_MIN_WORDS and line.endswith((".", "!", "?", "…", '"', "”", "’", "»"))


def _read_header(
    lines: Sequence[str], title_key: str, credits: list[str], authors: list[str]
) -> tuple[_Header, int, list[str]]:
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
        elif same_headline(line, title_key):
            header.headline = header.headline or line
        elif is_credit_line(line):
            _take_credit(line, credits, authors)
            i += 1
            continue
        elif is_chrome_line(line):
            pass
        elif header.headline is None and i + 1 < limit and looks_like_headline(line) and is_credit_line(lines[i + 1]):
            header.headline = line  # a kicker above the byline ("What matters in markets today")
        elif dateline_at is not None:
            if _looks_like_sentence(line):
                kept.append(line)
                i += 1
                continue
            if header.headline is None and looks_like_headline(line):
                header.headline = line
        elif not title_key and header.headline is None and i + 1 < len(lines) and looks_like_headline(line):
            header.headline = line
        else:
            break
        header.removed += 1
        i += 1
    return header, i, kept


_AGENCY_TITLE_SUFFIX_RE = re.compile(
    r"\s+[-|–—:]\s+(?:Reuters|AP News|The Associated Press|Associated Press|AFP|Bloomberg|UPI)\s*$"
)


def _clean_title(title: str) -> str:
    text = unescape_entities(title)
    if "<" in text and LOOKS_HTML_RE.search(text):
        text = TAG_RE.sub("", text)
    text = clean_text(text).replace("\n", " ")
    return _AGENCY_TITLE_SUFFIX_RE.sub("", text)


def _clean_story(content: str, title: str | None, is_html: bool, published: dt.datetime | None) -> Cleaned:
    if is_html or (LOOKS_HTML_RE.search(content) and HTML_BLOCK_RE.search(content)):
        text = html_to_text(content)
    else:
        text = unescape_entities(content)
    text = clean_text(text)
    if "opens new tab" in text:
        text = _INLINE_CHROME_RE.sub("", text)
    text = repair_spacing(text)
    lines = paragraphs(text)
    clean_title = _clean_title(title) if title else ""
    credits: list[str] = []
    authors: list[str] = []
    header, start, body = _read_header(lines, comparison_key(clean_title), credits, authors)
    removed = header.removed
    dateline: Dateline | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        if index == start and (found := parse_dateline(line, published)) is not None:
            dateline, consumed = found
            line = line[consumed:].lstrip()
            if not line:
                continue
            if index + 1 < len(lines) and looks_like_headline(line) and is_credit_line(lines[index + 1]):
                removed += 1  # "April 13 - What matters in markets today" above the byline: a kicker
                continue
        if index == start and (column := column_byline(line, is_place_name)) is not None:
            name, consumed = column  # "JANE ROE: …" opens a column: the name is its author, not its text
            if name and name not in authors:
                authors.append(name)
            line = line[consumed:].lstrip()
            removed += 1
        if is_credit_line(line):
            _take_credit(line, credits, authors)
            continue
        if is_chrome_line(line):
            removed += 1
            continue
        line, trailing_credit = split_off_credit(line)
        if trailing_credit:
            credits.append(trailing_credit)
        body.append(line)
    if body and all(is_link_only(p) for p in body):
        removed += len(body)  # only links to other stories ("• Rare photos show …"): no story text here
        body = []
    return Cleaned(
        title=clean_title or header.headline or "",
        body="\n\n".join(body),
        dateline=dateline,
        page_timestamp=header.timestamp,
        credits=tuple(credits),
        removed_lines=removed,
        authors=tuple(authors),
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
            body = clean_text(TAG_RE.sub(" ", content))
        except Exception:  # clean_text on hostile input: nothing left to try
            body = ""
        return Cleaned(title=title or "", body=body, dateline=None, page_timestamp=None, credits=(), removed_lines=0)
