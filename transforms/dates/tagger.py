"""Rule-based temporal tagger for English and French news (HeidelTime-style): TIMEX3 values resolved against an
anchor.

The public entry point is :func:`extract_dates`: the engine (transforms/dates/engine.py) running the rule table of
the text's language (transforms/dates/rules/ for English, transforms/dates/rules_fr/ for French). Weekdays,
month-days and months without a year are resolved by the tense of their clause (transforms/dates/tense.py,
rules_fr/tense.py).

With ``anchor=None``, absolute dates are normalized as usual and anchor-relative ones keep their granularity
with X placeholders ("Friday" → ``XXXX-WXX-5``, "Nov. 6" → ``XXXX-11-06``, "last year" → ``XXXX``,
"8:16 AM" → ``XXXX-XX-XXT08:16``); "now" and "today" map to ``PRESENT_REF``.
"""

from __future__ import annotations

import datetime as dt

from transforms.dates.engine import Rule, TimexMention, tag
from transforms.dates.rules import RULES
from transforms.dates.rules_fr import RULES_FR

__all__ = ["RULES_BY_LANGUAGE", "TimexMention", "extract_dates", "no_rules_reason"]

# The languages with date rules; a story in any other language gets no dates (see ``no_rules_reason``).
RULES_BY_LANGUAGE: dict[str, tuple[Rule, ...]] = {"en": RULES, "fr": RULES_FR}


def no_rules_reason(language: str | None) -> str | None:
    """Why a story in ``language`` gets no dates, or None when there are rules for it."""
    if language is None:
        return "language undetermined"
    return None if language in RULES_BY_LANGUAGE else f"no rules for {language}"


def extract_dates(text: str, anchor: dt.date | None, language: str = "en") -> list[TimexMention]:
    """Temporal expressions in ``text``, sorted by start, non-overlapping, values resolved against ``anchor``,
    found by the rules of ``language`` (KeyError for a language without rules: check ``no_rules_reason``).

    Never raises otherwise: a rule that fails on an odd input is logged and its mention skipped.
    """
    return tag(text, anchor, RULES_BY_LANGUAGE[language])
