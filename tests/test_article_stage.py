"""FetchArticleFn called directly against the local HTTP test server: the feed text replaced, or kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from schemas.story import FeedSource, RawEntry
from tests.httpserver import Reply, ScriptedServer
from tests.test_article_page import ARTICLE_PAGE, ARTICLE_SENTENCES
from transforms.article import FetchArticleFn
from transforms.fetch.http import FetchSettings

STANDFIRST = (
    "After six hours of debate, the council passed a budget that keeps property taxes flat and protects libraries, "
    "roads and schools."
)
SETTINGS = FetchSettings(
    allow_private_hosts=True, connect_timeout=0.5, total_timeout=3.0, retries=2, backoff_base=0.01, retry_after_cap=0.2
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def fn() -> Iterator[FetchArticleFn]:
    dofn = FetchArticleFn(SETTINGS)
    dofn.setup()
    yield dofn
    dofn.teardown()


def entry(link: str | None) -> RawEntry:
    return RawEntry(
        id="budget",
        source=FeedSource(url="https://news.example.com/rss"),
        link=link,
        title="Council approves budget",
        summary_html="<p>The council approved the budget.</p>",
        fetched_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )


def test_article_page_replaces_the_feed_text(server: ScriptedServer, fn: FetchArticleFn) -> None:
    server.route("/news/budget", Reply(body=ARTICLE_PAGE.encode(), headers=HTML))
    raw = entry(server.url("/news/budget"))
    (out,) = fn.process(raw)
    assert out.content_html == "\n\n".join([STANDFIRST, *ARTICLE_SENTENCES])
    assert out.is_html is False
    assert out.model_dump(exclude={"content_html", "is_html"}) == raw.model_dump(exclude={"content_html", "is_html"})
    assert server.hits("/news/budget") == 1


def test_missing_page_leaves_the_feed_text(server: ScriptedServer, fn: FetchArticleFn) -> None:
    # the error page holds an article: only the status keeps it out
    server.route("/news/gone", Reply(status=404, body=ARTICLE_PAGE.encode(), headers=HTML))
    raw = entry(server.url("/news/gone"))
    assert list(fn.process(raw)) == [raw]
    assert server.hits("/news/gone") == 1  # a 404 is not retried


def test_page_with_less_than_the_feed_leaves_the_feed_text(server: ScriptedServer, fn: FetchArticleFn) -> None:
    server.route("/news/teaser", Reply(body=b"<html><body><p>Subscribe to read.</p></body></html>", headers=HTML))
    raw = entry(server.url("/news/teaser"))
    assert list(fn.process(raw)) == [raw]


@pytest.mark.parametrize("link", [None, "ftp://news.example.com/budget", "/news/budget"])
def test_entry_without_a_web_link_is_passed_through_unfetched(
    server: ScriptedServer, fn: FetchArticleFn, link: str | None
) -> None:
    before = len(server.requests)
    raw = entry(link)
    assert list(fn.process(raw)) == [raw]
    assert len(server.requests) == before
