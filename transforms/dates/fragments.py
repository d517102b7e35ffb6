"""Regex fragments the rule families build their patterns from.

Month and weekday names are case-sensitive (Title or UPPER case) so "may", "march" and "august" as ordinary words
are not dates; everything else is matched case-insensitively via (?i:...). Whitespace runs are bounded ({1,3}) so
no pattern can backtrack over long blank stretches. Named groups are shared vocabulary: a normalizer reads
``mon``, ``day``/``dayw``, ``year``, ``wd``, ``num``, ``unit``, ``part``, ``rel`` whichever rule matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from transforms.dates.lexicon import NUMBER_WORDS, ORDINAL_WORDS, TENS, UNITS_1_19, VAGUE_QUANTITIES
from transforms.vocabulary import MONTH_NAMES, WEEKDAY_NAMES

SP = r"[ \t\u00a0]{1,3}(?:\n[ \t]{0,3})?"


def not_after(before: str, words: Sequence[str]) -> str:
    """``(?<!before)(?:w1|w2|…)`` written so that the regex engine can skip ahead: grouped by first character, each
    group's look-behind after that character (``J(?<![A-Za-z]J)(?:anuary|une|…)``). A pattern that opens with a
    look-behind is tried at every position of the text; one that opens with characters lets the engine jump to them
    (the month and year triggers scan a body four times as fast). Same matches: at a position only the words of its
    first character can match, tried in their order. Each word opens with a letter or digit, matched as written
    (not inside ``(?i:…)``); ``before`` matches one character."""
    groups: dict[str, list[str]] = {}
    for word in words:
        if not word[:1].isalnum():
            raise ValueError(f"not_after: {word!r} must open with a letter or digit")
        groups.setdefault(word[0], []).append(word[1:])
    return "(?:" + "|".join(f"{c}(?<!{before}{c})(?:{'|'.join(rests)})" for c, rests in groups.items()) + ")"


MON_FULL = "|".join(MONTH_NAMES + tuple(m.upper() for m in MONTH_NAMES))
MON_ABBR = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
MON = rf"(?P<mon>(?:{MON_FULL})(?![A-Za-z])|(?:{MON_ABBR}|{MON_ABBR.upper()})(?:\.|(?![A-Za-z])))"
ORD_WORDS = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
DAY = rf"(?:(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:.,]\d)(?!\s?%)|(?i:the{SP})?(?P<dayw>(?i:{ORD_WORDS})))"
Y4 = r"(?:1[0-9]|20)\d\d"
YEAR4 = r"(?P<year>(?:1[0-9]|20)\d\d)(?![\d%])"
WKDAY = "|".join(WEEKDAY_NAMES + tuple(w.upper() for w in WEEKDAY_NAMES))
# A possessive ("Friday's close") is still the day; the "'s" stays outside the extent.
WEEKDAY = rf"(?P<wd>{WKDAY})(?![A-Za-z])"
NUM_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w != "half a"), key=len, reverse=True))
# "twenty four", "twenty-four", "24", "2.5", "a", "several"
NUM = (
    rf"(?P<num>\d{{1,4}}(?:\.\d{{1,2}})?|(?i:(?:{'|'.join(TENS)})[ -](?:{'|'.join(UNITS_1_19[:9])})"
    rf"|{NUM_WORDS}|{'|'.join(VAGUE_QUANTITIES)}))"
)
UNIT = (
    r"(?P<unit>(?i:second|minute|hour|day|week(?!end)|month|year|decade|centur(?:y|ie)|quarter))"
    r"(?P<plural>(?i:s)?)"
)
PART = r"(?P<part>(?i:morning|afternoon|evening|night))"
AMPM = r"(?i:a\.m\.?|p\.m\.?|am\b|pm\b)"
TZ = r"(?:[ \t]{0,2}\(?(?P<tz>(?:[ECMP][SD]T|GMT|UTC|ET|BST|CET|CEST|JST|HKT|IST))\)?)?"
# A relation word before a weekday, month, season or holiday ("this coming Sunday", "last spring").
REL = r"(?P<rel>(?i:this[ \t]coming|this[ \t]past|the[ \t]previous|last|next|this|coming|past))"

SPACES_RE = re.compile(r"\s+")
