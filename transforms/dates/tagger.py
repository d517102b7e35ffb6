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
import importlib
from functools import cache

from transforms.dates.engine import Rule, TimexMention, tag

__all__ = ["RULE_TABLES", "TimexMention", "extract_dates", "no_rules_reason", "rules_for"]

# The languages with date rules (module, rule table); a story in any other language gets no dates (see
# ``no_rules_reason``). A table is imported when its language's first story is tagged: building one compiles
# its rules' patterns, which a run without French stories need not pay for.
RULE_TABLES: dict[str, tuple[str, str]] = {
    "en": ("transforms.dates.rules", "RULES"),
    "fr": ("transforms.dates.rules_fr", "RULES_FR"),
}


@cache
def rules_for(language: str) -> tuple[Rule, ...]:
    """The rule table of ``language`` (KeyError for a language without rules)."""
    module, table = RULE_TABLES[language]
    rules: tuple[Rule, ...] = getattr(importlib.import_module(module), table)
    return rules


def no_rules_reason(language: str | None) -> str | None:
    """Why a story in ``language`` gets no dates, or None when there are rules for it."""
    if language is None:
        return "language undetermined"
    return None if language in RULE_TABLES else f"no rules for {language}"


def extract_dates(text: str, anchor: dt.date | None, language: str = "en") -> list[TimexMention]:
    """Temporal expressions in ``text``, sorted by start, non-overlapping, values resolved against ``anchor``,
    found by the rules of ``language`` (KeyError for a language without rules: check ``no_rules_reason``).

    Never raises otherwise: a rule that fails on an odd input is logged and its mention skipped.
    """
    return tag(text, anchor, rules_for(language))
