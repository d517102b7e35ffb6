"""Tests for transforms/article/page.py: the main text of full article pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import CORPORA
from transforms.article.page import extract_article
from transforms.clean.story import clean_story

ARTICLES = CORPORA / "article-html" / "trafilatura-eval"
UTC = dt.UTC


# ---------------------------------------------------------------------------------------------------------------
# Full article pages
# ---------------------------------------------------------------------------------------------------------------

ARTICLE_SENTENCES = [
    "The city council approved the new budget on Tuesday after a debate that lasted more than six hours.",
    "Council members argued over spending on roads, schools and the public library system for the coming year.",
    "The mayor said the compromise protected core services while keeping property taxes at last year's level.",
    "Opponents said the plan relied on optimistic revenue forecasts that could force cuts later in the year.",
    "The budget takes effect on July 1 and will be reviewed again in the autumn, officials said.",
]
ARTICLE_PAGE = (
    "<html><head><title>Council approves budget | City News</title>"
    '<meta property="og:title" content="Council approves budget">'
    '<meta name="description" content="After six hours of debate, the council passed a budget that keeps '
    'property taxes flat and protects libraries, roads and schools.">'
    "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
    "<article><h1>Council approves budget</h1>"
    "<p class='standfirst'>After six hours of debate, the council passed a budget that keeps property taxes "
    "flat and protects libraries, roads and schools.</p>"
    + "".join(f"<p>{s}</p>" for s in ARTICLE_SENTENCES[:3])
    + "<p>Read more: Council delays vote on parking fees</p>"
    + "".join(f"<p>{s}</p>" for s in ARTICLE_SENTENCES[3:])
    + "</article><footer>Copyright 2024 City News. All rights reserved. Privacy policy.</footer></body></html>"
)


def test_extract_article_inline_page() -> None:
    text = extract_article(ARTICLE_PAGE, "https://example.com/news/budget")
    assert text is not None
    paragraphs = text.split("\n\n")
    assert paragraphs[-5:] == ARTICLE_SENTENCES
    assert "Read more" not in text and "Home" not in text and "Copyright" not in text
    assert "Council approves budget" not in text


@pytest.mark.parametrize(
    "page",
    [
        "",
        "<html><body></body></html>",
        "<html><body><p>Hi</p></body></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><script>x=1</script></body></html>",
    ],
)
def test_extract_article_nothing(page: str) -> None:
    assert extract_article(page) is None


@pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html/trafilatura-eval absent")
def test_extract_article_corpus_page() -> None:
    evaldata = json.loads((ARTICLES / "evaldata.news-subset.json").read_text(encoding="utf-8"))
    item = next(v for v in evaldata.values() if v["file"] == "reuters.com.parasite.html")
    page = next(p for p in (ARTICLES / "tests" / d / item["file"] for d in ("cache", "eval")) if p.is_file())
    text = extract_article(page.read_text(encoding="utf-8", errors="replace"))
    assert text is not None
    flat = " ".join(text.split())
    assert all(" ".join(w.split()) in flat for w in item["with"])
    cleaned = clean_story(text, title=None, is_html=False, published=dt.datetime(2020, 1, 20, tzinfo=UTC))
    assert cleaned.dateline is not None and cleaned.dateline.location == "LOS ANGELES"
    assert "Trust Principles" not in cleaned.body
    assert any("Trust Principles" in c for c in cleaned.credits)


def test_extract_article_text_without_spaces() -> None:
    """Scripts written without spaces between words are not mistaken for a page without an article."""
    paragraphs = [
        "東京都は月曜日、大きな地震に備えるための新しい防災計画を発表しました。",
        "計画では、学校や病院に水や食料を多く用意し、避難の訓練を毎年行うことが決まりました。",
        "都の担当者は、住民一人一人が家族と避難の方法を話し合ってほしいと話しています。",
    ]
    page = (
        "<html><head><title>防災計画</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    assert extract_article(page) == "\n\n".join(paragraphs)
