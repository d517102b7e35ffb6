"""Tests for transforms.fetch (http, addresses, decoding, local) against a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import feedparser
import pytest

from tests.httpserver import Reply, ScriptedServer, blackhole, conditional, gzip_bomb, redirect
from transforms.fetch.addresses import is_public_address
from transforms.fetch.http import (
    Fetcher,
    FetchResult,
    FetchSettings,
    Validators,
    default_user_agent,
    feedparser_headers,
    parse_retry_after,
)
from transforms.fetch.local import read_local

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
    b"<link>/home</link><item><title>One</title><link>/one</link></item>"
    b"<item><title>Two</title><link>/two</link></item></channel></rss>"
)
LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"


class SleepRecorder:
    """Stands in for time.sleep so retry tests check the waits without spending them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


def fast(**overrides: object) -> FetchSettings:
    """Settings with tiny limits so misbehaving servers are given up on quickly."""
    values: dict[str, object] = {
        "allow_private_hosts": True,
        "connect_timeout": 0.5,
        "total_timeout": 3.0,
        "retries": 2,
        "backoff_base": 0.01,
        "retry_after_cap": 0.2,
        "max_bytes": 1_000_000,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(settings: FetchSettings | None = None, **kwargs: object) -> Fetcher:
        fetcher = Fetcher(settings or fast(), **kwargs)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


# ------------------------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("fec0::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:8.8.8.8", True),
        ("::127.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2001:db8::1", False),
        ("not-an-ip", False),
        ("", False),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Fri, 27 Nov 2026 10:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 09:59:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = 1_795_773_600.0  # Fri, 27 Nov 2026 10:00:00 GMT
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect_timeout", 0),
        ("total_timeout", -1.0),
        ("max_bytes", 0),
        ("max_redirects", -1),
        ("retries", -2),
        ("retry_after_cap", -0.1),
        ("per_host_concurrency", 0),
        ("user_agent", "bad\r\nX-Injected: 1"),
    ],
)
def test_settings_reject_bad_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        FetchSettings(**{field: value})  # type: ignore[arg-type]


def test_default_user_agent_names_the_project() -> None:
    assert default_user_agent().startswith("wirebeam/")
    assert default_user_agent().endswith("(+https://github.com/wirebeam/wirebeam)")
    assert FetchSettings().user_agent == default_user_agent()


@pytest.mark.parametrize(
    ("headers", "expected_location"),
    [
        ({}, "http://feeds.test/a/rss.xml"),
        ({"content-location": "/feed/pg.cgi"}, "http://feeds.test/feed/pg.cgi"),
        ({"content-location": "http://example.com/"}, "http://example.com/"),
        ({"content-location": "javascript:alert('unsafe');"}, "http://feeds.test/a/rss.xml"),
    ],
)
def test_feedparser_headers_gives_an_absolute_safe_base(headers: dict[str, str], expected_location: str) -> None:
    sent = {"Content-Encoding": "gzip", "content-length": "9", **headers}
    got = feedparser_headers(sent, "http://feeds.test/a/rss.xml")
    assert got["content-location"] == expected_location
    assert "content-encoding" not in got
    assert "content-length" not in got


# ------------------------------------------------------------------------------------------- happy paths


def test_plain_fetch_returns_body_headers_and_validators(server: ScriptedServer, make_fetcher) -> None:
    server.route("/ok", Reply(body=RSS, headers={"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}))
    result = make_fetcher().fetch(server.url("/ok"))
    assert result.ok
    assert (result.status, result.body, result.attempts, result.not_modified) == (200, RSS, 1, False)
    assert result.headers["etag"] == '"v1"'
    assert result.validators.etag == '"v1"'
    assert result.validators.last_modified == LAST_MODIFIED
    assert result.validators.body_sha256 == hashlib.sha256(RSS).hexdigest()
    sent = [r for r in server.requests if r.path == "/ok"][-1].headers
    assert sent["user-agent"] == default_user_agent()
    assert sent["accept-encoding"] == "gzip, deflate, br"
    assert sent["host"] == f"127.0.0.1:{server.port}"
    assert "if-none-match" not in sent


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(RSS)),
        ("x-gzip", gzip.compress(RSS)),
        ("deflate", zlib.compress(RSS)),
        ("deflate", zlib.compress(RSS)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress(RSS)),
        ("gzip, br", brotli.compress(gzip.compress(RSS))),
        ("identity", RSS),
        ("gzip", gzip.compress(RSS[:100]) + gzip.compress(RSS[100:])),  # two gzip members
        ("gzip", gzip.compress(RSS) + bytes(16)),  # zero padding after the member
    ],
)
def test_content_encodings_are_decoded(server: ScriptedServer, make_fetcher, encoding: str, encoded: bytes) -> None:
    path = f"/enc-{encoding.replace(', ', '-')}-{len(encoded)}"
    server.route(path, Reply(body=encoded, headers={"Content-Encoding": encoding}))
    result = make_fetcher().fetch(server.url(path))
    assert (result.error_type, result.body) == (None, RSS)


def test_chunked_body_and_feedparser_roundtrip(server: ScriptedServer, make_fetcher) -> None:
    server.route("/chunked", Reply(body=gzip.compress(RSS), headers={"Content-Encoding": "gzip"}, chunked=True))
    result = make_fetcher().fetch(server.url("/chunked"))
    assert result.body == RSS
    headers = feedparser_headers(result.headers, result.final_url)
    parsed = feedparser.parse(io.BytesIO(result.body), response_headers=headers)
    assert [e["title"] for e in parsed.entries] == ["One", "Two"]
    # Relative links resolve against the URL the bytes came from.
    assert parsed.entries[0]["link"] == server.url("/one")


# ------------------------------------------------------------------------------------------- time limits


def test_blackholed_connect_times_out(make_fetcher) -> None:
    fetcher = make_fetcher(fast(connect_timeout=0.3, retries=1))
    with blackhole() as (host, port):
        started = time.monotonic()
        result = fetcher.fetch(f"http://{host}:{port}/feed")
    elapsed = time.monotonic() - started
    assert result.error_type == "timeout"
    assert "connect" in (result.message or "")
    assert result.attempts == 2  # connect timeouts are retried once here
    assert 0.6 <= elapsed < 1.5


@pytest.mark.parametrize("drip_headers", [False, True])
def test_slow_drip_is_cut_at_the_total_deadline(server: ScriptedServer, make_fetcher, drip_headers: bool) -> None:
    path = f"/drip-{drip_headers}"
    server.route(path, Reply(body=RSS, drip_interval=0.1, drip_headers=drip_headers))
    started = time.monotonic()
    result = make_fetcher(fast(total_timeout=1.0)).fetch(server.url(path))
    elapsed = time.monotonic() - started
    assert result.error_type == "timeout"
    assert result.attempts == 1  # no time is left to retry a deadline timeout
    assert 0.9 <= elapsed < 1.6


def test_connection_refused_is_a_retried_connection_error(make_fetcher) -> None:
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.bind(("127.0.0.1", 0))  # bound, not listening: the kernel answers a connect with RST
    sleeps = SleepRecorder()
    try:
        result = make_fetcher(sleep=sleeps).fetch(f"http://127.0.0.1:{bound.getsockname()[1]}/")
    finally:
        bound.close()
    assert (result.error_type, result.attempts, len(sleeps.waits)) == ("connection_error", 3, 2)


# ------------------------------------------------------------------------------------------- size limits


def test_endless_body_stops_at_the_cap(server: ScriptedServer, make_fetcher) -> None:
    server.route("/endless", Reply(body=b"<rss>", endless=True))
    started = time.monotonic()
    result = make_fetcher(fast(max_bytes=200_000)).fetch(server.url("/endless"))
    assert result.error_type == "too_large"
    assert time.monotonic() - started < 1.0


def test_declared_length_over_cap_is_refused_before_reading(server: ScriptedServer, make_fetcher) -> None:
    server.route("/big", Reply(body=b"x" * 300_000))
    result = make_fetcher(fast(max_bytes=100_000)).fetch(server.url("/big"))
    assert (result.error_type, result.body) == ("too_large", None)
    assert "Content-Length 300000" in (result.message or "")


def test_undeclared_length_over_cap(server: ScriptedServer, make_fetcher) -> None:
    server.route("/big-nolen", Reply(body=b"x" * 300_000, content_length=-1))
    result = make_fetcher(fast(max_bytes=100_000)).fetch(server.url("/big-nolen"))
    assert result.error_type == "too_large"


def test_body_exactly_at_cap_is_accepted(server: ScriptedServer, make_fetcher) -> None:
    server.route("/at-cap", Reply(body=b"y" * 100_000, content_length=-1))
    result = make_fetcher(fast(max_bytes=100_000)).fetch(server.url("/at-cap"))
    assert (result.error_type, len(result.body or b"")) == (None, 100_000)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compression_bomb_is_stopped_early(server: ScriptedServer, make_fetcher, encoding: str) -> None:
    if encoding == "gzip":
        bomb = gzip_bomb(100_000_000)
    else:
        bomb = brotli.compress(bytes(100_000_000), quality=1)
    path = f"/bomb-{encoding}"
    server.route(path, Reply(body=bomb, headers={"Content-Encoding": encoding}))
    fetcher = make_fetcher(fast(max_bytes=2_000_000))
    tracemalloc.start()
    try:
        result = fetcher.fetch(server.url(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_type == "too_large"
    assert len(bomb) < 1_000_000  # the wire size is small: only decoding reveals the size
    assert peak < 20_000_000  # the 100 MB never materialise


@pytest.mark.parametrize(
    ("encoding", "body", "error_type"),
    [
        ("gzip", RSS, "decode_error"),  # labelled gzip, sent plain
        ("br", b"\xff\xff\xff\xff" * 8, "decode_error"),
        ("zstd", RSS, "decode_error"),  # never advertised, so not accepted
        ("gzip, gzip, gzip", RSS, "decode_error"),
    ],
)
def test_bad_encodings_are_decode_errors(
    server: ScriptedServer, make_fetcher, encoding: str, body: bytes, error_type: str
) -> None:
    path = f"/badenc-{encoding.replace(', ', '-')}-{len(body)}"
    server.route(path, Reply(body=body, headers={"Content-Encoding": encoding}))
    result = make_fetcher().fetch(server.url(path))
    assert (result.error_type, result.body, result.attempts) == (error_type, None, 1)


def test_truncated_body_is_retried_then_reported(server: ScriptedServer, make_fetcher) -> None:
    server.route("/trunc", Reply(body=RSS[:50], content_length=len(RSS)))
    sleeps = SleepRecorder()
    result = make_fetcher(sleep=sleeps).fetch(server.url("/trunc"))
    assert (result.error_type, result.attempts, server.hits("/trunc")) == ("truncated", 3, 3)


def test_malformed_status_line_is_bad_response(server: ScriptedServer, make_fetcher) -> None:
    server.route("/garbage", Reply(raw=b"HELLO THERE\r\n\r\n"))
    result = make_fetcher().fetch(server.url("/garbage"))
    assert result.error_type == "bad_response"


# ------------------------------------------------------------------------------------------- redirects


def test_redirects_are_followed_to_the_final_url(server: ScriptedServer, make_fetcher) -> None:
    server.route("/r1", redirect("/r2", 301))
    server.route("/r2", redirect(server.url("/r3"), 308))
    server.route("/r3", Reply(body=RSS))
    result = make_fetcher().fetch(server.url("/r1"))
    assert (result.error_type, result.final_url, result.body) == (None, server.url("/r3"), RSS)


@pytest.mark.parametrize(("hops", "error_type"), [(5, None), (6, "too_many_redirects")])
def test_redirect_limit(server: ScriptedServer, make_fetcher, hops: int, error_type: str | None) -> None:
    for i in range(hops):
        server.route(f"/chain{hops}-{i}", redirect(f"/chain{hops}-{i + 1}"))
    server.route(f"/chain{hops}-{hops}", Reply(body=RSS))
    result = make_fetcher().fetch(server.url(f"/chain{hops}-0"))
    assert result.error_type == error_type


def test_redirect_loop(server: ScriptedServer, make_fetcher) -> None:
    server.route("/loop", redirect("/loop"))
    result = make_fetcher().fetch(server.url("/loop"))
    assert (result.error_type, result.attempts, server.hits("/loop")) == ("too_many_redirects", 1, 6)


def test_redirect_without_location(server: ScriptedServer, make_fetcher) -> None:
    server.route("/noloc", Reply(status=302))
    assert make_fetcher().fetch(server.url("/noloc")).error_type == "bad_redirect"


# ------------------------------------------------------------------------------------------- SSRF guard


def test_private_addresses_are_refused_by_default(server: ScriptedServer, make_fetcher) -> None:
    server.route("/private", Reply(body=RSS))
    result = make_fetcher(fast(allow_private_hosts=False)).fetch(server.url("/private"))
    assert (result.error_type, result.body) == ("ssrf_blocked", None)
    assert server.hits("/private") == 0


@pytest.mark.parametrize(
    "url",
    ["http://localhost/", "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://[::1]/"],
)
def test_loopback_spellings_are_refused_after_resolution(make_fetcher, url: str) -> None:
    result = make_fetcher(fast(allow_private_hosts=False)).fetch(url)
    assert result.error_type == "ssrf_blocked"


class PublicTestHosts:
    """Resolver and policy that make `feeds.test` a "public" host served by the local test server."""

    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.names = {
            "feeds.test": ["127.0.0.1"],
            "localhost": ["127.0.0.1"],
            "internal.test": ["10.1.2.3"],
            "mixed.test": ["8.8.8.8", "127.0.0.1"],  # one public address does not whitewash the other
        }

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.names:
            raise OSError(f"unknown test host {host}")
        return self.names[host]

    @staticmethod
    def allowed(host: str, ip: str) -> bool:
        # The test server counts as public only under its test name; every other target gets the real check.
        return (host == "feeds.test" and ip == "127.0.0.1") or is_public_address(ip)


@pytest.fixture
def public_fetcher(make_fetcher) -> tuple[Fetcher, PublicTestHosts]:
    hosts = PublicTestHosts()
    fetcher = make_fetcher(fast(allow_private_hosts=False), resolver=hosts.resolve, address_allowed=hosts.allowed)
    return fetcher, hosts


def test_allowed_host_is_fetched_by_name(server: ScriptedServer, public_fetcher) -> None:
    fetcher, hosts = public_fetcher
    server.route("/public", Reply(body=RSS))
    result = fetcher.fetch(server.url("/public", host="feeds.test"))
    assert (result.error_type, result.body) == (None, RSS)
    sent = [r for r in server.requests if r.path == "/public"][-1]
    assert sent.headers["host"] == f"feeds.test:{server.port}"
    # Resolved once and connected to that very address: nothing to rebind between check and connect.
    assert hosts.lookups == ["feeds.test"]


@pytest.mark.parametrize(
    ("target", "error_type"),
    [
        ("http://127.0.0.1:{port}/secret", "ssrf_blocked"),
        ("http://localhost:{port}/secret", "ssrf_blocked"),
        ("http://mixed.test:{port}/secret", "ssrf_blocked"),
        ("http://169.254.169.254/latest/meta-data/", "ssrf_blocked"),
        ("http://[::ffff:127.0.0.1]:{port}/secret", "ssrf_blocked"),
        ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "ssrf_blocked"),
        ("http://internal.test/secret", "ssrf_blocked"),
        ("file:///etc/passwd", "bad_scheme"),
        ("gopher://127.0.0.1:{port}/secret", "bad_scheme"),
    ],
)
def test_redirect_to_internal_targets_is_refused(
    server: ScriptedServer, public_fetcher, target: str, error_type: str
) -> None:
    fetcher, _ = public_fetcher
    location = target.format(port=server.port)
    path = f"/to-internal-{abs(hash(location))}"
    server.route(path, redirect(location))
    server.route("/secret", Reply(body=b"root:x:0:0"))
    before = server.hits("/secret")
    result = fetcher.fetch(server.url(path, host="feeds.test"))
    assert result.error_type == error_type
    assert result.body is None
    assert server.hits("/secret") == before
    assert result.final_url == location


@pytest.mark.parametrize(
    ("url", "error_type"),
    [
        ("file:///etc/passwd", "bad_scheme"),
        ("ftp://example.com/feed.xml", "bad_scheme"),
        ("/etc/passwd", "bad_scheme"),
        ("http://", "invalid_url"),
        ("http://example.com:99999/", "invalid_url"),
    ],
)
def test_non_http_urls_are_refused(make_fetcher, url: str, error_type: str) -> None:
    result = make_fetcher().fetch(url)
    assert (result.error_type, result.attempts) == (error_type, 1)


@pytest.mark.parametrize("answer", [[], ["feeds.internal"], ["127.0.0.1", "localhost"]])
def test_resolver_must_answer_with_ip_literals(make_fetcher, answer: list[str]) -> None:
    result = make_fetcher(resolver=lambda host, port: answer).fetch("http://feeds.test/")
    assert result.error_type == "dns_error"


def test_resolver_bug_becomes_a_result_not_an_exception(make_fetcher) -> None:
    def broken(host: str, port: int) -> list[str]:
        raise RuntimeError("resolver exploded")

    result = make_fetcher(resolver=broken).fetch("http://feeds.test/")
    assert result.error_type == "internal_error"
    assert "resolver exploded" in (result.message or "")


# ------------------------------------------------------------------------------------- status codes, retries


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_client_errors_are_not_retried(server: ScriptedServer, make_fetcher, status: int) -> None:
    path = f"/status-{status}"
    server.route(path, Reply(status=status, body=b"nope"))
    result = make_fetcher().fetch(server.url(path))
    assert (result.error_type, result.status, result.attempts, result.body) == (
        f"http_{status}",
        status,
        1,
        None,
    )
    assert server.hits(path) == 1


def test_500_then_200_is_retried_with_backoff(server: ScriptedServer, make_fetcher) -> None:
    server.route("/flaky", Reply(status=500), Reply(body=RSS))
    sleeps = SleepRecorder()
    result = make_fetcher(fast(backoff_base=0.4), sleep=sleeps).fetch(server.url("/flaky"))
    assert (result.error_type, result.status, result.body, result.attempts) == (None, 200, RSS, 2)
    assert len(sleeps.waits) == 1
    assert 0.2 <= sleeps.waits[0] <= 0.4  # base·2⁰ with equal jitter


def test_persistent_5xx_gives_up_after_retries(server: ScriptedServer, make_fetcher) -> None:
    server.route("/down", Reply(status=502))
    sleeps = SleepRecorder()
    result = make_fetcher(fast(backoff_base=0.4), sleep=sleeps).fetch(server.url("/down"))
    assert (result.error_type, result.status, result.attempts) == ("http_5xx", 502, 3)
    assert len(sleeps.waits) == 2
    assert 0.4 <= sleeps.waits[1] <= 0.8  # the second wait doubles


@pytest.mark.parametrize(
    ("status", "retry_after", "cap", "expected_wait"),
    [
        (429, "1", 120.0, 1.0),
        (503, "2", 120.0, 2.0),
        (429, "3600", 0.25, 0.25),  # capped
        (503, "Thu, 01 Jan 1970 00:00:00 GMT", 120.0, 0.0),  # a date in the past: retry now
    ],
)
def test_retry_after_is_honoured_and_capped(
    server: ScriptedServer, make_fetcher, status: int, retry_after: str, cap: float, expected_wait: float
) -> None:
    path = f"/busy-{status}-{abs(hash(retry_after))}"
    server.route(path, Reply(status=status, headers={"Retry-After": retry_after}), Reply(body=RSS))
    sleeps = SleepRecorder()
    result = make_fetcher(fast(retry_after_cap=cap, total_timeout=5.0), sleep=sleeps).fetch(server.url(path))
    assert (result.error_type, result.attempts, sleeps.waits) == (None, 2, [expected_wait])


def test_retry_after_beyond_the_deadline_is_returned_at_once(server: ScriptedServer, make_fetcher) -> None:
    server.route("/busy-long", Reply(status=429, headers={"Retry-After": "60"}))
    sleeps = SleepRecorder()
    result = make_fetcher(fast(retry_after_cap=120.0, total_timeout=2.0), sleep=sleeps).fetch(server.url("/busy-long"))
    assert (result.error_type, result.status, result.attempts, sleeps.waits) == ("http_429", 429, 1, [])
    assert result.headers["retry-after"] == "60"
    assert "Retry-After 60" in (result.message or "")


def test_real_backoff_sleep_stays_within_the_deadline(server: ScriptedServer, make_fetcher) -> None:
    server.route("/down-slowly", Reply(status=500))
    started = time.monotonic()
    result = make_fetcher(fast(backoff_base=0.6, total_timeout=1.0, retries=5)).fetch(server.url("/down-slowly"))
    assert result.error_type == "http_5xx"
    assert time.monotonic() - started < 1.2


# ------------------------------------------------------------------------------------------- conditional GET


def test_304_with_a_valid_etag(server: ScriptedServer, make_fetcher) -> None:
    server.route("/cond-etag", handler=conditional(RSS, etag='"abc"'))
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/cond-etag"))
    assert (first.status, first.validators.etag) == (200, '"abc"')
    second = fetcher.fetch(server.url("/cond-etag"), first.validators)
    assert (second.status, second.not_modified, second.body, second.error_type) == (304, True, None, None)
    assert second.validators == first.validators  # the body hash survives a 304
    assert second.unchanged(first.validators)
    assert server.requests[-1].headers["if-none-match"] == '"abc"'


def test_last_modified_round_trip(server: ScriptedServer, make_fetcher) -> None:
    server.route("/cond-lm", handler=conditional(RSS, last_modified=LAST_MODIFIED))
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/cond-lm"))
    assert first.validators.last_modified == LAST_MODIFIED
    assert first.validators.etag is None
    second = fetcher.fetch(server.url("/cond-lm"), first.validators)
    assert second.not_modified
    assert server.requests[-1].headers["if-modified-since"] == LAST_MODIFIED
    assert "if-none-match" not in server.requests[-1].headers


@pytest.mark.parametrize(("new_body", "unchanged"), [(RSS, True), (RSS.replace(b"Two", b"Three"), False)])
def test_stale_etag_is_caught_by_the_body_hash(
    server: ScriptedServer, make_fetcher, new_body: bytes, unchanged: bool
) -> None:
    # This server ignores validators and always sends the same ETag, whatever the content.
    path = f"/stale-{unchanged}"
    same = {"ETag": '"same"'}
    server.route(path, Reply(body=RSS, headers=same), Reply(body=new_body, headers=same))
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url(path))
    second = fetcher.fetch(server.url(path), first.validators)
    assert (second.status, second.not_modified) == (200, False)
    assert second.unchanged(first.validators) is unchanged


# ------------------------------------------------------------------------------------------- politeness


def test_per_host_concurrency_is_bounded(server: ScriptedServer, make_fetcher) -> None:
    server.route("/slow", Reply(body=RSS, delay=0.15))
    fetcher = make_fetcher(fast(per_host_concurrency=2))
    server.max_in_flight = 0
    results: list[FetchResult] = []

    def fetch_one() -> None:
        results.append(fetcher.fetch(server.url("/slow")))

    threads = [threading.Thread(target=fetch_one) for _ in range(6)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.error_type for r in results] == [None] * 6
    assert server.max_in_flight == 2
    assert time.monotonic() - started >= 0.44  # 6 requests, 2 at a time, 0.15 s each


# ------------------------------------------------------------------------------------------- local files


def test_read_local_reads_a_file(tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    result = read_local(str(path), FetchSettings())
    assert (result.error_type, result.body, result.status) == (None, RSS, None)
    assert result.validators.body_sha256 is not None
    assert "content-location" not in feedparser_headers(result.headers, result.final_url)


@pytest.mark.parametrize(
    ("name", "error_type"),
    [
        ("missing.xml", "not_found"),
        ("file:///etc/passwd", "bad_scheme"),
        ("http://127.0.0.1/feed.xml", "bad_scheme"),
        (".", "not_a_file"),
        ("/dev/zero", "not_a_file"),
        ("big.xml", "too_large"),
    ],
)
def test_read_local_failures(tmp_path, name: str, error_type: str) -> None:
    (tmp_path / "big.xml").write_bytes(b"z" * 2_000)
    path = name if name.startswith(("/", "file:", "http:")) else os.path.join(tmp_path, name)
    result = read_local(path, FetchSettings(max_bytes=1_000))
    assert (result.error_type, result.body) == (error_type, None)


# ------------------------------------------------------------------------------------------- more edge cases


def test_both_validators_are_sent_and_a_changed_etag_wins(server: ScriptedServer, make_fetcher) -> None:
    server.route("/cond-both", handler=conditional(RSS, etag='"new"', last_modified=LAST_MODIFIED))
    stored = Validators(etag='"old"', last_modified=LAST_MODIFIED, body_sha256="0" * 64)
    result = make_fetcher().fetch(server.url("/cond-both"), stored)
    sent = server.requests[-1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == ('"old"', LAST_MODIFIED)
    # If-None-Match takes precedence over If-Modified-Since (RFC 9110 13.2.2): the content changed.
    assert (result.status, result.body, result.validators.etag) == (200, RSS, '"new"')
    assert not result.unchanged(stored)


def test_failed_body_keeps_the_status_and_headers(server: ScriptedServer, make_fetcher) -> None:
    server.route("/big-status", Reply(body=b"x" * 5_000, headers={"X-Origin": "edge-7"}))
    result = make_fetcher(fast(max_bytes=1_000)).fetch(server.url("/big-status"))
    assert (result.error_type, result.status, result.headers["x-origin"]) == ("too_large", 200, "edge-7")


def test_international_host_and_path_are_encoded(server: ScriptedServer, make_fetcher) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    server.route("/caf%C3%A9/news%20feed.xml", Reply(body=RSS))
    result = make_fetcher(resolver=resolve).fetch(f"http://bücher.test:{server.port}/café/news feed.xml")
    assert (result.error_type, result.body) == (None, RSS)
    assert lookups == ["xn--bcher-kva.test"]
    assert server.requests[-1].headers["host"] == f"xn--bcher-kva.test:{server.port}"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_large_encoded_bodies_survive_chunking(server: ScriptedServer, make_fetcher, encoding: str) -> None:
    # ~900 KB of varied text: many 64 KB reads on the wire and many bounded decoder calls.
    body = b"".join(b"<item><title>story %d %x</title></item>\n" % (i, i * 2654435761) for i in range(20_000))
    encoders = {"gzip": gzip.compress, "deflate": zlib.compress, "br": lambda b: brotli.compress(b, quality=5)}
    path = f"/large-{encoding}"
    server.route(path, Reply(body=encoders[encoding](body), headers={"Content-Encoding": encoding}))
    result = make_fetcher(fast(max_bytes=len(body))).fetch(server.url(path))
    assert (result.error_type, result.body == body) == (None, True)
    too_small = make_fetcher(fast(max_bytes=len(body) - 1)).fetch(server.url(path))
    assert too_small.error_type == "too_large"


def test_https_goes_through_tls_to_the_pinned_address(server: ScriptedServer, make_fetcher) -> None:
    # The test server speaks plain HTTP, so the TLS handshake to the resolved address must fail cleanly.
    server.route("/tls", Reply(body=RSS))
    result = make_fetcher(resolver=lambda host, port: ["127.0.0.1"]).fetch(f"https://feeds.test:{server.port}/tls")
    assert (result.error_type, result.body, result.attempts) == ("tls_error", None, 1)
    assert server.hits("/tls") == 0


# ------------------------------------------------------------------------------------- robustness corpus

ROBUSTNESS = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ROBUSTNESS = ROBUSTNESS / "corpora" / "feeds-robustness"
needs_robustness_corpus = pytest.mark.skipif(
    not (ROBUSTNESS / "expectations.jsonl").exists(), reason="../shared/corpora/feeds-robustness absent"
)


def _run_robustness(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    from evaluation import robustness_corpus

    out = tmp_path / "robustness.json"
    code = robustness_corpus.main([*args, "--json", str(out)])
    return code, json.loads(out.read_text())


@needs_robustness_corpus
def test_robustness_corpus_sample_fetches_and_parses_every_file(tmp_path: Path) -> None:
    # The first 150 cases: every encoding case (48 served with HTTP charset headers) and 68 entity cases.
    code, figures = _run_robustness(tmp_path, "--limit", "150")
    assert code == 0
    assert (figures["files"], figures["crashes"], figures["hangs"], figures["fetch_errors"]) == (150, 0, 0, {})
    assert figures["evaluated"] == 150
    assert figures["expect_holds"] == 150  # plain feedparser.parse(path) manages fewer: it has no headers
    # wirebeam's parse stage keeps every entry feedparser finds; a file it cannot use is a dead letter.
    assert figures["stage_entries"] == figures["entries"]


@needs_robustness_corpus
def test_robustness_corpus_full(tmp_path: Path) -> None:
    code, figures = _run_robustness(tmp_path)
    assert code == 0
    assert (figures["files"], figures["crashes"], figures["hangs"], figures["fetch_errors"]) == (2106, 0, 0, {})
    # Measured: 2,079 of 2,096 hold; the rest need feedparser's own HTTP client (etag/modified keys) or have
    # expectations about local files that a base URI changes. 44 expectations spell out port 8097.
    allowance = 0 if figures["port"] == 8097 else 44
    assert figures["expect_holds"] >= 2079 - allowance
    # feedparser finds 1,217 entries; wirebeam keeps all but the one of a feed that declares its own DTD entities,
    # which it refuses whole (two such feeds, one of them without items).
    assert (figures["entries"], figures["stage_entries"]) == (1217, 1216)
    assert figures["stage_dead_letters"] == {"not_a_feed": 8, "dtd_entities": 2}
