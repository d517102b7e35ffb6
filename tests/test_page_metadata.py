"""Page metadata: headline, byline and publish time read from a whole page's own markup, in order of precedence."""

from __future__ import annotations

import datetime as dt
import json
from typing import get_args

import pytest

from schemas.story import PublishedSource
from tests.conftest import CORPORA, needs_corpora
from transforms.article.metadata import (
    PageDateSource,
    page_metadata,
    parse_page_date,
    split_byline,
    strip_site_name,
)


def page(head: str = "", body: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def ld(**fields: object) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", **fields})}</script>'


ARTICLE = "<article><p>" + "The council met on Monday and voted for the new seawall. " * 4 + "</p></article>"


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        ("Port strike enters third day | Harbor Wire", ["Harbor Wire"], "Port strike enters third day"),
        ("Harbor Wire - Port strike enters third day", ["Harbor Wire"], "Port strike enters third day"),
        ("Strike - day three - Harbor Wire", ["harborwire"], "Strike - day three"),
        ("Autohäuser rechnen mit Flaute | MDR.DE", [], "Autohäuser rechnen mit Flaute"),
        ("Port strike: talks stall", ["Harbor Wire"], "Port strike: talks stall"),
        ("Harbor Wire", ["Harbor Wire"], "Harbor Wire"),
    ],
)
def test_strip_site_name(title: str, sites: list[str], expected: str) -> None:
    assert strip_site_name(title, sites) == expected


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and John Roe, London, Aug. 3", ["Jane Doe", "John Roe"]),
        ("Von Benjamin Fischer und Marcus Theurer", ["Benjamin Fischer", "Marcus Theurer"]),
        ("Christoph von Eichhorn", ["Christoph von Eichhorn"]),
        ("CBS News February 24, 2020, 7:57 AM", ["CBS News"]),
        ("Reuters Updated: January 16, 2020", ["Reuters"]),
        ("by Bob Yirka , Phys.org", ["Bob Yirka", "Phys.org"]),
        ("De Niro Smith", ["De Niro Smith"]),
        ("red", []),
        ("No Author", []),
        ("https://example.org/author/jane", []),
        ("jane@example.org", []),
        ("Veröffentlicht am 19.10.19 um 14:34 Uhr", []),
    ],
)
def test_split_byline(byline: str, names: list[str]) -> None:
    assert split_byline(byline) == names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-16T18:02:53+00:00", dt.datetime(2020, 1, 16, 18, 2, 53, tzinfo=dt.UTC)),
        ("2019-10-19T21:38:00.000Z", dt.datetime(2019, 10, 19, 21, 38, tzinfo=dt.UTC)),
        ("2020-01-28T15:49:07+0100", dt.datetime(2020, 1, 28, 14, 49, 7, tzinfo=dt.UTC)),
        ("2020-05-16T09:00:40.509123456-04:00", dt.datetime(2020, 5, 16, 13, 0, 40, 509123, tzinfo=dt.UTC)),
        ("Sat, 19 Oct 2019 00:04:00 +0200", dt.datetime(2019, 10, 18, 22, 4, tzinfo=dt.UTC)),
        ("2019-12-23", dt.datetime(2019, 12, 23, tzinfo=dt.UTC)),
        ("2019-12-23 garbage", dt.datetime(2019, 12, 23, tzinfo=dt.UTC)),
        ("1970-01-01T00:00:00Z", None),
        ("January 16, 2020", None),
        ("", None),
    ],
)
def test_parse_page_date(value: str, expected: dt.datetime | None) -> None:
    assert parse_page_date(value) == expected


def test_headline_is_the_visible_h1_that_agrees_with_the_declared_title() -> None:
    html = page(
        '<title>Port strike enters third day | Harbor Wire</title><meta property="og:site_name" content="Harbor Wire">',
        '<header><h1><a href="/">Harbor Wire</a></h1></header><h1><span>Rotterdam</span> '
        "<span>Port strike enters third day</span></h1>" + ARTICLE,
    )
    assert page_metadata(html).title == "Rotterdam Port strike enters third day"


def test_a_section_label_in_the_h1_is_not_the_headline() -> None:
    og = '<meta property="og:title" content="{}">'
    html = page(og.format("Brothel busted"), "<h1><a>Local News</a> | <span>Brothel busted</span></h1>" + ARTICLE)
    assert page_metadata(html).title == "Brothel busted"
    # a kicker without a separator is part of what the page shows
    shown = "<h1><span>Deutschlandtakt:</span><span>Flixbus attackiert Deutsche Bahn</span></h1>"
    kicker = page(og.format("Flixbus attackiert Deutsche Bahn"), shown + ARTICLE)
    assert page_metadata(kicker).title == "Deutschlandtakt: Flixbus attackiert Deutsche Bahn"


def test_headline_precedence_without_a_matching_h1() -> None:
    head = ld(headline="Seawall approved") + '<meta property="og:title" content="Council says yes to the seawall">'
    assert page_metadata(page(head, "<h1>Menu</h1>" + ARTICLE)).title == "Seawall approved"
    # One headline-sized <h1> that the declared titles do not name is what the page shows.
    shown = page(head, "<h1>Harbour council approves new seawall for Old Town</h1>" + ARTICLE)
    assert page_metadata(shown).title == "Harbour council approves new seawall for Old Town"
    assert page_metadata(page("<title>Only a title - Site</title>", ARTICLE), "https://site.org/x").title == (
        "Only a title"
    )
    assert page_metadata(page("", ARTICLE)).title is None


@pytest.mark.parametrize(
    ("head", "body", "authors"),
    [
        # JSON-LD people first; the site crediting itself is not a byline
        (ld(author=[{"@type": "Person", "name": "Jane Doe"}, {"@type": "Organization", "name": "Harbor Wire"}])
         + '<meta property="og:site_name" content="Harbor Wire">', "", ("Jane Doe",)),
        (ld(author={"@type": "Person", "name": "Harbor Wire GmbH, Hamburg, Germany"})
         + '<meta property="og:site_name" content="Harbor Wire">', "<h1>Seawall approved for Old Town</h1>"
         "<p>By John Roe</p>", ("John Roe",)),
        # meta author, not a URL and not a placeholder
        ('<meta name="author" content="No Author"><meta property="article:author" content="https://x.org/a">',
         '<h1>Seawall approved for Old Town</h1><div class="byline">Von Max Muster, Berlin</div>', ("Max Muster",)),
        ('<meta name="author" content="Jane Doe">', "", ("Jane Doe",)),
        # a byline element after the headline wins over one before it (a teaser in the sidebar)
        ("", '<aside><span class="byline">By Other Writer</span></aside><h1>Seawall approved for Old Town</h1>'
         '<span class="byline">By Jane Doe 8 January 2020, 3:51 pm</span>', ("Jane Doe",)),
        # a "By" line whose name is in the next element
        ("", "<h1>Seawall approved for Old Town</h1><p>By <a>Evan Symon</a>, August 14, 2020 2:30 pm</p>",
         ("Evan Symon",)),
        # organisations from JSON-LD last
        (ld(author={"@type": "Organization", "name": "Reuters"}), "", ("Reuters",)),
        ("", "<h1>Seawall approved for Old Town</h1>" + ARTICLE, ()),
    ],
)  # fmt: skip
def test_authors_in_order_of_precedence(head: str, body: str, authors: tuple[str, ...]) -> None:
    assert page_metadata(page(head, body)).authors == authors


def test_published_in_order_of_precedence_on_the_page_clock() -> None:
    meta = '<meta property="article:published_time" content="2020-02-19T18:37:32+01:00">'
    time = '<time datetime="2020-02-18T10:00:00+01:00">18 Feb</time>'
    both = page_metadata(page(ld(datePublished="2020-02-19T17:37:32Z") + meta, time + ARTICLE))
    # JSON-LD wins; its UTC time is shown on the page's own clock (the meta gives the same instant with +01:00)
    assert both.published_source == "page_jsonld"
    assert both.published_at == dt.datetime(2020, 2, 19, 17, 37, 32, tzinfo=dt.UTC)
    assert both.published_at is not None and both.published_at.utcoffset() == dt.timedelta(hours=1)
    assert page_metadata(page(meta, time + ARTICLE)).published_source == "page_meta"
    from_time = page_metadata(page("", time + ARTICLE))
    assert (from_time.published_source, from_time.published_text) == ("page_time", "2020-02-18T10:00:00+01:00")
    placeholder = page_metadata(page(ld(datePublished="0001-01-01T00:00:00Z"), time + ARTICLE))
    assert placeholder.published_source == "page_time"


def test_a_page_without_dated_markup_gets_htmldates_day() -> None:
    guessed = page_metadata(page("", "<h1>Seawall approved</h1><p>Published 12.10.2015, 19:16 Uhr</p>" + ARTICLE))
    assert guessed.published_source == "page_guess"
    assert guessed.published_at == dt.datetime(2015, 10, 12, tzinfo=dt.UTC)


def test_an_xhtml_page_with_an_encoding_declaration() -> None:
    xhtml = '<?xml version="1.0" encoding="utf-8"?>' + page("<title>Café opens | Site</title>", ARTICLE)
    assert page_metadata(xhtml, "https://site.org/a").title == "Café opens"


def test_unreadable_page_gives_empty_metadata() -> None:
    assert page_metadata("") == page_metadata(b"") == page_metadata("   ")
    assert page_metadata("").title is None


def test_page_date_sources_are_published_sources() -> None:
    assert set(get_args(PageDateSource)) <= set(get_args(PublishedSource))


@needs_corpora
def test_dev_pages_beat_trafilatura_metadata() -> None:
    """The labelled dev pages (evaluation/data/page_metadata_gold.json): wirebeam ahead on every field."""
    from evaluation.eval_page_metadata import evaluate

    assert (CORPORA / "article-html" / "trafilatura-eval").is_dir()
    figures = evaluate(enrich=False)
    ours, theirs = figures["wirebeam page_metadata"], figures["trafilatura extract_metadata"]
    for field in ("headline", "byline", "publish day"):
        assert ours[field]["pages"] >= 50
        assert ours[field]["accuracy"] > theirs[field]["accuracy"], field
