"""What a whole article page says about itself: headline, byline and publish time, from its own markup.

Each field has an ordered list of sources, structured data first, then visible markup; the first that gives a
usable value wins. Rules are about markup, never about one site.
- headline: the visible `<h1>` that agrees with a title the page declares (JSON-LD `headline`, `og:title`,
  `twitter:title`, `<title>`, each with the site name removed); else a single headline-sized `<h1>`; else the
  first declared title; else the first `<h1>` that is not the site's name.
- authors: JSON-LD `author` people, `<meta name="author">`-style tags (not URLs), the first element marked as
  the byline (`rel="author"`, `itemprop="author"`, a byline/author class) after the headline, a "By …" text
  after the headline, JSON-LD author organisations. Never the site crediting itself, a place, a placeholder.
- published: JSON-LD `datePublished`, publish-time `<meta>` (`article:published_time`, `itemprop=datePublished`,
  Dublin Core, Parse.ly, Sailthru, `date`/`pubdate`), a `<time datetime>` (one marked as the publish time
  first), else htmldate's search of the page (`page_guess`). A time written in UTC is put on the page's own
  clock when another source gives the same instant with the page's offset (the day shown is the page's day).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Literal
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from transforms.entities.places import place_names_casefolded
from transforms.vocabulary import MONTHS

LOGGER = logging.getLogger(__name__)

PageDateSource = Literal["page_jsonld", "page_meta", "page_time", "page_guess"]

# JSON-LD types that describe the article itself (not the site, a breadcrumb or a video beside it).
_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "webpage",
        "creativework",
    }
)
_MAX_LD_DEPTH = 8
# Separators between a headline and the site's name in <title> and og:title.
_TITLE_SEPARATORS_RE = re.compile(r"\s+[|\-–—·:•/»]{1,2}\s+|\s+::\s+")
# A headline candidate shorter than this share of the declared title it is found in is a fragment (a logo).
_H1_MIN_SHARE = 0.5
# ... or shares this share of the words of the longer one.
_SHARED_WORDS = 0.7
_MIN_HEADLINE_WORDS = 4
_DOMAIN_RE = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}", re.IGNORECASE)
_MAX_TITLE_CHARS = 400
_MAX_AUTHORS = 10
_MAX_NAME_WORDS = 6
_MAX_BYLINE_CHARS = 200
# A publish time before this is a placeholder (1970-01-01, 0001-01-01), not the article's.
_EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.created",
    "dc.date",
    "parsely-pub-date",
    "sailthru.date",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "date",
    "article.published",
    "og:published_time",
    "cxenseparse:recs:publishtime",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
# "By" in the languages of the wire; "di"/"de"/"em" only in lower case ("De Niro" is a name).
_BY_WORDS = r"(?:(?i:by|written by|von|por|par|door|av|af|przez|tekst|text|autor/in|autorin|autor|author)|di|de|em)"
_BY_RE = re.compile(rf"^{_BY_WORDS}\b[:\s]*")
# A text that opens with a byline word and a capitalised name; a byline word alone (the name in the next element).
_BY_LINE_RE = re.compile(rf"^{_BY_WORDS}\b:?\s+[^\W\d_]*[A-ZÀ-ÞĀ-Ž]")
_BY_WORD_RE = re.compile(rf"{_BY_WORDS}:?")
_NAME_SPLIT_RE = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\by\b|\bet\b|\be\b|\bi\b|\boraz\b|\bja\b|\bog\b|\bmit\b)\s*", re.IGNORECASE
)
_BYLINE_CLASS_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
    " or contains(@class, 'byline') or contains(@class, 'author-name') or contains(@class, 'authorName')"
    " or contains(@class, 'article-author') or contains(@class, 'article__author')]"
)
_TIME_XPATH = "//article//time[@datetime]|//main//time[@datetime]|//time[@datetime]"
_PUBLISH_TIME_XPATH = (
    "//time[@datetime][@pubdate or @itemprop='datePublished' or contains(@class, 'publish')"
    " or contains(@class, 'pubdate') or contains(@class, 'date-published')]"
)
# What follows the names in a byline: its date, or a label for one.
_BYLINE_END_RE = re.compile(
    r"\d|\b(?:updated|published|posted|aktualisiert|veröffentlicht|stand|publié|mis à jour|actualizado|publicado)\b"
    r"|\b(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+\d",
    re.IGNORECASE,
)
# What CMSs put in the author field when nobody is named.
_PLACEHOLDER_AUTHORS = frozenset(
    {"no author", "unknown", "admin", "administrator", "anonymous", "none", "null", "staff"}
)  # fmt: skip
# Lower-case words inside names ("Christoph von Eichhorn"); any other lower-case word means it is not a name.
_NAME_PARTICLES = frozenset(
    {"von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "bin", "al", "el", "y", "zu",
     "ten", "ter", "dos", "das"}
)  # fmt: skip
_MAX_MARKED = 40
_FOLLOWING_TEXT_XPATH = "following::text()[normalize-space()][not(ancestor::script or ancestor::style)]"
# The byline sits within this many text pieces after the headline; further down are teasers for other stories.
_BYLINE_WINDOW = 40
_FRACTION_RE = re.compile(r"(\.\d{1,6})\d*")  # nanoseconds and more: Python keeps microseconds
_COMPACT_OFFSET_RE = re.compile(r"([+-]\d{2})(\d{2})$")  # +0200 → +02:00
_ISO_DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Two sources naming times this close name the same publication.
_SAME_INSTANT = dt.timedelta(minutes=1)
_WS_RE = re.compile(r"\s+")
_KEY_RE = re.compile(r"[^\w]+")
_EMAIL_RE = re.compile(r"\S+@\S+")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """Headline, byline and publish time of a page, with where the time came from; None/() where it says nothing."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: dt.datetime | None = None  # aware, in the page's own offset (its day is the page's day)
    published_text: str | None = None
    published_source: PageDateSource | None = None


@dataclass(slots=True)
class _LinkedData:
    headline: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    org_authors: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    site_names: list[str] = field(default_factory=list)


def _text(value: str) -> str:
    return _WS_RE.sub(" ", unescape(value)).strip()


def _key(value: str) -> str:
    """Comparison key: case, accents' composition, punctuation and spacing folded."""
    return _KEY_RE.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


def _types(node: dict[str, object]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.casefold() for k in kinds if isinstance(k, str)}


def _names(value: object, people: list[str], orgs: list[str]) -> None:
    """Author names of a JSON-LD `author` value (a string, an object, or a list of them)."""
    if isinstance(value, str):
        people.append(value)
    elif isinstance(value, list):
        for item in value[:_MAX_AUTHORS]:
            _names(item, people, orgs)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, list):
            name = next((n for n in name if isinstance(n, str)), None)
        if isinstance(name, str):
            is_org = bool(_types(value) & {"organization", "newsmediaorganization"})
            (orgs if is_org else people).append(name)


def _ld_nodes(node: object, depth: int = 0) -> Iterator[dict[str, object]]:
    if depth > _MAX_LD_DEPTH:
        return
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            # an author organisation is not the site: authors are read from their article node only
            if key != "author" and isinstance(value, dict | list):
                yield from _ld_nodes(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _ld_nodes(item, depth + 1)


def _linked_data(tree: lxml.html.HtmlElement) -> _LinkedData:
    found = _LinkedData()
    for raw in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            doc = json.loads(raw, strict=False)
        except ValueError:  # broken JSON-LD is common; it only costs us a source
            continue
        for node in _ld_nodes(doc):
            kinds = _types(node)
            if kinds & {"website", "organization", "newsmediaorganization"} and isinstance(node.get("name"), str):
                found.site_names.append(str(node["name"]))
            if not kinds & _ARTICLE_TYPES:
                continue
            headline = node.get("headline")
            if isinstance(headline, str) and headline.strip():
                found.headline.append(headline)
            _names(node.get("author"), found.authors, found.org_authors)
            published = node.get("datePublished")
            if isinstance(published, str) and published.strip():
                found.published.append(published)
            publisher = node.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.site_names.append(str(publisher["name"]))
    return found


def _meta(tree: lxml.html.HtmlElement, names: tuple[str, ...]) -> list[str]:
    """<meta> contents for the given property/name/itemprop values (case-insensitive), in the order of `names`."""
    by_name: dict[str, list[str]] = {}
    for node in tree.iter("meta"):
        content = node.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = (node.get(attr) or "").strip().casefold()
            if key:
                by_name.setdefault(key, []).append(content.strip())
    return [value for name in names for value in by_name.get(name, [])]


# --- headline ----------------------------------------------------------------------------------------------


def _site_names(tree: lxml.html.HtmlElement, ld: _LinkedData, url: str | None) -> list[str]:
    names = [*_meta(tree, ("og:site_name", "application-name", "twitter:site")), *ld.site_names]
    host = urlsplit(url).hostname if url else None
    if host:
        names.append(host.removeprefix("www.").rsplit(".", 1)[0])
    return [n.lstrip("@") for n in names if n.strip()]


def _is_site_name(part: str, site_keys: list[str]) -> bool:
    """Whether `part` names the site: one of its names, or a bare domain ("MDR.DE")."""
    if _DOMAIN_RE.fullmatch(part.strip()):
        return True
    key = _key(part).replace(" ", "")
    return bool(key) and any(s and (key == s or key in s or s in key) for s in site_keys)


def strip_site_name(title: str, site_names: list[str]) -> str:
    """A declared title without the site's name ("Headline | Site", "Site - Headline")."""
    parts = _TITLE_SEPARATORS_RE.split(title)
    if len(parts) < 2:
        return title
    site_keys = [_key(s).replace(" ", "") for s in site_names]
    kept = list(parts)
    while len(kept) > 1 and _is_site_name(kept[-1], site_keys):
        kept.pop()
    while len(kept) > 1 and _is_site_name(kept[0], site_keys):
        kept.pop(0)
    if len(kept) == len(parts):
        return title
    # Rejoin what is left with the separators it had (a headline may contain " - " itself).
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if start >= 0 and end > start else " ".join(kept)


def _shown_text(node: lxml.html.HtmlElement) -> str:
    """An element's text as read: its parts (a kicker span and the headline, a name and a date) kept apart."""
    return _text(" ".join(node.itertext()))


def _agrees(shown: str, declared: str) -> bool:
    """Whether a visible headline and a declared title are the same headline: one holds the other (a kicker, a
    site name, a cut-off), or most of their words are shared (a reworded suffix)."""
    a, b = _key(shown), _key(declared)
    if not a or not b:
        return False
    if a == b or ((a in b or b in a) and min(len(a), len(b)) >= _H1_MIN_SHARE * max(len(a), len(b))):
        return True
    wa, wb = set(a.split()), set(b.split())
    return len(wa & wb) >= _SHARED_WORDS * max(len(wa), len(wb))


def _without_label(shown: str, declared: str) -> str:
    """A visible headline without a section label set off by a separator ("Local News | Headline") when what is
    left is the declared title."""
    parts = _TITLE_SEPARATORS_RE.split(shown)
    for rest in (parts[1:], parts[:-1]) if len(parts) > 1 else ():
        if _key(" ".join(rest)) == _key(declared):
            return declared if len(rest) > 1 else rest[0]
    return shown


def _headline(tree: lxml.html.HtmlElement, ld: _LinkedData, site_names: list[str]) -> str | None:
    declared = [
        *ld.headline,
        *_meta(tree, ("og:title", "twitter:title")),
        *(str(t) for t in tree.xpath("//head/title/text()|//title/text()")[:1]),
    ]
    declared = [strip_site_name(_text(t), site_names) for t in declared if t and t.strip()]
    declared = [t for t in declared if t][:6]
    site_keys = [_key(s).replace(" ", "") for s in site_names]
    h1s = [_shown_text(h) for h in tree.iter("h1")]
    h1s = [h for h in h1s if h and len(h) <= _MAX_TITLE_CHARS and not _is_site_name(h, site_keys)]
    for title in declared:
        for h1 in h1s:
            if _agrees(h1, title):
                return _without_label(h1, title)  # the page shows it: as written on the page
    # One headline-sized <h1> the declared titles do not name: the page shows it, they are for search and social.
    if len(h1s) == 1 and len(h1s[0].split()) >= _MIN_HEADLINE_WORDS:
        return h1s[0]
    if declared:
        return declared[0][:_MAX_TITLE_CHARS]
    return h1s[0] if h1s else None


# --- byline ------------------------------------------------------------------------------------------------


def _clean_name(name: str) -> str | None:
    """A person's or agency's name, or None for what is not one (a URL, a date, a place, a placeholder)."""
    name = _EMAIL_RE.sub("", _text(name))
    name = _BY_RE.sub("", name).strip(" ,;:|-–—·()[]")
    if not name or name.startswith(("http://", "https://", "/")) or any(ch.isdigit() for ch in name):
        return None
    words = name.split()
    if not 1 <= len(words) <= _MAX_NAME_WORDS or not any(ch.isalpha() for ch in name):
        return None
    if name.casefold() in _PLACEHOLDER_AUTHORS or name.casefold() in place_names_casefolded():
        return None
    # Names are capitalised (particles aside): "Christoph von Eichhorn", not "red" or a sentence.
    if any(w[0].islower() and w.casefold() not in _NAME_PARTICLES for w in words):
        return None
    return name


def split_byline(byline: str) -> list[str]:
    """Names of a byline: "By Jane Doe and John Roe, London, Aug. 3" → ["Jane Doe", "John Roe"]."""
    text = _BY_RE.sub("", _text(byline))
    end = _BYLINE_END_RE.search(text)
    if end is not None:
        text = text[: end.start()]
    names: list[str] = []
    for part in _NAME_SPLIT_RE.split(text):
        name = _clean_name(part) if part else None
        if name and _key(name) not in {_key(n) for n in names}:
            names.append(name)
    return names[:_MAX_AUTHORS]


def _after_headline(tree: lxml.html.HtmlElement, nodes: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    """`nodes` (in document order) with those after the first <h1> first: the article's own byline sits there,
    teasers for other articles further down or in a sidebar before it."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return nodes
    position = {id(el): n for n, el in enumerate(tree.iter())}
    start = position.get(id(h1), 0)
    return sorted(nodes, key=lambda el: position.get(id(el), 0) < start)


def _marked_byline(tree: lxml.html.HtmlElement) -> list[str]:
    """Names in the first element marked as the byline (rel/itemprop/class), the article's own first."""
    for node in _after_headline(tree, tree.xpath(_BYLINE_CLASS_XPATH)[:_MAX_MARKED]):
        names = split_byline(_shown_text(node)[: 4 * _MAX_BYLINE_CHARS])
        if names:
            return names
    return []


def _by_line(tree: lxml.html.HtmlElement) -> list[str]:
    """Names of the first short text after the headline that reads as a byline ("By Jane Doe", "Von Max Muster")."""
    h1 = next(tree.iter("h1"), None)
    texts = h1.xpath(_FOLLOWING_TEXT_XPATH) if h1 is not None else tree.xpath("//body//text()[normalize-space()]")
    for node in texts[:_BYLINE_WINDOW]:
        text = _text(str(node))
        if not (_BY_LINE_RE.match(text) or _BY_WORD_RE.fullmatch(text)):
            continue
        parent = node.getparent()
        whole = _shown_text(parent) if parent is not None else text
        if len(whole) <= _MAX_BYLINE_CHARS and (names := split_byline(whole)):
            return names
    return []


def _authors(tree: lxml.html.HtmlElement, ld: _LinkedData, site_names: list[str]) -> tuple[str, ...]:
    site_keys = [_key(s).replace(" ", "") for s in site_names]

    def names_of(candidates: list[str]) -> list[str]:
        names: list[str] = []
        for candidate in candidates:
            parts = split_byline(candidate)
            first = _NAME_SPLIT_RE.split(_BY_RE.sub("", _text(candidate)), maxsplit=1)[0]
            if _is_site_name(first, site_keys):
                continue  # the site crediting itself ("Site GmbH, City, Country") is not a byline
            for name in parts:
                if _is_site_name(name, site_keys):
                    continue
                if _key(name) not in {_key(n) for n in names}:
                    names.append(name)
        return names

    meta = [v for v in _meta(tree, _AUTHOR_META) if not v.startswith(("http://", "https://"))]
    for found in (
        lambda: names_of(ld.authors),
        lambda: names_of(meta),
        lambda: _marked_byline(tree),
        lambda: _by_line(tree),
        lambda: names_of(ld.org_authors),
    ):
        names = found()
        if names:
            return tuple(names[:_MAX_AUTHORS])
    return ()


# --- publish time ------------------------------------------------------------------------------------------


def parse_page_date(value: str) -> dt.datetime | None:
    """A date or time as pages write it in markup (ISO 8601, RFC 2822) → aware datetime (naive taken as UTC);
    None if it is not one or is a placeholder."""
    text = value.strip()
    if not text:
        return None
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    iso = _FRACTION_RE.sub(r"\1", iso)
    iso = _COMPACT_OFFSET_RE.sub(r"\1:\2", iso)
    parsed: dt.datetime | None
    try:
        parsed = dt.datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        match = _ISO_DAY_RE.match(text)
        if match is None:
            return None
        try:
            parsed = dt.datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed if parsed >= _EARLIEST else None


def _on_page_clock(chosen: dt.datetime, others: list[dt.datetime]) -> dt.datetime:
    """`chosen` in the page's own offset when another source gives the same instant with one: a time written in
    UTC ("…Z") falls on another day than the page shows for a story published late or early in the day."""
    if chosen.utcoffset() != dt.timedelta(0):
        return chosen
    for other in others:
        if other.utcoffset() not in (None, dt.timedelta(0)) and abs(other - chosen) <= _SAME_INSTANT:
            return chosen.astimezone(other.tzinfo)
    return chosen


def _guess_day(tree: lxml.html.HtmlElement) -> tuple[dt.datetime, str] | None:
    """htmldate's search of the page's markup and text (what trafilatura uses), for a page that says nothing in
    the places above; a day, taken as midnight UTC."""
    from htmldate import find_date  # deferred: only pages without dated markup need it

    try:
        day = find_date(tree, original_date=True, extensive_search=True)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return None
    parsed = parse_page_date(day) if day else None
    return (parsed, day) if parsed is not None and day is not None else None


def _published(tree: lxml.html.HtmlElement, ld: _LinkedData) -> tuple[dt.datetime, str, PageDateSource] | None:
    times = tree.xpath(_PUBLISH_TIME_XPATH) + tree.xpath(_TIME_XPATH)
    sources: tuple[tuple[PageDateSource, list[str]], ...] = (
        ("page_jsonld", ld.published),
        ("page_meta", _meta(tree, _PUBLISHED_META)),
        ("page_time", [str(t.get("datetime")) for t in times[:20]]),
    )
    found = [(parsed, value.strip(), source) for source, values in sources for value in values
             if (parsed := parse_page_date(value)) is not None]  # fmt: skip
    if found:
        parsed, text, source = found[0]
        return _on_page_clock(parsed, [f[0] for f in found[1:]]), text, source
    guessed = _guess_day(tree)
    return (guessed[0], guessed[1], "page_guess") if guessed is not None else None


def page_metadata(html: str | bytes | lxml.html.HtmlElement, url: str | None = None) -> PageMetadata:
    """Headline, byline and publish time of a whole page; an empty PageMetadata when the page cannot be read."""
    try:
        if isinstance(html, str) and html.lstrip().startswith("<?xml"):
            html = html.encode("utf-8")  # lxml refuses a str that declares its own encoding (XHTML pages)
        tree = html if isinstance(html, lxml.html.HtmlElement) else lxml.html.fromstring(html)
    except (ValueError, lxml.etree.LxmlError) as exc:
        LOGGER.info("page metadata: unreadable page %s: %s", url, exc)
        return PageMetadata()
    ld = _linked_data(tree)
    site_names = _site_names(tree, ld, url)
    published = _published(tree, ld)
    return PageMetadata(
        title=_headline(tree, ld, site_names),
        authors=_authors(tree, ld, site_names),
        published_at=published[0] if published else None,
        published_text=published[1] if published else None,
        published_source=published[2] if published else None,
    )
