"""Tests for the temporal tagger (transforms/dates/: tagger, engine, rules/) and its TempEval evaluation helpers."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import pkgutil
import random
import re
import string
from pathlib import Path

import pytest

from evaluation.eval_dates import granular_equal, load_corpus, load_doc
from transforms.dates import calendar, engine
from transforms.dates import rules as rules_package
from transforms.dates.rules import RULES, vague
from transforms.dates.tagger import TimexMention, extract_dates
from transforms.dates.tense import clause_tense

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
KERRY = SHARED / "samples" / "reuters-2014-03-14-kerry-lavrov.txt"
TBAQ = SHARED / "corpora" / "tempeval3" / "TBAQ-cleaned"

FRI_2014 = dt.date(2014, 3, 14)  # the Kerry-Lavrov story's dateline, a Friday
WSJ_1989 = dt.date(1989, 11, 2)  # a Thursday, typical TimeBank WSJ creation time


def one(text: str, anchor: dt.date | None, phrase: str) -> TimexMention:
    """The single mention whose text is ``phrase``."""
    hits = [m for m in extract_dates(text, anchor) if m.text == phrase]
    assert len(hits) == 1, (phrase, extract_dates(text, anchor))
    return hits[0]


# --- the reference story -------------------------------------------------------------------------------------


@pytest.mark.skipif(not KERRY.exists(), reason="../shared/samples/reuters-2014-03-14-kerry-lavrov.txt absent")
def test_kerry_lavrov_reference_story() -> None:
    body = KERRY.read_text(encoding="utf-8")
    got = [(m.text, m.type, m.value) for m in extract_dates(body, FRI_2014)]
    assert got == [
        ("March 14, 2014", "DATE", "2014-03-14"),
        ("8:16 AM", "TIME", "2014-03-14T08:16"),
        ("4 years ago", "DATE", "2010"),
        ("March 14", "DATE", "2014-03-14"),
        ("Friday", "DATE", "2014-03-14"),  # "will seek assurances ... on Friday"
        ("Sunday", "DATE", "2014-03-16"),  # "looked set to proceed on Sunday"
        ("Monday", "DATE", "2014-03-17"),  # "as soon as Monday"
        ("inside of a month", "DURATION", "P1M"),
        ("Sunday", "DATE", "2014-03-16"),  # "the referendum planned for Sunday"
    ]
    assert all(body[m.start : m.end] == m.text for m in extract_dates(body, FRI_2014))
    assert "Cold War" not in {m.text for m in extract_dates(body, FRI_2014)}


# --- one test per rule family, literal expectations ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "anchor", "phrase", "typ", "value"),
    [
        # explicit dates
        ("It opened on March 14, 2014 in London.", FRI_2014, "March 14, 2014", "DATE", "2014-03-14"),
        ("Talks began 14 March 2014.", FRI_2014, "14 March 2014", "DATE", "2014-03-14"),
        ("Filed 1998-02-13 by AP.", FRI_2014, "1998-02-13", "DATE", "1998-02-13"),
        ("Posted 11/02/89 at noon.", FRI_2014, "11/02/89", "DATE", "1989-11-02"),
        ("The bonds mature Oct. 15, 1999.", WSJ_1989, "Oct. 15, 1999", "DATE", "1999-10-15"),
        ("He was born in July 1989.", FRI_2014, "July 1989", "DATE", "1989-07"),
        ("Sales rose in 1993.", FRI_2014, "1993", "DATE", "1993"),
        ("Results for fiscal 1989 were weak.", WSJ_1989, "fiscal 1989", "DATE", "1989"),
        ("It was a hit in the 1990s.", FRI_2014, "the 1990s", "DATE", "199"),
        ("Prices fell in the late 1970s.", FRI_2014, "the late 1970s", "DATE", "197"),
        ("Spending peaked in mid-1989.", FRI_2014, "mid-1989", "DATE", "1989"),
        ("The 20th century was violent.", FRI_2014, "The 20th century", "DATE", "19"),
        ("Prices will rise by the year two thousand.", WSJ_1989, "the year two thousand", "DATE", "2000"),
        ("He arrived in nineteen ninety-six.", FRI_2014, "nineteen ninety-six", "DATE", "1996"),
        # month-days and months without a year: nearest occurrence, tense as tie-breaker
        ("The offer was extended to Nov. 6.", WSJ_1989, "Nov. 6", "DATE", "1989-11-06"),
        ("The dividend is payable Dec. 7.", dt.date(1989, 10, 27), "Dec. 7", "DATE", "1989-12-07"),
        ("The merger closed Aug. 21.", dt.date(1989, 10, 27), "Aug. 21", "DATE", "1989-08-21"),
        ("It will acquire the bank in January.", WSJ_1989, "January", "DATE", "1990-01"),
        ("The bank was sold in March.", WSJ_1989, "March", "DATE", "1989-03"),
        ("Sales slumped in late November.", WSJ_1989, "late November", "DATE", "1989-11"),
        ("Output fell last April.", WSJ_1989, "last April", "DATE", "1989-04"),
        ("The plant opened last November.", WSJ_1989, "last November", "DATE", "1988-11"),
        # weekdays by clause tense
        ("Kerry will seek assurances on Friday.", FRI_2014, "Friday", "DATE", "2014-03-14"),
        ("The vote looked set to proceed on Sunday.", FRI_2014, "Sunday", "DATE", "2014-03-16"),
        ("Sanctions could come as soon as Monday.", FRI_2014, "Monday", "DATE", "2014-03-17"),
        ("The minister said on Tuesday that talks failed.", FRI_2014, "Tuesday", "DATE", "2014-03-11"),
        ("Officials said Wednesday.", FRI_2014, "Wednesday", "DATE", "2014-03-12"),
        ("The summit is scheduled for Thursday.", dt.date(2014, 3, 10), "Thursday", "DATE", "2014-03-13"),
        ("The markets fell last Friday.", FRI_2014, "last Friday", "DATE", "2014-03-07"),
        ("They meet again next Friday.", FRI_2014, "next Friday", "DATE", "2014-03-21"),
        ("It had closed the previous Friday.", FRI_2014, "the previous Friday", "DATE", "2014-03-07"),
        ("Analysts said Friday's close was weak.", FRI_2014, "Friday", "DATE", "2014-03-14"),
        ("He left Tuesday morning.", FRI_2014, "Tuesday morning", "TIME", "2014-03-11TMO"),
        # deictic and relative units
        ("Shares rose yesterday.", FRI_2014, "yesterday", "DATE", "2014-03-13"),
        ("The report is due tomorrow.", FRI_2014, "tomorrow", "DATE", "2014-03-15"),
        ("It happened last week.", FRI_2014, "last week", "DATE", "2014-W10"),
        ("Prices are up this month.", FRI_2014, "this month", "DATE", "2014-03"),
        ("Profit fell last year.", FRI_2014, "last year", "DATE", "2013"),
        ("The law takes effect early next year.", FRI_2014, "early next year", "DATE", "2015"),
        ("It rose earlier this year.", FRI_2014, "earlier this year", "DATE", "2014"),
        ("The tower fell three years ago.", FRI_2014, "three years ago", "DATE", "2011"),
        ("They met two weeks ago.", FRI_2014, "two weeks ago", "DATE", "2014-W09"),
        ("A dam broke a decade ago.", FRI_2014, "a decade ago", "DATE", "2004"),
        ("It was built last fall.", FRI_2014, "last fall", "DATE", "2013-FA"),
        ("He returns this summer.", FRI_2014, "this summer", "DATE", "2014-SU"),
        ("We stay in over the weekend.", FRI_2014, "the weekend", "DATE", "2014-W11-WE"),
        ("Stores close on Christmas Day.", dt.date(2014, 12, 1), "Christmas Day", "DATE", "2014-12-25"),
        ("Turkeys sold before Thanksgiving.", dt.date(2014, 11, 3), "Thanksgiving", "DATE", "2014-11-27"),
        ("Sales slumped last Christmas.", dt.date(2014, 3, 14), "last Christmas", "DATE", "2013-12-25"),
        ("We went there the previous summer.", FRI_2014, "the previous summer", "DATE", "2013-SU"),
        # fiscal quarters and halves
        ("Net income fell in the third quarter.", WSJ_1989, "the third quarter", "DATE", "1989-Q3"),
        ("Third-quarter profit rose.", WSJ_1989, "Third-quarter", "DATE", "1989-Q3"),
        ("Sales grew in the first half of 1990.", WSJ_1989, "the first half of 1990", "DATE", "1990-H1"),
        ("It lost money in the latest quarter.", WSJ_1989, "the latest quarter", "DATE", "1989-Q3"),
        ("Earnings rose in the fourth quarter of last year.", WSJ_1989, "the fourth quarter of last year", "DATE",
         "1988-Q4"),
        # PRESENT_REF / PAST_REF / FUTURE_REF
        ("Prices are now higher.", FRI_2014, "now", "DATE", "PRESENT_REF"),
        ("He is currently abroad.", FRI_2014, "currently", "DATE", "PRESENT_REF"),
        ("She recently resigned.", FRI_2014, "recently", "DATE", "PAST_REF"),
        ("Growth slowed in recent years.", FRI_2014, "in recent years", "DATE", "PAST_REF"),
        ("Rates may rise in the future.", FRI_2014, "the future", "DATE", "FUTURE_REF"),
        # times
        ("Trading halted at 10:35 a.m.", dt.date(1998, 8, 7), "10:35 a.m.", "TIME", "1998-08-07T10:35"),
        ("Polls close at 10 p.m. Wednesday.", dt.date(1998, 2, 13), "10 p.m. Wednesday", "TIME",
         "1998-02-11T22:00"),
        ("The deadline is midnight.", FRI_2014, "midnight", "TIME", "2014-03-14T24:00"),
        ("He spoke this morning.", FRI_2014, "this morning", "TIME", "2014-03-14TMO"),
        ("Shots rang out last night.", FRI_2014, "last night", "TIME", "2014-03-13TNI"),
        # durations
        ("The second time inside of a month.", FRI_2014, "inside of a month", "DURATION", "P1M"),
        ("He served three years in prison.", FRI_2014, "three years", "DURATION", "P3Y"),
        ("Stocks hit a five-year low.", FRI_2014, "five-year", "DURATION", "P5Y"),
        ("In the last twenty four hours it fell.", FRI_2014, "the last twenty four hours", "DURATION", "PT24H"),
        ("The strike lasted several weeks.", FRI_2014, "several weeks", "DURATION", "PXW"),
        ("A ban of 90 days.", FRI_2014, "90 days", "DURATION", "P90D"),
        # sets
        ("The council meets every Monday.", FRI_2014, "every Monday", "SET", "XXXX-WXX-1"),
        ("The paper is published weekly.", FRI_2014, "weekly", "SET", "P1W"),
        ("Rents are paid annually.", FRI_2014, "annually", "SET", "P1Y"),
        ("It earns $5 million a year.", FRI_2014, "a year", "SET", "P1Y"),
        ("Buses leave every other week.", FRI_2014, "every other week", "SET", "P2W"),
        ("The shop shuts on Sundays.", FRI_2014, "Sundays", "SET", "XXXX-WXX-7"),
        ("A second later the car exploded.", FRI_2014, "A second", "DURATION", "PT1S"),
        ("He paused for a second.", FRI_2014, "a second", "DURATION", "PT1S"),
    ],
)
def test_rule_values(text: str, anchor: dt.date, phrase: str, typ: str, value: str) -> None:
    mention = one(text, anchor, phrase)
    assert (mention.type, mention.value) == (typ, value)
    assert text[mention.start : mention.end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "Relations are at their lowest since the Cold War.",
        "May I ask a question?",
        "Protesters will march on the capital.",
        "Some 1,500 troops and 2000 people were there.",
        "Jan Smith and Jun Ho met the press.",
        "The fall of the Berlin Wall changed Europe.",
        "Prices fall, then spring back, he said.",
        "The former president spoke.",
        "Call 555-1989 or flight 2001 today",
        "He scored 12 points, a 3-2 win.",
        "Current account deficits widened.",
        "People facing a second virus lockdown share their tips.",
        "She won a second term in office.",
    ],
)
def test_non_dates_are_ignored(text: str) -> None:
    got = {(m.text, m.value) for m in extract_dates(text, FRI_2014)}
    # Only "today" in the flight example is a real temporal expression in this list.
    assert got == ({("today", "2014-03-14")} if text.endswith("today") else set())


@pytest.mark.parametrize(
    ("text", "phrase", "typ", "value"),
    [
        ("It opened on Friday.", "Friday", "DATE", "XXXX-WXX-5"),
        ("The offer expires Nov. 6.", "Nov. 6", "DATE", "XXXX-11-06"),
        ("Profit fell last year.", "last year", "DATE", "XXXX"),
        ("It happened last week.", "last week", "DATE", "XXXX-WXX"),
        ("March 14, 2014 / 8:16 AM", "March 14, 2014", "DATE", "2014-03-14"),
        ("March 14, 2014 / 8:16 AM", "8:16 AM", "TIME", "XXXX-XX-XXT08:16"),
        ("Markets are open today.", "today", "DATE", "PRESENT_REF"),
        ("Shares rose yesterday.", "yesterday", "DATE", "XXXX-XX-XX"),
        ("It closed in January.", "January", "DATE", "XXXX-01"),
        ("The tower fell three years ago.", "three years ago", "DATE", "XXXX"),
        ("He served three years.", "three years", "DURATION", "P3Y"),
    ],
)
def test_without_anchor_relative_values_use_placeholders(text: str, phrase: str, typ: str, value: str) -> None:
    mention = one(text, None, phrase)
    assert (mention.type, mention.value) == (typ, value)


def test_quarter_context_carries_to_year_earlier_phrases() -> None:
    text = "Net income fell in the third quarter, compared with $5 million a year earlier and the year-ago quarter."
    got = [(m.text, m.value) for m in extract_dates(text, WSJ_1989)]
    assert got == [("the third quarter", "1989-Q3"), ("a year earlier", "1988-Q3"), ("the year-ago quarter", "1988-Q3")]


def test_datetime_anchor_is_accepted() -> None:
    assert one("He left on Friday.", dt.datetime(2014, 3, 14, 23, 59), "Friday").value == "2014-03-14"


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekday", "direction", "expected"),
    [
        (5, "past", dt.date(2014, 3, 14)),
        (5, "future", dt.date(2014, 3, 14)),
        (5, "last", dt.date(2014, 3, 7)),
        (5, "next", dt.date(2014, 3, 21)),
        (1, "past", dt.date(2014, 3, 10)),
        (1, "future", dt.date(2014, 3, 17)),
        (7, "future", dt.date(2014, 3, 16)),
    ],
)
def test_resolve_weekday(weekday: int, direction: str, expected: dt.date) -> None:
    assert calendar.resolve_weekday(weekday, FRI_2014, direction) == expected


@pytest.mark.parametrize(
    ("month", "day", "anchor", "tense", "year"),
    [
        (11, 20, WSJ_1989, "past", 1989),  # a few weeks ahead: tense cue is overruled
        (6, 1, WSJ_1989, "past", 1989),
        (6, 1, WSJ_1989, "future", 1990),  # five months back, future tense
        (1, None, WSJ_1989, None, 1990),  # nearest January
        (12, 24, dt.date(2014, 1, 5), None, 2013),
        (3, 16, FRI_2014, None, 2014),
        (3, 31, dt.date(1989, 10, 26), "past", 1989),  # seven months back in a past clause stays put
        (3, 31, dt.date(1989, 10, 26), None, 1990),
    ],
)
def test_resolve_year(month: int, day: int | None, anchor: dt.date, tense: str | None, year: int) -> None:
    assert calendar.resolve_year(month, day, anchor, tense) == year


@pytest.mark.parametrize(
    ("sentence", "phrase", "tense"),
    [
        ("Kerry will seek assurances on Friday.", "Friday", "future"),
        ("The referendum planned for Sunday.", "Sunday", "future"),
        ("The company said Friday it lost money.", "Friday", "past"),
        ("On Friday, the index closed lower.", "Friday", "past"),
        ("The event will be held Friday.", "Friday", "future"),
        ("The company announced the plan Friday.", "Friday", "past"),
        ("Friday.", "Friday", None),
        ("The final is to be played Sunday.", "Sunday", "future"),
        # "to be" after a participle is no future: the cue before it is ("have been").
        ("The bones, which have been determined to be human, were found Wednesday.", "Wednesday", "past"),
        ("The bones have been found to be human on Wednesday.", "Wednesday", "past"),
    ],
)
def test_clause_tense(sentence: str, phrase: str, tense: str | None) -> None:
    start = sentence.index(phrase)
    assert clause_tense(sentence, start, start + len(phrase)) == tense


@pytest.mark.parametrize(
    ("gold", "pred", "ok"),
    [
        ("1998-03", "1998-03-05", True),
        ("1998-03-05", "1998-03", False),
        ("1989-Q3", "1989-Q3", True),
        ("1989", "1989-Q3", True),
        ("1989", "1988", False),
        ("199X", "199", True),
        ("PRESENT_REF", "PAST_REF", False),
    ],
)
def test_granular_equal(gold: str, pred: str, ok: bool) -> None:
    assert granular_equal(gold, pred) is ok


def test_load_doc_offsets(tmp_path: Path) -> None:
    tml = tmp_path / "x.tml"
    tml.write_text(
        '<?xml version="1.0" ?><TimeML><DCT><TIMEX3 tid="t0" type="DATE" value="1998-01-08">19980108</TIMEX3>'
        '</DCT><TEXT>Stocks <EVENT eid="e1">fell</EVENT> &amp; rose <TIMEX3 tid="t1" type="DATE" '
        'value="1998-01-07">yesterday</TIMEX3>.</TEXT></TimeML>',
        encoding="utf-8",
    )
    doc = load_doc(tml)
    assert doc.dct == dt.date(1998, 1, 8)
    assert doc.text == "Stocks fell & rose yesterday."
    assert [(g.text, g.start, g.end, g.value) for g in doc.gold] == [("yesterday", 19, 28, "1998-01-07")]


# --- robustness ----------------------------------------------------------------------------------------------


def _assert_well_formed(text: str, mentions: list[TimexMention]) -> None:
    last = 0
    for m in mentions:
        assert m.end > m.start >= last
        assert text[m.start : m.end] == m.text
        assert m.type in {"DATE", "TIME", "DURATION", "SET"}
        assert m.value
        last = m.end


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\ud800 lone surrogate Friday \udfff",
        "０３／１４ ٢٠١٤ Ｆｒｉｄａｙ",
        "Friday" * 1000,
        "1998-02-30 and 99/99/99 and 00:99 and 25:61 p.m.",
        "March\n\n\n\n14",
        "the the the the past past " * 200,
        "9" * 50_000,
        " " * 100_000 + "last year",
    ],
)
@pytest.mark.parametrize("anchor", [None, FRI_2014, dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_never_raises_and_offsets_hold(text: str, anchor: dt.date | None) -> None:
    _assert_well_formed(text, extract_dates(text, anchor))


@pytest.mark.timeout(30)
def test_random_token_soup_never_raises() -> None:
    rng = random.Random(7)
    vocab = [
        "Friday", "March", "May", "14", "2014", "1990s", "last", "next", "week", "year", "ago", "the", "quarter",
        "third", "a.m.", "8:16", "every", "Monday", ",", ".", "\n", " ", "-", "'", "’s", "of", "early", "mid-",
        "three", "years", "inside of", "a", "month", "nineteen", "ninety-six", "Christmas", "fall", "now", "é",
        "\u00a0", "Sept.", "/", "12/31/99", "31", "0", "noon", "Tuesdays", "fiscal", "half", "year-earlier",
    ]  # fmt: skip
    for _ in range(2000):
        text = "".join(rng.choice(vocab) + rng.choice(["", " "]) for _ in range(rng.randint(0, 25)))
        _assert_well_formed(text, extract_dates(text, rng.choice([None, FRI_2014, dt.date(9999, 12, 31)])))


@pytest.mark.timeout(30)
def test_pathological_inputs_stay_linear() -> None:
    # Each is ~200 KB of a shape that would blow up a backtracking-prone pattern.
    for text in ("1 a.m. " * 30_000, "March " * 30_000, "the past last next " * 10_000, "1-" * 100_000):
        _assert_well_formed(text, extract_dates(text, FRI_2014))


# A sentence with a hit for every rule.
EVERY_RULE_TEXT = (
    "On Friday, March 14, 2014, nearly three years ago, the third quarter of 1989 and the year-ago quarter, "
    "14 March 2014, the 1990s, the 20th century, last fall, Christmas Day 2013, the week of March 6, "
    "the 1988 period, the latest period, inside of a month, nineteen ninety-six, in two thousand, "
    "early next year, the last twenty four hours, this coming Sunday night, mid-1989, Jan. 5, 1999. "
    "Filed 1998-02-13 14:26 and 11/02/89; the day before yesterday afternoon, this morning, last night, now, "
    "currently, the near future, as soon as possible, in the most recent years, at 10:35 a.m. EST Friday, "
    "noon Thursday, 5 p.m. EST, Nov. 9, 12:30, every other week, each Monday morning, weekly, per day, "
    "on Sundays and Tuesdays."
)


def test_triggered_rules_match_full_scan() -> None:
    """The keyword-window optimisation must find exactly what a plain scan of each rule finds."""
    text = EVERY_RULE_TEXT
    for rule in RULES:
        if rule.trigger is None:
            continue
        full = {m.span() for m in rule.pattern.finditer(text)}
        windowed = {m.span() for m in engine.triggered(rule, text)}
        assert full == windowed, (rule.name, full ^ windowed)


@pytest.mark.parametrize(
    "text",
    [
        EVERY_RULE_TEXT,
        EVERY_RULE_TEXT.upper(),
        EVERY_RULE_TEXT.title(),
        EVERY_RULE_TEXT.swapcase(),
        "EVERY WEEK, Every \u212aelvin week (the Kelvin sign folds to k), ÉTÉ NOW, Straße TODAY",
    ],
)
def test_caseless_triggers_find_the_same_hits_in_lower_cased_text(text: str) -> None:
    lowered = engine.lowered(text)
    assert lowered is not None
    caseless = [rule for rule in RULES if rule.lower_trigger is not None]
    assert len(caseless) >= 10
    for rule in caseless:
        assert engine.trigger_hits(rule, text, lowered) == engine.trigger_hits(rule, text), rule.name


def test_lower_casing_keeps_what_caseless_triggers_see() -> None:
    """Every code point but the three of _FOLD_UNSAFE_RE lower-cases to one character of the same regex classes
    (\\w, \\d, \\s), and to an ASCII letter exactly when re's IGNORECASE takes it for that letter."""
    ascii_letter = re.compile("(?i:" + "|".join(string.ascii_lowercase) + ")")
    classes = [re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")]
    for cp in range(0x110000):
        ch = chr(cp)
        if engine.FOLD_UNSAFE_RE.match(ch):
            assert engine.lowered(f"x{ch}x") is None
            continue
        low = ch.lower()
        assert len(low) == 1, hex(cp)
        if low.isascii() and not ch.isascii():
            assert low in string.ascii_lowercase, hex(cp)
        if ascii_letter.fullmatch(ch) is not None or low in string.ascii_lowercase:
            assert low in string.ascii_lowercase and re.fullmatch(f"(?i:{low})", ch), hex(cp)
        if low != ch:
            assert [bool(c.match(ch)) for c in classes] == [bool(c.match(low)) for c in classes], hex(cp)


def test_every_rule_of_a_family_module_is_in_the_table_once() -> None:
    """A rule written in a family module but left out of RULES would silently never run."""
    defined = {
        id(value): value
        for info in pkgutil.iter_modules(rules_package.__path__)
        for value in vars(importlib.import_module(f"{rules_package.__name__}.{info.name}")).values()
        if isinstance(value, engine.Rule)
    }
    assert sorted(id(r) for r in RULES) == sorted(defined)
    assert len({r.name for r in RULES}) == len(RULES) == 28


@pytest.mark.parametrize(("trigger", "message"), [("(?i:Quarter)", "lower case"), (None, "needs a trigger")])
def test_caseless_rule_checks_its_trigger(trigger: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        engine.rule("bad", "quarter", vague.RECENT.normalize, trigger, caseless=True)


# --- corpus-level quality -----------------------------------------------------------------------------------


@pytest.mark.skipif(not TBAQ.exists(), reason="../shared/corpora/tempeval3/TBAQ-cleaned absent")
def test_tbaq_timebank_value_accuracy() -> None:
    from evaluation.eval_dates import evaluate

    scores, _, _ = evaluate(load_corpus(TBAQ, "TimeBank"))
    metrics = scores.metrics()
    assert metrics["gold_date"] == 1016
    assert metrics["extent_recall"] >= 0.93
    assert metrics["extent_precision"] >= 0.90
    assert metrics["value_acc_strict"] >= 0.85
