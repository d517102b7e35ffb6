"""ParseEntries: feedparser on bytes, the JSON Feed adapter, entry ids and dates, enrich input lines."""

from __future__ import annotations

import datetime as dt
import time

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from schemas.story import DeadLetter, FeedSource, RawEntry
from tests.conftest import SAMPLES
from transforms.fetch.stage import FetchedFeed
from transforms.parse.stage import (
    MAX_ENTRIES_PER_FEED,
    ParseEntries,
    ParseFeedFn,
    declares_entities,
    entry_date,
    parse_json_feed,
    parse_story_line,
    scrub,
)

FETCHED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
SOURCE = FeedSource(url="https://example.org/feed")


def fetched(body: bytes, headers: dict[str, str] | None = None) -> FetchedFeed:
    return FetchedFeed(
        source=SOURCE, body=body, headers=headers or {}, status=200, final_url=SOURCE.url, fetched_at=FETCHED_AT
    )


def run_fn(body: bytes) -> tuple[list[RawEntry], list[DeadLetter], list[dict]]:
    entries, dead, reports = [], [], []
    for out in ParseFeedFn().process(fetched(body)):
        if isinstance(out, RawEntry):
            entries.append(out)
        elif out.tag == "dead_letter":
            dead.append(out.value)
        else:
            reports.append(out.value)
    return entries, dead, reports


def test_json_feed_sample_maps_onto_feedparser_fields() -> None:
    parsed = parse_json_feed((SAMPLES / "metro-daily.json").read_bytes())
    assert parsed["version"] == "json11" and not parsed["bozo"]
    first, _, text_only, *_ = parsed["entries"]
    assert first["id"] == "md-88121" and first["link"].endswith("norway-rate-cut-january.html")
    assert first["content"][0]["type"] == "text/html"
    assert time.strftime("%Y-%m-%dT%H:%M", first["published_parsed"]) == "2026-11-25T08:15"
    assert text_only["content"][0]["type"] == "text/plain"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"published": "Tue, 24 Nov 2026 09:12:00 GMT", "published_parsed": time.gmtime(1795511520)},
            ("Tue, 24 Nov 2026 09:12:00 GMT", dt.datetime(2026, 11, 24, 9, 12, tzinfo=dt.UTC), None),
        ),
        ({"published": "yesterday-ish", "published_parsed": None}, ("yesterday-ish", None, "unparseable")),
        ({"published": "2099-01-01", "published_parsed": time.gmtime(4070908800)}, ("2099-01-01", None, "future")),
        ({}, (None, None, None)),
    ],
)
def test_entry_dates_keep_the_entry_and_flag_bad_dates(entry: dict, expected: tuple) -> None:
    assert entry_date(entry, "published", FETCHED_AT) == expected


def test_scrub_removes_controls_and_lone_surrogates_and_caps() -> None:
    assert scrub("a\x00b\x1fc\ud800d\ufffee\tf") == "abcde\tf"
    assert scrub("x" * 50, limit=10) == "x" * 10
    assert scrub(None) is None


def test_bozo_feed_keeps_its_good_entries() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>One &amp; only</title><link>https://example.org/1</link></item>"
        b"<item><title>Two &bogus; entity</title><link>https://example.org/2</link></item>"
        b"</channel></rss>"
    )
    entries, dead, reports = run_fn(body)
    assert [e.link for e in entries] == ["https://example.org/1", "https://example.org/2"]
    assert all(e.feed_bozo for e in entries) and reports[0]["bozo"] == 1 and not dead


@pytest.mark.parametrize("body", [b"", b"<html><body><h1>Sign in</h1></body></html>", b"%PDF-1.7\n%\xe2\xe3"])
def test_a_body_that_is_not_a_feed_is_a_dead_letter(body: bytes) -> None:
    entries, dead, reports = run_fn(body)
    assert entries == []
    assert [(d.stage, d.error_type, d.entry_id) for d in dead] == [("parse", "not_a_feed", None)]
    assert reports == [{"feed": SOURCE.url, "feed_errors": 1, "error_type": "not_a_feed"}]


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY a "lol">\n'
    + b"".join(b' <!ENTITY %s "%s">\n' % (b"abcdefghij"[i + 1 : i + 2], b"&%s;" % b"abcdefghij"[i : i + 1] * 10)
              for i in range(8))
    + b']>\n<rss version="2.0"><channel><title>t</title><item><title>&i;</title><description>&i;</description>'
    b"</item></channel></rss>"
)
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!-- generated --><!DOCTYPE rss [<!ENTITY a "' + b"x" * 5000 + b'">]>'
    b'<rss version="2.0"><channel><title>t</title><item><title>' + b"&a;" * 5000 + b"</title></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("body", "declares"),
    [
        (BILLION_LAUGHS, True),
        (QUADRATIC_BLOWUP, True),
        (BILLION_LAUGHS.decode().encode("utf-16"), True),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<?xml-stylesheet href="s.xsl"?><!DOCTYPE rss [<!ENTITY c "d">]><rss/>',
         True),
        # A DOCTYPE without an internal subset, or with one that declares no entity, is an ordinary feed.
        (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "rss-0.91.dtd"><rss/>', False),
        (b'<!DOCTYPE rss [<!ATTLIST rss version CDATA "2.0">]><rss/>', False),
        # Markup quoted inside an item is text, not the document's DOCTYPE.
        (b'<rss><item><description><![CDATA[<!DOCTYPE x [<!ENTITY a "b">]>]]></description></item></rss>', False),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>&amp;</title></channel></rss>', False),
        (b"", False),
    ],
)
def test_declares_entities(body: bytes, declares: bool) -> None:
    assert declares_entities(body) is declares


@pytest.mark.parametrize("body", [BILLION_LAUGHS, QUADRATIC_BLOWUP], ids=["billion_laughs", "quadratic_blowup"])
def test_a_feed_declaring_its_own_entities_is_refused(body: bytes) -> None:
    entries, dead, reports = run_fn(body)
    assert entries == []
    assert [(d.stage, d.error_type, d.entry_id) for d in dead] == [("parse", "dtd_entities", None)]
    assert reports == [{"feed": SOURCE.url, "feed_errors": 1, "error_type": "dtd_entities"}]


def test_entry_ids_are_stable_and_unique_within_a_feed() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><guid>same</guid><title>A</title></item><item><guid>same</guid><title>B</title></item>"
        b"<item><title>No guid or link</title><description>text</description></item>"
        b"</channel></rss>"
    )
    first, _, _ = run_fn(body)
    again, _, _ = run_fn(body)
    assert [e.id for e in first] == [e.id for e in again]
    assert len({e.id for e in first}) == 3


def test_parse_entries_composite() -> None:
    body = (SAMPLES / "coastal-times.atom").read_bytes()
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create([fetched(body)]) | ParseEntries()
        assert_that(
            out.entries | beam.Map(lambda e: e.title),
            equal_to(
                [
                    "Ships pile up off Rotterdam as crane strike drags on",
                    "Harbour council approves new seawall for Old Town",
                    "Ferry operator adds winter crossings to the islands",
                    "Fish market prices climb ahead of holiday season",
                ]
            ),
            label="Titles",
        )
        assert_that(out.feed_report | beam.Map(lambda r: r["entries_read"]), equal_to([4]), label="Report")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"text": "x"}', "missing 'id'"),
        ('{"id": "a"}', "needs 'text' or 'html'"),
        ('{"id": "a", "text": "x", "published_at": "last Tuesday"}', "not ISO 8601"),
    ],
)
def test_bad_enrich_lines_say_why(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_story_line(line, SOURCE, FETCHED_AT)


def test_enrich_line_naive_time_is_utc() -> None:
    entry = parse_story_line('{"id": 7, "html": "<p>x</p>", "published_at": "2014-03-14T08:16"}', SOURCE, FETCHED_AT)
    assert entry.published_at == dt.datetime(2014, 3, 14, 8, 16, tzinfo=dt.UTC)
    assert entry.is_html and entry.guid == "7"


# --- hostile feeds: each ends as entries or a dead letter, quickly, with nothing bad in the output -------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<rss version="2.0"><channel><title>&i;</title><item><title>laughs &i;</title><link>https://e.org/1</link></item>
</channel></rss>"""
QUADRATIC = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "' + b"x" * 50_000 + b'">]><rss version="2.0">'
             b"<channel><title>q</title><item><title>" + b"&x;" * 20_000 + b"</title></item></channel></rss>")


def rss_items(*items: bytes, encoding: bytes = b"utf-8") -> bytes:
    return (b'<?xml version="1.0" encoding="' + encoding + b'"?><rss version="2.0"><channel><title>t</title>'
            + b"".join(items) + b"</channel></rss>")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("body", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic-blowup"])
def test_entity_expansion_attacks_are_contained(body: bytes) -> None:
    started = time.monotonic()
    entries, dead, _ = run_fn(body)
    assert time.monotonic() - started < 60
    # A feed that declares its own entities is refused whole, as defusedxml refuses it: no entry titled "&a;…".
    assert entries == []
    assert [d.error_type for d in dead] == ["dtd_entities"]


def test_a_parse_over_its_time_limit_is_a_dead_letter() -> None:
    slow = rss_items(*(b"<item><title>t%d</title></item>" % i for i in range(20_000)))
    out = list(ParseFeedFn(timeout=0.05).process(fetched(slow)))
    (letter,) = [o.value for o in out if getattr(o, "tag", None) == "dead_letter"]
    assert (letter.stage, letter.error_type, letter.entry_id) == ("parse", "parse_timeout", None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "n",
    [
        MAX_ENTRIES_PER_FEED + 1,  # one over the cap: the cap's edge, in a second
        pytest.param(100_000, marks=pytest.mark.slow),  # a hostile feed's size, parsed within the time limit
    ],
)
def test_100k_entry_feed_is_capped_and_counted(n: int) -> None:
    body = rss_items(*(b"<item><guid>g%d</guid><title>n</title></item>" % i for i in range(n)))
    entries, dead, reports = run_fn(body)
    assert len(entries) == 5000 and not dead and reports[0]["entries_read"] == 5000


def test_one_megabyte_title_and_script_tags() -> None:
    body = rss_items(
        b"<item><guid>1</guid><title>" + b"A" * 1_000_000 + b"</title></item>",
        b"<item><guid>2</guid><title>&lt;script&gt;alert(1)&lt;/script&gt;Budget passes</title>"
        b"<description>&lt;p&gt;Text&lt;script&gt;steal()&lt;/script&gt;&lt;/p&gt;</description></item>",
    )
    (big, scripted), _, _ = run_fn(body)
    assert len(big.title or "") == 1000
    assert "script" not in (scripted.summary_html or "") and "steal" not in (scripted.summary_html or "")
    from transforms.clean.stage import clean_entry

    assert "<script" not in clean_entry(scripted).title


@pytest.mark.parametrize(
    "body",
    [
        rss_items("<item><title>Caf\u00e9 caf\u00e9</title></item>".encode("latin-1"), encoding=b"utf-8"),
        rss_items(b"<item><title>bad \xff\xfe bytes \xed\xa0\x80 here</title></item>"),
        rss_items("<item><title>\u041c\u043e\u0441\u043a\u0432\u0430</title></item>".encode("cp1251"),
                  encoding=b"utf-8"),
    ],
    ids=["latin1-declared-utf8", "invalid-utf8", "cp1251-declared-utf8"],
)
def test_wrong_or_invalid_encodings_give_clean_text(body: bytes) -> None:
    entries, dead, _ = run_fn(body)
    assert entries or dead
    for entry in entries:
        text = entry.title or ""
        text.encode("utf-8")  # no lone surrogates
        assert "\x00" not in text


def test_missing_title_link_and_date_keep_the_entry() -> None:
    (entry,), dead, _ = run_fn(rss_items(b"<item><description>Only a description here.</description></item>"))
    assert not dead and entry.title is None and entry.link is None and entry.published_at is None
    assert entry.id  # a stable id from the content
