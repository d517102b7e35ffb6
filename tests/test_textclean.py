"""Tests for transforms/clean/textclean.py: cleaning chain, HTML to text, datelines, timestamps, stories, articles."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from transforms.clean.textclean import (
    Cleaned,
    Dateline,
    clean_story,
    clean_text,
    extract_article,
    html_to_text,
    parse_dateline,
    parse_page_timestamp,
)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
KERRY = SHARED / "samples" / "reuters-2014-03-14-kerry-lavrov.txt"
REUTERS_LEADS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots"
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"

KERRY_TITLE = "Kerry to seek assurances on Crimea in last-ditch talks with Lavrov"
KERRY_PUBLISHED = dt.datetime(2014, 3, 14, 8, 16, tzinfo=dt.UTC)
UTC = dt.UTC


# ---------------------------------------------------------------------------------------------------------------
# The reference story, delivered in the shapes a feed uses
# ---------------------------------------------------------------------------------------------------------------


def _kerry_variants() -> dict[str, tuple[str, bool]]:
    raw = KERRY.read_text(encoding="utf-8")
    blocks = [b for b in raw.split("\n\n") if b.strip()]
    return {
        "scraped text": (raw, False),
        "html <p> paragraphs": ("".join(f"<p>{b}</p>" for b in blocks), True),
        "html with entities and <br>": (
            "<div>" + "<br/><br/>".join(b.replace("’", "&rsquo;").replace("“", "&ldquo;") for b in blocks) + "</div>",
            True,
        ),
        "plain newlines flagged html": (raw.replace("\n\n", "\n"), True),
        "plain newlines": (raw.replace("\n\n", "\n"), False),
    }


@pytest.mark.skipif(not KERRY.exists(), reason="../shared/samples/reuters-2014-03-14-kerry-lavrov.txt absent")
@pytest.mark.parametrize("variant", list(_kerry_variants()) if KERRY.exists() else [])
@pytest.mark.parametrize("title", [None, KERRY_TITLE, KERRY_TITLE + " - Reuters"])
def test_reference_story(variant: str, title: str | None) -> None:
    content, is_html = _kerry_variants()[variant]
    cleaned = clean_story(content, title=title, is_html=is_html, published=KERRY_PUBLISHED)
    assert cleaned.title == KERRY_TITLE
    assert cleaned.body.startswith("U.S. Secretary of State John Kerry will seek assurances")
    assert cleaned.body.endswith("favour rule from Moscow.")
    assert cleaned.dateline == Dateline(
        location="LONDON",
        date_text="March 14",
        date=dt.date(2014, 3, 14),
        agency="Reuters",
        raw="LONDON, March 14 (Reuters) -",
    )
    assert cleaned.page_timestamp == dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)
    paragraphs = cleaned.body.split("\n\n")
    assert len(paragraphs) == 17
    assert all(p.strip() == p and p for p in paragraphs)
    for leftover in ("LONDON, March", "(Reuters)", "years ago", "0 : 0", "browser", "tablet", KERRY_TITLE):
        assert leftover not in cleaned.body
    assert "“We are very concerned." in cleaned.body  # typographic quotes kept
    assert cleaned.removed_lines >= 2


# ---------------------------------------------------------------------------------------------------------------
# Datelines
# ---------------------------------------------------------------------------------------------------------------

PUB = dt.datetime(2014, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "published", "location", "date_text", "date", "agency", "rest"),
    [
        ("WASHINGTON (AP) — The Senate voted.", PUB, "WASHINGTON", None, None, "AP", "The Senate voted."),
        (
            "LONDON/MOSCOW, March 14 (Reuters) - Talks began.",
            PUB,
            "LONDON/MOSCOW",
            "March 14",
            dt.date(2014, 3, 14),
            "Reuters",
            "Talks began.",
        ),
        ("PARIS (AFP) - Strikes spread.", PUB, "PARIS", None, None, "AFP", "Strikes spread."),
        (
            "NEW YORK, March 14 (Bloomberg) -- Stocks rose.",
            PUB,
            "NEW YORK",
            "March 14",
            dt.date(2014, 3, 14),
            "Bloomberg",
            "Stocks rose.",
        ),
        ("SAN JOSE, Calif. (AP) — A quake hit.", PUB, "SAN JOSE, Calif.", None, None, "AP", "A quake hit."),
        (
            "KHAN YOUNIS, GAZA — The assault went on.",
            PUB,
            "KHAN YOUNIS, GAZA",
            None,
            None,
            None,
            "The assault went on.",
        ),
        (
            "LONDON, April 15 (Reuters Breakingviews) - Oil exporters.",
            dt.datetime(2026, 4, 15, tzinfo=UTC),
            "LONDON",
            "April 15",
            dt.date(2026, 4, 15),
            "Reuters Breakingviews",
            "Oil exporters.",
        ),
        (
            "ISLAMABAD/DUBAI/WASHINGTON April 13 (Reuters) - After a night.",
            dt.datetime(2026, 4, 13, tzinfo=UTC),
            "ISLAMABAD/DUBAI/WASHINGTON",
            "April 13",
            dt.date(2026, 4, 13),
            "Reuters",
            "After a night.",
        ),
        (
            "BEIRUT April 15 - Brothers stood.",
            dt.datetime(2026, 4, 15, tzinfo=UTC),
            "BEIRUT",
            "April 15",
            dt.date(2026, 4, 15),
            None,
            "Brothers stood.",
        ),
        (
            "April 13 (Reuters) - Ghana said.",
            dt.datetime(2026, 4, 13, tzinfo=UTC),
            "",
            "April 13",
            dt.date(2026, 4, 13),
            "Reuters",
            "Ghana said.",
        ),
        ("(Reuters) - Stocks fell.", PUB, "", None, None, "Reuters", "Stocks fell."),
        # AP style without the agency: a major place alone, any place with its state or country
        ("CHICAGO — A storm hit.", PUB, "CHICAGO", None, None, None, "A storm hit."),
        ("ST. LOUIS — The river rose.", PUB, "ST. LOUIS", None, None, None, "The river rose."),
        ("KYIV/MOSCOW — Talks resumed.", PUB, "KYIV/MOSCOW", None, None, None, "Talks resumed."),
        ("FERGUSON, Mo. — Crowds gathered.", PUB, "FERGUSON, Mo.", None, None, None, "Crowds gathered."),
        # the year boundary: a Dec 31 dateline on a story published Jan 1 is the previous year, and back
        (
            "MOSCOW, Dec 31 (Reuters) - Fireworks.",
            dt.datetime(2015, 1, 1, 0, 30, tzinfo=UTC),
            "MOSCOW",
            "Dec 31",
            dt.date(2014, 12, 31),
            "Reuters",
            "Fireworks.",
        ),
        (
            "SYDNEY, Jan 1 (Reuters) - Fireworks.",
            dt.datetime(2014, 12, 31, 14, 0, tzinfo=UTC),
            "SYDNEY",
            "Jan 1",
            dt.date(2015, 1, 1),
            "Reuters",
            "Fireworks.",
        ),
        (
            "TOKYO, March 14, 2011 (Reuters) - Quake.",
            None,
            "TOKYO",
            "March 14, 2011",
            dt.date(2011, 3, 14),
            "Reuters",
            "Quake.",
        ),
        (
            "TOKYO, March 14 (Reuters) - No publish time.",
            None,
            "TOKYO",
            "March 14",
            None,
            "Reuters",
            "No publish time.",
        ),
    ],
)
def test_parse_dateline(
    line: str,
    published: dt.datetime | None,
    location: str,
    date_text: str | None,
    date: dt.date | None,
    agency: str | None,
    rest: str,
) -> None:
    found = parse_dateline(line, published)
    assert found is not None
    dateline, consumed = found
    assert (dateline.location, dateline.date_text, dateline.date, dateline.agency) == (
        location,
        date_text,
        date,
        agency,
    )
    assert line[consumed:] == rest
    assert dateline.raw == line[:consumed].strip()


@pytest.mark.parametrize(
    "line",
    [
        "The Senate voted on Tuesday - a first.",
        "U.S. stocks rose (slightly) - traders said.",
        "BREAKING — Markets fall",
        "NATO (the alliance) - said nothing.",
        # a capitalised name opening a sentence, not a place: no dateline without an agency, date or region
        "NASA — The agency said the launch slipped.",
        "FIFA — The governing body fined the club.",
        "KYIV/NATO — Talks resumed.",
        "Kerry met Lavrov in London on March 14 (Friday).",
        "",
    ],
)
def test_parse_dateline_rejects(line: str) -> None:
    assert parse_dateline(line, PUB) is None


# ---------------------------------------------------------------------------------------------------------------
# Page timestamps
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("March 14, 2014 / 8:16 AM / 4 years ago", dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)),
        ("March 14, 2014 / 8:16 AM / Updated 4 years ago", dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)),
        ("Published 3:02 PM EST, Fri March 14, 2014", dt.datetime(2014, 3, 14, 20, 2, tzinfo=UTC)),
        ("Updated 11:45 AM EDT, Mon June 2, 2014", dt.datetime(2014, 6, 2, 15, 45, tzinfo=UTC)),
        ("March 14, 2014 at 3:02 p.m. ET", dt.datetime(2014, 3, 14, 19, 2, tzinfo=UTC)),  # EDT from Mar 9
        ("2014-03-14T08:16:00Z", dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)),
        ("2014-03-14 08:16 +01:00", dt.datetime(2014, 3, 14, 7, 16, tzinfo=UTC)),
        ("14 March 2014, 08:16 GMT", dt.datetime(2014, 3, 14, 8, 16, tzinfo=UTC)),
        ("September 20, 2021 5:00 AM", dt.datetime(2021, 9, 20, 5, 0, tzinfo=UTC)),
        ("July 7, 2020", dt.datetime(2020, 7, 7, tzinfo=UTC)),
        ("12:00 AM GMT, March 1, 2014", dt.datetime(2014, 3, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_page_timestamp(line: str, expected: dt.datetime) -> None:
    value = parse_page_timestamp(line)
    assert value == expected
    assert value is not None and value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "line",
    [
        "Kerry to seek assurances on Crimea in last-ditch talks with Lavrov",
        "The vote was held on March 14, 2014 at 8:16 AM in London.",
        "March 14, 2014 / 8:16 XYZ",
        "February 30, 2014",
        "13:75 PM EST, Fri March 14, 2014",
        "",
    ],
)
def test_parse_page_timestamp_rejects(line: str) -> None:
    assert parse_page_timestamp(line) is None


# ---------------------------------------------------------------------------------------------------------------
# The Unicode / whitespace chain
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kerry\u00e2\u20ac\u2122s first stop", "Kerry’s first stop"),  # mojibake repaired, curly quote kept
        ("caf\u00c3\u00a9 cr\u00c3\u00a8me", "café crème"),
        ("“Quoted” and ‘single’", "“Quoted” and ‘single’"),
        ("cafe\u0301", "café"),  # NFC
        ("an\u200bti\u200cwa\u2060ter\ufeffmark\u00ad", "antiwatermark"),
        ("tab\there\u00a0and\u2009thin   spaces", "tab here and thin spaces"),
        ("  para one  \n\n\n\n  para two\r\nline two\u2028three  ", "para one\n\npara two\nline two\nthree"),
        ("control\x00\x07 chars\x1b", "control chars"),
        ("ﬁne ligature stays ascii-free", "ﬁne ligature stays ascii-free"),  # no NFKC on clean text
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_is_idempotent() -> None:
    text = "Kerry\u00e2\u20ac\u2122s  visit\u200b\n\n\n “ok”"
    once = clean_text(text)
    assert clean_text(once) == once == "Kerry’s visit\n\n“ok”"


# ---------------------------------------------------------------------------------------------------------------
# HTML to text
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<p>One &amp; two&nbsp;&mdash; three</p><p>Four</p>", "One & two — three\n\nFour"),
        ("<p>Body</p><script>var x = 1;</script><style>p{}</style><p>More</p>", "Body\n\nMore"),
        ("<p>Body</p><figure><img src=a.jpg><figcaption>REUTERS/Photo</figcaption></figure><p>End</p>", "Body\n\nEnd"),
        ('<p>Body</p><div class="share-buttons"><a>Facebook</a><a>Twitter</a></div>', "Body"),
        ("<p>Line<br>break</p>", "Line\nbreak"),
        ("<p>wrapped\n   inside a paragraph</p>", "wrapped inside a paragraph"),
        ("Plain paragraph one.\n\nPlain paragraph two.", "Plain paragraph one.\n\nPlain paragraph two."),
        ("<ul><li>first</li><li>second</li></ul>", "first\n\nsecond"),
        ("<!-- comment --><p>kept</p>", "kept"),
        # text after a dropped element is kept once; a dropped figure separates paragraphs, a button does not
        (
            "<div><p>Body</p><script>x</script>tail <figure>cap</figure> after <button>Go</button> more</div>",
            "Body\n\ntail\n\nafter more",
        ),
        ("", ""),
    ],
)
def test_html_to_text(content: str, expected: str) -> None:
    assert clean_text(html_to_text(content)) == expected


# ---------------------------------------------------------------------------------------------------------------
# Boilerplate, chrome and credits in stories
# ---------------------------------------------------------------------------------------------------------------

STORY_BODY = [
    "WASHINGTON (AP) — The Senate passed the bill on Tuesday after a long debate.",
    "Advertisement",
    "Lawmakers said the measure would take effect next year.",
    "Read more: Senate passes another bill",
    "3 MIN READ",
    "Sign up for our daily newsletter to get the news in your inbox.",
    "We use cookies to improve your experience. Accept all cookies",
    "The president is expected to sign it. (AP Photo/J. Scott Applewhite)",
    "Related coverage",
    "The vote was 60 to 40.",
    "Photo: Jane Doe/Reuters",
    "Share this article",
    "Reporting by Jane Doe; Editing by John Smith",
    "Our Standards: The Thomson Reuters Trust Principles.",
]


def test_clean_story_removes_chrome_and_lifts_credits() -> None:
    cleaned = clean_story("\n\n".join(STORY_BODY), title="Senate passes bill", is_html=False, published=PUB)
    assert cleaned.body == (
        "The Senate passed the bill on Tuesday after a long debate.\n\n"
        "Lawmakers said the measure would take effect next year.\n\n"
        "The vote was 60 to 40."
    )
    assert cleaned.credits == (
        "Reporting by Jane Doe; Editing by John Smith",
        "Our Standards: The Thomson Reuters Trust Principles.",
    )
    assert cleaned.dateline is not None and cleaned.dateline.agency == "AP"
    assert cleaned.removed_lines == 9


@pytest.mark.parametrize(
    ("paragraph", "body", "credits"),
    [
        (
            "Shares fell 2%. (Reporting by Jane Doe; Editing by John Smith)",
            "Shares fell 2%.",
            ("(Reporting by Jane Doe; Editing by John Smith)",),
        ),
        (
            "Shares fell 2%.\n\nAssociated Press writer Jane Doe in Paris contributed to this report.",
            "Shares fell 2%.",
            ("Associated Press writer Jane Doe in Paris contributed to this report.",),
        ),
        (
            "Shares fell 2%.\n\nAdditional reporting by Jane Doe in London",
            "Shares fell 2%.",
            ("Additional reporting by Jane Doe in London",),
        ),
        (
            "By the numbers, shares fell 2% on the day and more in the week.",
            "By the numbers, shares fell 2% on the day and more in the week.",
            (),
        ),
    ],
)
def test_credits(paragraph: str, body: str, credits: tuple[str, ...]) -> None:
    cleaned = clean_story(paragraph, title="Shares fall", is_html=False, published=None)
    assert (cleaned.body, cleaned.credits) == (body, credits)


@pytest.mark.parametrize(
    "line",
    [
        "OPINION: Is now the right time to make the switch to an EV?",
        "Queensland schools are being urged to sign up for a new citizen science program.",
        "“My family literally cut me off financially,” he said, before deals with Netflix and Spotify.",
        "Related questions were raised by the committee on Tuesday.",
        "Photos of the flood spread quickly online, officials said on Monday.",
    ],
)
def test_story_sentences_are_not_chrome(line: str) -> None:
    cleaned = clean_story(f"First paragraph of the story.\n\n{line}", title="T", is_html=False, published=None)
    assert cleaned.body == f"First paragraph of the story.\n\n{line}"


def test_title_falls_back_to_headline_and_strips_agency_suffix() -> None:
    text = "Oil prices rise on supply fears\n\nOil prices rose on Monday.\n\nTraders said supply was tight."
    assert clean_story(text, title=None, is_html=False, published=None).title == "Oil prices rise on supply fears"
    assert (
        clean_story(text, title="Oil prices rise on supply fears - Reuters", is_html=False, published=None).body
        == "Oil prices rose on Monday.\n\nTraders said supply was tight."
    )
    # a lead that extends the title is the story, not a headline repeat
    lead = "Oil prices rise on supply fears after the strait closed, traders said on Monday."
    assert clean_story(lead, title="Oil prices rise on supply fears", is_html=False, published=None).body == lead


def test_reuters_link_annotations_are_removed() -> None:
    text = "April 14 (Reuters) - Shell (SHEL.L) , opens new tab is in talks with ADNOC."
    cleaned = clean_story(text, title=None, is_html=False, published=dt.datetime(2026, 4, 14, tzinfo=UTC))
    assert cleaned.body == "Shell (SHEL.L) is in talks with ADNOC."


@pytest.mark.parametrize(
    "content",
    [
        "",
        " ",
        "<",
        "<<>>&&;",
        "\x00\x01",
        "<p>" * 5000,
        "&#99999999; &#xD800;",
        "\ud800 lone surrogate",
        "<html><body></body></html>",
        "<?xml version='1.0'?><rss/>",
        "0 : 0",
        "(Reuters) -",
        "A" * 100_000,
    ],
)
@pytest.mark.parametrize("is_html", [True, False])
def test_clean_story_never_raises(content: str, is_html: bool) -> None:
    cleaned = clean_story(content, title=None, is_html=is_html, published=None)
    assert isinstance(cleaned, Cleaned)
    assert isinstance(cleaned.body, str) and isinstance(cleaned.title, str)


@pytest.mark.skipif(not REUTERS_LEADS.exists(), reason="../shared/corpora/real-feeds/evilgodfahim-wl absent")
def test_reuters_leads_have_datelines() -> None:
    import feedparser

    found = total = 0
    for path in sorted(REUTERS_LEADS.glob("*/reuters.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            published = dt.datetime(*entry.published_parsed[:6]).replace(tzinfo=UTC)
            cleaned = clean_story(entry.summary, title=entry.title, is_html=False, published=published)
            total += 1
            if cleaned.dateline is not None:
                found += 1
                assert not re.match(r"[A-Z ]+, \w+ \d+ \(Reuters\)", cleaned.body)
                assert "\u200b" not in cleaned.body
    assert total == 500
    # 477 measured; the rest are headline-only items and a podcast blurb with no dateline at all
    assert found >= 470


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


def test_standfirst_above_dateline_stays_and_lone_dateline_line() -> None:
    text = (
        "Headline here\n\nThe talks are the last chance to stop the vote on Sunday, officials said.\n\n"
        "LONDON, March 14 (Reuters) - Kerry met Lavrov.\n\nMore text."
    )
    cleaned = clean_story(text, title=None, is_html=False, published=PUB)
    assert cleaned.title == "Headline here"
    assert cleaned.body == (
        "The talks are the last chance to stop the vote on Sunday, officials said.\n\nKerry met Lavrov.\n\nMore text."
    )
    assert cleaned.dateline is not None and cleaned.dateline.date == dt.date(2014, 3, 14)
    alone = clean_story("WASHINGTON —\n\nThe Senate voted.", title="Vote", is_html=False, published=None)
    assert (alone.body, alone.dateline and alone.dateline.location) == ("The Senate voted.", "WASHINGTON")


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
