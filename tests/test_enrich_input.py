"""`wirebeam enrich` input lines: the user's id kept, whole pages read as pages, lines that are not UTF-8."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas.story import DeadLetter, FeedSource, RawEntry
from transforms.parse.stage import ParseStoryLineFn, decode_line, is_whole_page, one_per_id, parse_story_line

FETCHED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
SOURCE = FeedSource(url="in.jsonl", tags=["input"])
PARAGRAPHS = "".join(
    f"<p>Paragraph {n}: the harbour council voted for the new seawall after a long debate on Monday.</p>"
    for n in range(6)
)
PAGE = (
    "<!DOCTYPE html><html><head><title>Council backs seawall | Harbor Wire</title>"
    '<meta property="og:site_name" content="Harbor Wire">'
    '<meta property="article:published_time" content="2026-03-13T09:30:00-05:00">'
    '<meta name="author" content="Jane Doe"></head><body><nav><a href="/">Home</a> <a href="/w">World</a></nav>'
    "<h1>Council backs seawall</h1><article>" + PARAGRAPHS + "</article><footer>© Harbor Wire</footer></body></html>"
)


def line(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("story_id", "expected"),
    [("my-1", "my-1"), (7, "7"), ("  padded ", "  padded ")],
)
def test_the_users_id_is_the_entry_id(story_id: object, expected: str) -> None:
    entry = parse_story_line(line(id=story_id, text="Some text."), SOURCE, FETCHED_AT)
    assert (entry.id, entry.guid) == (expected, expected)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": True, "text": "x"}, "missing 'id'"),
        ({"id": " ", "text": "x"}, "missing 'id'"),
        ({"id": "x" * 1001, "text": "x"}, "longer than 1000"),
        ({"id": "a", "html": "<p>x</p>", "page": "yes"}, "'page' must be true or false"),
        ({"id": "a", "text": "x", "page": True}, "'page': true needs 'html'"),
    ],
)
def test_bad_ids_and_flags_say_why(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_story_line(json.dumps(fields), SOURCE, FETCHED_AT)


@pytest.mark.parametrize(
    ("html", "whole"),
    [
        ("<!DOCTYPE html><p>x</p>", True),
        ("<HTML lang='en'><p>x</p></HTML>", True),
        ("<body class='a'><p>x</p></body>", True),
        ("<p>BERLIN (Reuters) - Merkel spoke.</p>", False),
        ("<div>the <html> element</div>".replace("<html>", "&lt;html&gt;"), False),
        ("<p>x</p><bodyguard>", False),
    ],
)
def test_whole_page_detection(html: str, whole: bool) -> None:
    assert is_whole_page(html) is whole


def test_a_whole_page_takes_the_article_path_with_its_metadata() -> None:
    entry = parse_story_line(line(id="p1", html=PAGE), SOURCE, FETCHED_AT)
    assert not entry.is_html and entry.content_html is not None
    assert entry.content_html.startswith("Paragraph 0:") and "Home" not in entry.content_html
    assert "Harbor Wire" not in entry.content_html
    assert (entry.title, entry.authors) == ("Council backs seawall", ["Jane Doe"])
    assert entry.published_at == dt.datetime(2026, 3, 13, 14, 30, tzinfo=dt.UTC)
    assert entry.published_at.utcoffset() == dt.timedelta(0)  # UTC, with the page's own offset beside it
    assert entry.published_offset_minutes == -300
    assert (entry.published_source, entry.published_text) == ("page_meta", "2026-03-13T09:30:00-05:00")


def test_the_input_line_wins_over_the_page_and_the_flag_forces_either_path() -> None:
    given = parse_story_line(
        line(id="p1", html=PAGE, title="My title", published_at="2026-01-02T03:04:05Z"), SOURCE, FETCHED_AT
    )
    assert (given.title, given.published_source) == ("My title", "input")
    assert given.published_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    as_fragment = parse_story_line(line(id="p1", html=PAGE, page=False), SOURCE, FETCHED_AT)
    assert as_fragment.is_html and as_fragment.content_html == PAGE and as_fragment.title is None
    fragment_as_page = parse_story_line(line(id="p2", html=PARAGRAPHS, page=True), SOURCE, FETCHED_AT)
    assert not fragment_as_page.is_html


def test_a_page_dated_in_the_future_keeps_no_date() -> None:
    future = PAGE.replace("2026-03-13T09:30:00-05:00", "2027-03-13T09:30:00-05:00")
    entry = parse_story_line(line(id="p1", html=future), SOURCE, FETCHED_AT)
    assert entry.published_at is None and entry.date_flag == "future"


def test_a_page_without_an_article_keeps_its_html() -> None:
    entry = parse_story_line(line(id="p1", html="<html><body><h1>Login</h1></body></html>"), SOURCE, FETCHED_AT)
    assert entry.is_html and entry.title == "Login"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b'\xef\xbb\xbf{"id": 1}\r', '{"id": 1}'),
        ('\ufeff{"id": 1}', '{"id": 1}'),
        (b'{"id": "caf\xc3\xa9"}', '{"id": "café"}'),
        ('{"id": 1}', '{"id": 1}'),
    ],
)
def test_decode_line(raw: bytes | str, text: str) -> None:
    assert decode_line(raw) == text


def run_fn(raw: bytes) -> list[RawEntry | DeadLetter]:
    fn = ParseStoryLineFn(SOURCE)
    fn.setup()
    return [getattr(out, "value", out) for out in fn.process(raw)]


def test_a_line_that_is_not_utf8_is_a_dead_letter_with_the_users_id() -> None:
    (letter,) = run_fn('{"id": "row-9", "text": "Café crème"}'.encode("latin-1"))
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type, letter.entry_id) == ("input", "not_utf8", "row-9")
    assert "not UTF-8" in letter.message and "0xe9" in letter.message and "Caf" in letter.excerpt
    (nameless,) = run_fn(b"\xff\xfe{")
    assert isinstance(nameless, DeadLetter) and nameless.entry_id and nameless.entry_id != "row-9"


def test_a_bad_line_with_an_id_is_a_dead_letter_carrying_it() -> None:
    (letter,) = run_fn(line(id="row-3", text="x", published_at="last Tuesday").encode())
    assert isinstance(letter, DeadLetter)
    assert (letter.error_type, letter.entry_id) == ("bad_input", "row-3")
    assert run_fn(b"  \r") == []
    (entry,) = run_fn(b'\xef\xbb\xbf{"id": "row-1", "text": "Hello."}\r')
    assert isinstance(entry, RawEntry) and entry.id == "row-1"


def test_one_entry_per_id_the_same_in_every_order() -> None:
    a, b = (parse_story_line(line(id="x", text=t), SOURCE, FETCHED_AT) for t in ("First.", "Second."))
    for order in ([a, b], [b, a]):
        kept, letter = one_per_id(("x", order), "in.jsonl")
        assert kept.content_html == "First."
        assert (letter.value.error_type, letter.value.entry_id) == ("duplicate_id", "x")
    assert list(one_per_id(("y", [a]), "in.jsonl")) == [a]


def test_a_page_over_the_time_limit_is_a_dead_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import transforms.parse.stage as stage

    monkeypatch.setattr(stage, "extract_article", lambda html, url: time.sleep(5))
    fn = ParseStoryLineFn(SOURCE, timeout=0.2)
    (letter,) = [out.value for out in fn.process(line(id="slow", html=PAGE).encode())]
    assert (letter.error_type, letter.entry_id) == ("parse_timeout", "slow")


def test_a_page_the_extractor_chokes_on_keeps_its_html(monkeypatch: pytest.MonkeyPatch) -> None:
    import transforms.parse.stage as stage

    def choke(html: str, url: str | None) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(stage, "extract_article", choke)
    entry = parse_story_line(line(id="deep", html=PAGE), SOURCE, FETCHED_AT)
    assert entry.is_html and entry.content_html == PAGE
