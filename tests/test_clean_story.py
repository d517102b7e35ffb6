"""Tests for transforms/clean/story.py: stories in the shapes feeds deliver, chrome, credits, datelines lifted."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import CORPORA, REFERENCE_STORY
from transforms.clean.dateline import Dateline
from transforms.clean.story import clean_story

KERRY = REFERENCE_STORY
REUTERS_LEADS = CORPORA / "real-feeds" / "evilgodfahim-wl" / "snapshots"

KERRY_TITLE = "Kerry to seek assurances on Crimea in last-ditch talks with Lavrov"
KERRY_PUBLISHED = dt.datetime(2014, 3, 14, 8, 16, tzinfo=dt.UTC)
UTC = dt.UTC
PUB = dt.datetime(2014, 3, 14, 12, 0, tzinfo=UTC)


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
    """Hostile or empty input gives a well-formed result: no control characters, no more text than went in, and
    markup that carries no text leaves no text."""
    cleaned = clean_story(content, title=None, is_html=is_html, published=None)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", cleaned.body)
    assert "\n\n\n" not in cleaned.body and cleaned.body == cleaned.body.strip()
    assert len(cleaned.body) <= len(content)
    assert cleaned.title == ""
    if content in ("", " ", "\x00\x01", "<p>" * 5000, "0 : 0") or (is_html and content.startswith("<html>")):
        assert cleaned.body == ""
    if content == "A" * 100_000:
        assert cleaned.body == content


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
