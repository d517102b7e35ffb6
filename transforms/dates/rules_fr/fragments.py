"""Regex fragments of the French rules: month and weekday words (from transforms/vocabulary.py), numbers, units.

French writes months and weekdays in lower case, so they match case-insensitively; a bare month still needs a
temporal frame ("en mars", "début mars", "mars dernier") because "mars" is also the planet and "mai" a name.
"""

from __future__ import annotations

from transforms.dates.fragments import SP
from transforms.vocabulary import MONTHS_FR, WEEKDAYS_FR

__all__ = ["DAY", "MON", "NUM", "NUMBERS", "PART", "SP", "UNIT", "UNIT_CODES", "WEEKDAY", "YEAR"]

_L = r"(?<![^\W\d_])"  # not inside a word (letters only: "5mars" is still "5 mars")
_R = r"(?![^\W\d_])"
MON = _L + r"(?P<mon>(?i:" + "|".join(sorted(MONTHS_FR, key=len, reverse=True)) + r"))" + _R
WEEKDAY = _L + r"(?P<wd>(?i:" + "|".join(WEEKDAYS_FR) + r"))" + _R
DAY = r"(?<!\d)(?P<day>1er|1ᵉʳ|[0-3]?\d)(?![\d:,.]\d|\s?%)"
YEAR = r"(?P<year>(?:1[89]|20)\d\d)(?!\d)"
PART = r"(?P<part>(?i:matin(?:ée)?|après-midi|apr[eè]s[ \t]midi|soir(?:ée)?|nuit))"
_UNITS = "un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize"
NUMBERS: dict[str, int] = {w: i for i, w in enumerate(_UNITS.split(), 1)}
NUMBERS.update({"une": 1, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "cent": 100})
NUM = r"(?P<num>\d{1,4}|(?i:" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r"))"
# Unit word → TIMEX3 duration code (and the calendar unit it counts in).
UNIT_CODES: dict[str, str] = {
    "jour": "D", "journée": "D", "semaine": "W", "mois": "M", "an": "Y", "année": "Y", "heure": "H",
    "minute": "M", "trimestre": "Q", "décennie": "DE", "siècle": "CE",
}  # fmt: skip
UNIT = _L + r"(?P<unit>(?i:jours?|journées?|semaines?|mois|ans|an|années?|heures?|minutes?|trimestres?))" + _R
