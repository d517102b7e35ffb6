"""The rule table of the French temporal tagger, run by the same engine as English (transforms/dates/engine.py)
and giving the same TIMEX3 values; the families are the modules beside this one.

Order matters only for ties: among overlapping candidates the longest wins, then the rule listed first here.
"""

from __future__ import annotations

from transforms.dates.engine import Rule
from transforms.dates.rules_fr import dates, days, relative

RULES_FR: tuple[Rule, ...] = (
    dates.ISO_FR,
    dates.NUMERIC_FR,
    dates.DAY_MONTH_FR,
    dates.MONTH_YEAR_FR,
    dates.MONTH_FR,
    dates.YEAR_FR,
    dates.SEASON_FR,
    days.WEEKDAY_FR,
    days.DEICTIC_DAY_FR,
    days.PART_OF_DAY_FR,
    relative.RELATIVE_FR,
    relative.THIS_UNIT_FR,
    relative.AGO_FR,
    relative.DURATION_FR,
)

__all__ = ["RULES_FR"]
