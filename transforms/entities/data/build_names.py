"""Build the name tables the entity rules use for label sanity: ``given_names.txt``, ``demonyms.txt`` and
``provinces.tsv``.

Sources, both registry packages needed only to regenerate the files, not at run time:

* ``names`` 0.3.0 (MIT licensed code) ships the US Census Bureau's 1990 frequency lists of male and female first
  names (a US government work, public domain): every name of them is kept, title-cased.
* ``countryinfo`` 1.0.1 (MIT licence, code and data) ships one JSON file per country: its ``demonym`` ("Mexican")
  and its ``provinces`` (first-level subdivisions: "Tamaulipas", "Bavaria").

Written here: the peoples and faiths of ``EXTRA_GROUPS``; ``not_names.txt`` (words in capitals that name no one:
time zones, units, table headings) is edited by hand.

    .venv/bin/pip install names==0.3.0 countryinfo==1.0.1
    .venv/bin/python -m transforms.entities.data.build_names
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

LOGGER = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent


def given_names() -> list[str]:
    """The Census first names, title-cased ("JAMES" → "James")."""
    out: set[str] = set()
    for name in ("dist.male.first", "dist.female.first"):
        for line in resources.files("names").joinpath(name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(line.split()[0].title())
    return sorted(out)


def countries() -> list[dict[str, object]]:
    folder = resources.files("countryinfo").joinpath("data")
    return [json.loads(f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".json")]


# Peoples and faiths that are no country's demonym (spaCy files them under NORP too); written here.
EXTRA_GROUPS = (
    "Kurd", "Kurds", "Kurdish", "Tutsi", "Tutsis", "Hutu", "Hutus", "Chechen", "Chechens", "Palestinian",
    "Palestinians", "Arab", "Arabs", "Basque", "Basques", "Tamil", "Tamils", "Sikh", "Sikhs", "Shi'ite", "Shi'ites",
    "Shiite", "Shiites", "Sunni", "Sunnis", "Muslim", "Muslims", "Christian", "Christians", "Jew", "Jews", "Jewish",
    "Catholic", "Catholics", "Protestant", "Protestants", "Hindu", "Hindus", "Buddhist", "Buddhists", "Serb",
    "Serbs", "Croat", "Croats", "Bosniak", "Bosniaks", "Uighur", "Uighurs", "Uyghur", "Uyghurs", "Zulu", "Zulus",
    "Berber", "Berbers", "Yazidi", "Yazidis", "Druze", "Alawite", "Alawites", "Latino", "Latinos", "Hispanic",
    "Hispanics", "Asian", "Asians", "African", "Africans", "European", "Europeans", "Pashtun", "Pashtuns",
    "Rohingya", "Kosovar", "Kosovars", "Flemish", "Walloon", "Walloons", "Catalan", "Catalans", "Scot", "Scots",
    "Welsh", "English", "Irish", "Briton", "Britons", "Slovak", "Slovaks", "Czech", "Czechs",
)


def demonyms(rows: list[dict[str, object]]) -> list[str]:
    """Demonyms and their plurals ("Mexican", "Mexicans"); several given as "A, B" or "A or B"; plus the peoples
    and faiths of ``EXTRA_GROUPS``."""
    out: set[str] = set(EXTRA_GROUPS)
    for row in rows:
        text = str(row.get("demonym") or "")
        for part in text.replace(" or ", ",").split(","):
            word = part.strip()
            if word and word[0].isupper():
                out.add(word)
                if word.endswith("an") or word.endswith("i"):
                    out.add(word + "s")
    return sorted(out)


def provinces(rows: list[dict[str, object]]) -> list[tuple[str, str]]:
    """(province, country) for every first-level subdivision listed."""
    out: dict[str, str] = {}
    for row in rows:
        raw = row.get("provinces") or []
        names = raw if isinstance(raw, list) else json.loads(str(raw).replace("'", '"')) if raw else []
        for name in names:
            out.setdefault(str(name).strip(), str(row.get("name")))
    return sorted(out.items())


def main() -> None:
    rows = countries()
    given = given_names()
    (DATA / "given_names.txt").write_text(
        "# US Census 1990 first names (public domain), via the names package (MIT); see build_names.py\n"
        + "".join(f"{n}\n" for n in given), encoding="utf-8")
    dem = demonyms(rows)
    (DATA / "demonyms.txt").write_text(
        "# demonyms and plurals from the countryinfo package (MIT), peoples and faiths written here; "
        "see build_names.py\n"
        + "".join(f"{n}\n" for n in dem), encoding="utf-8")
    prov = provinces(rows)
    (DATA / "provinces.tsv").write_text(
        "# province\tcountry — first-level subdivisions from the countryinfo package (MIT); see build_names.py\n"
        + "".join(f"{p}\t{c}\n" for p, c in prov), encoding="utf-8")
    LOGGER.warning("wrote %d given names, %d demonyms, %d provinces", len(given), len(dem), len(prov))


if __name__ == "__main__":
    main()
