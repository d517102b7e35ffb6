"""The calendar words of English and French news, shared by the dateline parser (clean/) and the date tagger
(dates/).

One table, so that a month spelling the datelines accept is one the date tagger resolves, and the other way round.
"""

from __future__ import annotations

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Full names and the abbreviations wire copy uses ("Sept." as well as "Sep."), lower-cased → month number.
MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)}
MONTHS.update(
    {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
     "nov": 11, "dec": 12}
)  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Lower-cased weekday → ISO weekday number (Monday = 1).
WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(WEEKDAY_NAMES, 1)}

# French: the month and weekday words of French wire copy (AFP, Belga, Keystone-ATS), written with and without
# accents (feeds lose them), lower-cased → number; abbreviations as French datelines and dates use them.
MONTH_NAMES_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTHS_FR: dict[str, int] = {name: i for i, name in enumerate(MONTH_NAMES_FR, 1)}
MONTHS_FR.update(
    {"fevrier": 2, "aout": 8, "decembre": 12, "janv": 1, "févr": 2, "fevr": 2, "avr": 4, "juil": 7, "sept": 9,
     "oct": 10, "nov": 11, "déc": 12, "dec": 12}
)  # fmt: skip
WEEKDAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_FR: dict[str, int] = {name: i for i, name in enumerate(WEEKDAY_NAMES_FR, 1)}
