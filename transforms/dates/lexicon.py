"""English number words, ordinals and time units, and the TIMEX3 values built from them ("three years" → P3Y).

Month and weekday names are not here: they are the shared calendar vocabulary of transforms/vocabulary.py.
"""

from __future__ import annotations

UNITS_1_19 = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"
)  # fmt: skip
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(UNITS_1_19, 1)}
NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(TENS)})
NUMBER_WORDS.update({"a": 1, "an": 1, "a couple of": 2, "a dozen": 12, "dozen": 12, "half a": 0})
ORDINAL_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        (
            "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth"
        ),
        1,
    )
}  # fmt: skip
ORDINAL_WORDS.update({"twenty-" + w: 20 + i for w, i in list(ORDINAL_WORDS.items())[:9]})
ORDINAL_WORDS.update({"thirtieth": 30, "thirty-first": 31})
VAGUE_QUANTITIES = ("several", "a few", "few", "many", "some", "a number of", "numerous")

UNIT_CODES: dict[str, str] = {
    "second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y",
    "decade": "DE", "century": "CE", "quarter": "Q", "weekend": "WE",
}  # fmt: skip
TIME_UNITS = frozenset({"second", "minute", "hour"})


def parse_number(raw: str) -> float | None:
    """Cardinal from digits or English words; None for vague quantities ("several")."""
    s = raw.lower().replace("-", " ").strip()
    if s in VAGUE_QUANTITIES:
        return None
    if s[:1].isdigit():
        return float(s)
    if s in NUMBER_WORDS:
        return float(NUMBER_WORDS[s])
    parts = s.split()
    if len(parts) == 2 and parts[0] in NUMBER_WORDS and parts[1] in NUMBER_WORDS:
        return float(NUMBER_WORDS[parts[0]] + NUMBER_WORDS[parts[1]])
    return None


def fmt_num(n: float | None) -> str:
    """2.0 → "2", 1.5 → "1.5", None → "X"."""
    if n is None:
        return "X"
    return str(int(n)) if n == int(n) else f"{n:g}"


def duration_value(n: float | None, unit: str) -> str:
    """TIMEX3 duration, e.g. P3Y, PT8H, P10Y for a decade."""
    unit = unit.lower().rstrip("s")
    if unit == "centurie":
        unit = "century"
    if unit in {"decade", "century"}:
        scale = 10 if unit == "decade" else 100
        return f"P{fmt_num(n * scale)}Y" if n is not None else f"PX{'DE' if unit == 'decade' else 'CE'}"
    prefix = "PT" if unit in TIME_UNITS else "P"
    return f"{prefix}{fmt_num(n)}{UNIT_CODES[unit]}"
