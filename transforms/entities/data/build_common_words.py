"""Build ``common_words.txt`` and ``common_surnames.txt``: capitalised words that English writes in small letters
far more often — "Diesel", "Travel", "Finance" — which a one-word entity span is no name for where its capital
comes from its place (see ``_common_words`` in transforms/entities/labels.py).

Source, needed only to regenerate the file, not at run time: ``spacy-lookups-data`` 1.0.5 (MIT licence) ships
``en_lexeme_prob``, spaCy's case-sensitive log-probabilities of a million English word forms.  A word is kept
when its small-letter form is frequent (log-probability >= ``MIN_LOG_PROB``) and more frequent than its
capitalised form by at least ``MIN_LOG_RATIO`` (natural log: e^0.75 ≈ 2×).  A word that is also a surname of the
US Census 1990 list (public domain, shipped by the ``names`` package, MIT) goes to ``common_surnames.txt`` too: a
person may carry it ("Truss", "Rice").

    .venv/bin/pip install spacy-lookups-data==1.0.5 names==0.3.0
    .venv/bin/python -m transforms.entities.data.build_common_words
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from importlib import resources
from pathlib import Path

LOGGER = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent
MIN_LOG_PROB = -16.0
MIN_LOG_RATIO = 0.75
# The probability the table gives a form it never saw (spaCy's oov_prob is -20.5).
UNSEEN = -20.0
_WORD_RE = re.compile(r"[a-z][a-z'-]*[a-z]")


def common_words(probs: dict[str, float]) -> list[str]:
    """Capitalised forms ("Diesel") of the frequent small-letter words written capitalised far less often."""
    out = []
    for word, logp in probs.items():
        if logp >= MIN_LOG_PROB and _WORD_RE.fullmatch(word):
            cap = word.capitalize()
            if logp - probs.get(cap, UNSEEN) >= MIN_LOG_RATIO:
                out.append(cap)
    return sorted(out)


def census_surnames() -> set[str]:
    text = resources.files("names").joinpath("dist.all.last").read_text(encoding="utf-8")
    return {line.split()[0].title() for line in text.splitlines() if line.strip()}


def main() -> None:
    raw = resources.files("spacy_lookups_data").joinpath("data", "en_lexeme_prob.json.gz").read_bytes()
    probs = json.loads(gzip.decompress(raw))
    words = common_words(probs)
    surnames = census_surnames()
    (DATA / "common_words.txt").write_text(
        "# capitalised words written in small letters far more often (spacy-lookups-data en_lexeme_prob, MIT); "
        "see build_common_words.py\n" + "".join(f"{w}\n" for w in words), encoding="utf-8")
    (DATA / "common_surnames.txt").write_text(
        "# the words of common_words.txt that are US Census 1990 surnames (public domain, via the names package, "
        "MIT); see build_common_words.py\n" + "".join(f"{w}\n" for w in words if w in surnames), encoding="utf-8")
    LOGGER.warning("wrote %d common words (%d surnames)", len(words), sum(w in surnames for w in words))


if __name__ == "__main__":
    main()
