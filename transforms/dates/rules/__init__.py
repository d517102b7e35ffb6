"""The rule table of the English temporal tagger: every rule family's rules, in the one order that matters.

Order matters only for ties: among overlapping candidates the longest wins, then the rule listed first here. A new
rule goes into the module of its family (pattern, trigger and normalizer together) and gets one row below.
"""

from __future__ import annotations

from transforms.dates.engine import Rule
from transforms.dates.rules import (
    absolute,
    days,
    durations,
    months,
    quarters,
    relative,
    sets,
    times,
    vague,
    years,
)

RULES: tuple[Rule, ...] = (
    absolute.ISO,
    absolute.SLASH,
    absolute.MONTH_DAY,
    absolute.DAY_MONTH,
    absolute.MONTH_YEAR,
    months.MONTH,
    years.YEAR,
    years.DECADE,
    years.CENTURY,
    days.WEEKDAY,
    days.DEICTIC_DAY,
    days.PART_OF_DAY,
    relative.RELATIVE_UNIT,
    relative.AGO,
    quarters.QUARTER,
    absolute.WEEK_OF,
    quarters.YEAR_PERIOD,
    quarters.YEAR_AGO_PERIOD,
    quarters.LATEST_PERIOD,
    months.SEASON,
    days.HOLIDAY,
    vague.REF,
    vague.RECENT,
    times.TIME,
    durations.DURATION,
    sets.SET,
    sets.WEEKDAY_PLURAL,
    years.SPELLED_YEAR,
)

__all__ = ["RULES"]
