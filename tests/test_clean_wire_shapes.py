"""Cleaning the shapes real outlets send: promo and "Filed" lines, bylines to authors, column bylines, the
scraper's spacing, "PLACE - " datelines, link-only bodies, the exact-content key of template bodies and the dedup
stage's rule for editions of a series sharing one template text."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.story import FeedSource, RawEntry
from transforms.clean.boilerplate import byline_names, column_byline, is_chrome_line, is_credit_line
from transforms.clean.dateline import is_place_name, parse_dateline
from transforms.clean.stage import clean_entry, content_key
from transforms.clean.story import clean_story, repair_spacing

PUB = dt.datetime(2024, 5, 20, 9, 0, tzinfo=dt.UTC)
SOURCE = FeedSource(url="https://news.example.org/rss")


def cleaned(*paragraphs: str, title: str = "Port traffic slows") -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    c = clean_story("\n\n".join(paragraphs), title=title, is_html=False, published=PUB)
    return c.body, c.authors, c.credits


@pytest.mark.parametrize(
    "line",
    [
        "Enjoying this newsletter? Check out Harbour Markets Weekly, our new source of shipping commentary.",
        "Follow HMW on LinkedIn and X.",
        "And listen to the latest episode of the Dockside Daily podcast, where I look at freight rates.",
        "But first, listen to the Dockside Daily podcast on freight.",
        "And before you read on, don't forget to sign up for Ana Ruiz's upcoming webinar on May 30.",
        "Filed May 3, 2024, 4:12 p.m. GMT",
        "Filed 3 May 2024",
        "WARNING - distressing content",
        "Warning: this story contains graphic details.",
        'Ana Ruiz will host a webinar, "Ports in a storm", on May 30. Click here to sign up.',
    ],
)
def test_promo_filed_and_notice_lines_are_boilerplate(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Shipping firms will follow the new rules on Monday, the ministry said.",
        "She filed the lawsuit on May 3, 2024, in the district court, lawyers said.",
        "Listeners tuned in to the radio broadcast as the storm passed over the port.",
        "A warning about graphic content was issued by the regulator on Tuesday, officials said in a statement.",
    ],
)
def test_story_sentences_are_not_promo(line: str) -> None:
    assert not is_chrome_line(line)


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Ana Ruiz", ["Ana Ruiz"]),
        ("By Ana Ruiz, Senior Markets Columnist", ["Ana Ruiz"]),
        ("By Ana Ruiz, Political Editor", ["Ana Ruiz"]),
        ("By Ana Ruiz, Editor-at-Large, Shipping and Ports", ["Ana Ruiz"]),
        ("By Ana Ruiz and Tom Lee, Reuters", ["Ana Ruiz", "Tom Lee"]),
        ("By Ana Ruiz, Tom Lee and Kim van der Berg", ["Ana Ruiz", "Tom Lee", "Kim van der Berg"]),
        ("By the numbers, traffic fell", None),
        ("By Tuesday, Officials Said", None),
        ("Reporting by Ana Ruiz; Editing by Tom Lee", None),
    ],
)
def test_byline_names(line: str, names: list[str] | None) -> None:
    assert byline_names(line) == names


def test_kicker_after_a_dateline_goes_with_the_byline() -> None:
    body, authors, _ = cleaned(
        "May 20 - What moves the docks today",
        "By Ana Ruiz, Editor-at-Large, Shipping",
        "Freight rates rose on Monday as the canal stayed shut.",
    )
    assert (body, authors) == ("Freight rates rose on Monday as the canal stayed shut.", ("Ana Ruiz",))


def test_credit_roles_joined_by_and() -> None:
    assert is_credit_line("Photography and reporting by Ana Ruiz")
    assert is_credit_line("Text, design and graphics by Tom Lee")


def test_byline_goes_to_authors_kicker_and_promos_go() -> None:
    body, authors, credits = cleaned(
        "What moves the docks today",
        "By Ana Ruiz , Editor-at-Large, Shipping and Ports",
        "Freight rates rose on Monday as the canal stayed shut for a third week.",
        "And listen to the latest episode of the Dockside Daily podcast, where I look at freight rates.",
        "Enjoying this column? Check out Harbour Markets Weekly, your new source of commentary.",
        "Follow HMW on LinkedIn and X.",
        "Photography and reporting by Tom Lee",
    )
    assert body == "Freight rates rose on Monday as the canal stayed shut for a third week."
    assert authors == ("Ana Ruiz",)
    assert credits == ("Photography and reporting by Tom Lee",)


@pytest.mark.parametrize(
    ("paragraph", "body", "authors"),
    [
        ("ANA RUIZ: The port has never been busier.", "The port has never been busier.", ("Ana Ruiz",)),
        ("DR TOM LEE: Sleep matters more than diet.", "Sleep matters more than diet.", ("Dr Tom Lee",)),
        ("EXCLUSIVE BY KIM BERG: The club was sold.", "The club was sold.", ("Kim Berg",)),
        ("ANA RUIZ'S DIARY: I met the mayor.", "I met the mayor.", ("Ana Ruiz",)),
        ("PORT NEWS: The mayor wore red.", "The mayor wore red.", ()),  # a section label: lifted, no author
        ("TALK OF THE DOCKS: The mayor wore red.", "The mayor wore red.", ()),
        ("NEW YORK: The port reopened.", "NEW YORK: The port reopened.", ()),  # a place, not a column
        ("BREAKING: The port reopened.", "BREAKING: The port reopened.", ()),  # one word: a kicker kept
    ],
)
def test_column_bylines_are_lifted(paragraph: str, body: str, authors: tuple[str, ...]) -> None:
    got_body, got_authors, _ = cleaned(paragraph, "The second paragraph of the column follows here.")
    assert got_body == body + "\n\nThe second paragraph of the column follows here."
    assert got_authors == authors


def test_column_byline_needs_a_capitalised_sentence_after() -> None:
    assert column_byline("ANA RUIZ: the", is_place_name) is None
    assert column_byline("Ana Ruiz: The", is_place_name) is None


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Shares of Acme (ACME.N) , the builder, rose .", "Shares of Acme (ACME.N), the builder, rose."),
        ("the Sun reported .\n\nNext , more.", "the Sun reported.\n\nNext, more."),
        ("Wait ... and see .5 of it, said the .NET team.", "Wait ... and see .5 of it, said the .NET team."),
        ("No change here.", "No change here."),
    ],
)
def test_repair_spacing(text: str, fixed: str) -> None:
    assert repair_spacing(text) == fixed


@pytest.mark.parametrize(
    ("line", "location", "rest"),
    [
        ("OSLO - The city council voted on Monday.", "OSLO", "The city council voted on Monday."),
        ("KUALA LUMPUR, Malaysia - Police said on Monday.", "KUALA LUMPUR, Malaysia", "Police said on Monday."),
        ("KUALA LUMPUR, Malaysia — Police said on Monday.", "KUALA LUMPUR, Malaysia", "Police said on Monday."),
    ],
)
def test_place_hyphen_datelines(line: str, location: str, rest: str) -> None:
    found = parse_dateline(line, PUB)
    assert found is not None
    dateline, consumed = found
    assert (dateline.location, line[consumed:]) == (location, rest)


@pytest.mark.parametrize(
    "line",
    [
        "NASA — The agency delayed the launch.",  # not a place: the gazetteer rule keeps it text
        "ACME - The company said on Monday.",
        "OSLO - based firms grew.",  # lower case after the hyphen: no dateline
        "WARNING - distressing content",
    ],
)
def test_not_datelines(line: str) -> None:
    assert parse_dateline(line, PUB) is None


def test_link_only_body_is_no_story_text() -> None:
    assert cleaned("• Five things to know about the new ferry terminal")[0] == ""
    assert cleaned("• One link", "• Another link to a story")[0] == ""
    body = cleaned("The terminal opens in June.", "• Five things to know about the new ferry terminal")[0]
    assert body.startswith("The terminal opens in June.")


def entry(title: str, description: str, **fields: object) -> RawEntry:
    values: dict[str, object] = {
        "id": title,
        "source": SOURCE,
        "title": title,
        "summary_html": description,
        "fetched_at": PUB,
    }
    values.update(fields)
    return RawEntry(**values)  # type: ignore[arg-type]


def test_template_bodies_keep_their_titles_in_the_content_key() -> None:
    template = "The week in pictures, as chosen by our photo desk."
    first = clean_entry(entry("Photos of the week, May 3", template))
    second = clean_entry(entry("Photos of the week, May 10", template))
    assert first.body == second.body and first.content_hash != second.content_hash
    long_body = " ".join(f"word{i}" for i in range(80))
    assert content_key(long_body, "One headline") == content_key(long_body, "Another headline")


def test_story_carries_media_credits_byline_authors_and_channel_date() -> None:
    channel_day = dt.datetime(2024, 5, 19, 21, 0, tzinfo=dt.UTC)
    story = clean_entry(
        entry(
            "Ferry terminal approved",
            "<p>By Ana Ruiz</p><p>The harbour board approved a new ferry terminal.</p>",
            authors=["Harbour News Staff"],
            credits=["Tom Lee for The Harbour News"],
            channel_published_at=channel_day,
            channel_offset_minutes=720,
        )
    )
    assert story.authors == ["Harbour News Staff", "Ana Ruiz"]
    assert story.credits == ["Tom Lee for The Harbour News"]
    assert (story.published_at, story.published_source, story.published_offset_minutes) == (
        channel_day,
        "channel",
        720,
    )


@pytest.mark.parametrize(
    ("title_a", "title_b", "editions"),
    [
        ("Photos of the week, May 17", "Photos of the week, May 10", True),
        ("Live: 3 ships stuck as canal stays shut", "Live: 5 ships stuck, port warns of delays", True),
        ("Photos of the week, May 17", "Photos of the week, May 17", False),
        ("Hear the 911 call from the pier", "Pier witness called police, neighbour says", False),
    ],
)
def test_editions_of_a_series(title_a: str, title_b: str, editions: bool) -> None:
    from transforms.dedup.members import editions_of_a_series, member_of, near_duplicates
    from transforms.dedup.neardup import DedupConfig

    cfg = DedupConfig()
    template = "The week in pictures, as chosen by our photo desk and our readers."
    a, b = (member_of(clean_entry(entry(t, template, id=f"id{i}")), cfg) for i, t in enumerate((title_a, title_b)))
    assert editions_of_a_series(a, b) is editions
    assert near_duplicates(a, b, cfg) is not editions
