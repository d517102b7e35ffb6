"""Article page extraction: a full article page → its main text, for the article stage (stage.py beside it).

trafilatura (with its readability/jusText fallbacks) finds the text; the page's JSON-LD articleBody stands in when
trafilatura keeps too little of it; a standfirst the page shows but the extractor skipped is put back; then the
line rules of the clean stage (transforms/clean/boilerplate.py) drop title repeats and page chrome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import lxml.etree
import lxml.html

from transforms.clean.boilerplate import is_chrome_line, same_headline
from transforms.clean.text import LOOKS_HTML_RE, clean_text, comparison_key, html_to_text, paragraphs, unescape_entities

LOGGER = logging.getLogger(__name__)

__all__ = ["extract_article"]


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
    titles = tuple(comparison_key(clean_text(t)) for t in tree.xpath(_TITLE_XPATH) if t and t.strip())
    return _PageHints(
        titles=titles,
        description=clean_text(unescape_entities(descriptions[0])) if descriptions else None,
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
        if len(shown) <= _STANDFIRST_MAX_CHARS and probe in comparison_key(shown):
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
    words = comparison_key(desc).split()
    if len(words) < _STANDFIRST_MIN_WORDS:
        return None
    probe = " ".join(words[:_PROBE_WORDS])
    if probe in text_key:
        return None
    shown = _shown_paragraph(hints.tree, desc, probe)
    if shown is not None or desc.endswith(("…", "...")):
        return shown  # a cut-off description is not the paragraph the page shows
    visible_key = comparison_key(clean_text(" ".join(hints.tree.xpath(_VISIBLE_TEXT_XPATH))))
    return desc if probe in visible_key else None


def _is_page_title(line: str, hints: _PageHints) -> bool:
    return any(same_headline(line, title) for title in hints.titles)


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
        if LOOKS_HTML_RE.search(body):
            body = html_to_text(body)
        text = clean_text(unescape_entities(body))
    if not text:
        return None
    lines = paragraphs(text)
    standfirst = _standfirst(hints, comparison_key(text))
    if standfirst:
        lines.insert(0, standfirst)
    kept = [ln for ln in lines if not is_chrome_line(ln) and not _is_page_title(ln, hints)]
    result = "\n\n".join(kept)
    # What the extractors return for pages without an article is navigation or a stray line.
    return result if len(result.split()) >= _MIN_ARTICLE_WORDS or len(result) >= _MIN_ARTICLE_CHARS else None
