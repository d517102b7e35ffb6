"""Rule-based temporal tagger for English news (HeidelTime-style): TIMEX3 values resolved against an anchor.

The public entry point is :func:`extract_dates`: the engine (transforms/dates/engine.py) running the rule table
(transforms/dates/rules/). Weekdays, month-days and months without a year are resolved by the tense of their
clause (transforms/dates/tense.py).

With ``anchor=None``, absolute dates are normalized as usual and anchor-relative ones keep their granularity
with X placeholders ("Friday" → ``XXXX-WXX-5``, "Nov. 6" → ``XXXX-11-06``, "last year" → ``XXXX``,
"8:16 AM" → ``XXXX-XX-XXT08:16``); "now" and "today" map to ``PRESENT_REF``.
"""

from __future__ import annotations

import datetime as dt

from transforms.dates.engine import TimexMention, tag
from transforms.dates.rules import RULES

__all__ = ["TimexMention", "extract_dates"]


def extract_dates(text: str, anchor: dt.date | None) -> list[TimexMention]:
    """Temporal expressions in ``text``, sorted by start, non-overlapping, values resolved against ``anchor``.

    Never raises: a rule that fails on an odd input is logged and its mention skipped.
    """
    return tag(text, anchor, RULES)
