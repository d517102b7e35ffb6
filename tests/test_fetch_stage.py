"""FetchFeedFn called directly (setup, process) against the scripted server on 127.0.0.1: what one feed becomes —
a FetchedFeed and its feed report, a not-modified report, or a dead letter."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apache_beam.pvalue import TaggedOutput

from schemas.story import DeadLetter, FeedSource
from tests.httpserver import Reply, ScriptedServer, conditional
from transforms.common import DEAD_LETTER
from transforms.fetch.http import FetchSettings
from transforms.fetch.stage import FEED_REPORT, FetchedFeed, FetchFeedFn

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
    b"<item><title>One</title><link>/one</link></item></channel></rss>"
)
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"
# The server is on 127.0.0.1, which the SSRF guard refuses unless private hosts are allowed.
SETTINGS = FetchSettings(allow_private_hosts=True, retries=0, connect_timeout=1.0, total_timeout=5.0)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        srv.route("/feed", handler=conditional(RSS, etag=ETAG, last_modified=LAST_MODIFIED))
        srv.route("/gone", Reply(status=404, body=b"no such feed", content_type="text/plain"))
        yield srv


def run_fn(source: FeedSource, feed_state: dict[str, dict[str, Any]] | None = None) -> dict[str, list[Any]]:
    """The DoFn's outputs for one source, by tag ("main" for the untagged FetchedFeed)."""
    fn = FetchFeedFn(SETTINGS, feed_state or {})
    fn.setup()
    try:
        outputs = list(fn.process(source))
    finally:
        fn.teardown()
    by_tag: dict[str, list[Any]] = {"main": [], FEED_REPORT: [], DEAD_LETTER: []}
    for out in outputs:
        if isinstance(out, TaggedOutput):
            by_tag[out.tag].append(out.value)
        else:
            by_tag["main"].append(out)
    return by_tag


def test_a_200_feed_gives_its_bytes_and_a_report_with_validators(server: ScriptedServer) -> None:
    url = server.url("/feed")
    out = run_fn(FeedSource(url=url, name="wire"))
    (feed,) = out["main"]
    assert isinstance(feed, FetchedFeed)
    assert (feed.body, feed.status, feed.final_url, feed.source.name) == (RSS, 200, url, "wire")
    assert feed.headers["etag"] == ETAG and feed.fetched_at.tzinfo is not None
    (report,) = out[FEED_REPORT]
    assert report == {
        "feed": url,
        "http_status": 200,
        "attempts": 1,
        "state": {"etag": ETAG, "last_modified": LAST_MODIFIED, "body_sha256": hashlib.sha256(RSS).hexdigest()},
    }
    assert out[DEAD_LETTER] == []


def test_a_304_with_stored_validators_is_reported_not_modified(server: ScriptedServer) -> None:
    url = server.url("/feed")
    previous = {"etag": ETAG, "last_modified": LAST_MODIFIED, "body_sha256": "abc123", "http_status": 200}
    before = server.hits("/feed")
    out = run_fn(FeedSource(url=url), {url: previous})
    assert server.requests[-1].headers["if-none-match"] == ETAG  # the validators were sent
    assert server.hits("/feed") == before + 1
    assert out["main"] == [] and out[DEAD_LETTER] == []
    (report,) = out[FEED_REPORT]
    assert (report["feed"], report["not_modified"], report["http_status"]) == (url, 1, 304)
    # What the state knew is kept (the 304 carries no body to hash).
    assert report["state"]["body_sha256"] == "abc123" and report["state"]["etag"] == ETAG


def test_a_404_is_a_dead_letter_with_its_http_status(server: ScriptedServer) -> None:
    url = server.url("/gone")
    out = run_fn(FeedSource(url=url))
    assert out["main"] == []
    (letter,) = out[DEAD_LETTER]
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type, letter.http_status, letter.source) == ("fetch", "http_404", 404, url)
    assert letter.entry_id is None
    (report,) = out[FEED_REPORT]
    assert report == {"feed": url, "feed_errors": 1, "error_type": "http_404", "http_status": 404, "attempts": 1}


def test_a_local_file_is_read_without_the_network(tmp_path: Path) -> None:
    path = tmp_path / "wire.xml"
    path.write_bytes(RSS)
    out = run_fn(FeedSource(url=str(path)))
    (feed,) = out["main"]
    assert (feed.body, feed.status) == (RSS, None)
    (report,) = out[FEED_REPORT]
    assert report["state"]["body_sha256"] == hashlib.sha256(RSS).hexdigest() and report["http_status"] is None
