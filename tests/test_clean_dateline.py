"""Tests for transforms/clean/dateline.py: datelines and page timestamps."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.clean.dateline import parse_dateline, parse_page_timestamp

UTC = dt.UTC


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
