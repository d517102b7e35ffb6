"""Text repair for wire stories: Unicode and whitespace (`clean_text`), HTML to text (`html_to_text`).

Pure functions, shared by the story cleaner (transforms/clean/story.py) and the article page extractor
(transforms/article/page.py): the Unicode/whitespace chain (mojibake repair only where detected, NFC, zero-width
and control characters removed, whitespace collapsed, paragraphs kept, typographic quotes kept), HTML fragments and
pages to text, entities left in plain text, text to paragraphs, and the casefolded comparison key of a line.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from html import unescape as html_unescape

import lxml.etree
import lxml.html

LOGGER = logging.getLogger(__name__)

__all__ = [
    "HTML_BLOCK_RE",
    "LOOKS_HTML_RE",
    "TAG_RE",
    "clean_text",
    "comparison_key",
    "html_to_text",
    "paragraphs",
    "unescape_entities",
]

# --------------------------------------------------------------------------------------------------------------
# Unicode and whitespace chain
# --------------------------------------------------------------------------------------------------------------

# UTF-8 read as Latin-1/cp1252 leaves a lead byte (Â..ô) followed by a continuation byte shown as C1 control,
# Latin-1 symbol or cp1252 punctuation. Only texts with such a pair pay for ftfy (slow); ftfy then decides.
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
    import ftfy  # a heavy import (its character tables) that only texts with a mojibake signature need

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
    # space character: one C-speed test keeps the common clean text off the regex passes.
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
HTML_BLOCK_RE = re.compile(r"<(?:p|br|div|li|h[1-6]|blockquote|table|tr)\b", re.IGNORECASE)
LOOKS_HTML_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
TAG_RE = re.compile(r"<[^<>]*>")
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
        return html_unescape(TAG_RE.sub(" ", content))
    # A fragment without any block markup keeps its own line breaks (paragraphs "as plain newlines").
    keep_newlines = HTML_BLOCK_RE.search(content) is None
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


def unescape_entities(text: str) -> str:
    """Unescape entities left in plain text (feeds often escape twice)."""
    return html_unescape(text) if "&" in text and _ENTITY_RE.search(text) else text


# --------------------------------------------------------------------------------------------------------------
# Paragraphs
# --------------------------------------------------------------------------------------------------------------

_HARD_WRAP_END_RE = re.compile(r"[\w,;-]$")


def paragraphs(text: str) -> list[str]:
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
# Comparison key
# --------------------------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")


@lru_cache(maxsize=1024)
def comparison_key(text: str) -> str:
    """Comparison key: casefolded words only."""
    return " ".join(_WORD_RE.findall(text.casefold()))
