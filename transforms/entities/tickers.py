"""Exchange tickers in brackets after a company's name ("(DAL.N)", "(NYSE: DAL)"): found in the text
(``find_tickers``), taken out of the spans with the name before them made an ORG (``_apply_tickers``), and given
to that company's entity group (``attach_tickers``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from transforms.entities.spans import _CAP_WORD, _INVISIBLE, EntityGroup, _SpanSet

# Exchange tickers in brackets after a company's name: Reuters instrument codes "(DAL.N)", "(AGNr.AT)", "(7203.T)"
# and "(NYSE: DAL)"-style listings, several separated by commas or semicolons.
_EXCHANGES = "NYSE|NASDAQ|Nasdaq|AMEX|NYSE American|NYSE Arca|LSE|LON|TSX|TSXV|ASX|HKEX|HKG|SGX|TYO|TSE|NSE|BSE|" \
    "FRA|ETR|XETRA|SIX|OTC|OTCQX|KRX|SZSE|SSE|Euronext|JSE|BMV|B3|Tadawul"
_TICKER = rf"(?:[A-Z0-9]{{1,7}}(?:[a-z][A-Z0-9]*)?\.[A-Z]{{1,3}}|(?:{_EXCHANGES}) ?: ?[A-Z][A-Z0-9.-]{{0,6}})"
_TICKERS_RE = re.compile(rf"\(({_TICKER}(?:[,;] ?{_TICKER})*)\)")
_TICKER_SPLIT_RE = re.compile(r"[,;] ?")
_TICKER_SPACE_RE = re.compile(r" ?: ?")


@dataclass(frozen=True, slots=True)
class Tickers:
    """Tickers in brackets: ``text[start:end]`` is the bracket, ``name_end`` where the company's name before it ends."""

    start: int
    end: int
    name_end: int
    symbols: tuple[str, ...]


def find_tickers(text: str) -> list[Tickers]:
    """Every bracketed ticker list that follows a name, symbols as "DAL.N" or "NYSE:DAL" (pure)."""
    out: list[Tickers] = []
    for m in _TICKERS_RE.finditer(text):
        name_end = m.start()
        while name_end > 0 and text[name_end - 1] in " \u00a0" + _INVISIBLE:
            name_end -= 1
        if name_end == 0 or not (text[name_end - 1].isalnum() or text[name_end - 1] in ".'’&"):
            continue
        symbols = tuple(_TICKER_SPACE_RE.sub(":", t) for t in _TICKER_SPLIT_RE.split(m.group(1)))
        out.append(Tickers(m.start(), m.end(), name_end, symbols))
    return out


# The capitalised run (a company's name) that ends where a ticker bracket begins.
_NAME_BEFORE_RE = re.compile(rf"{_CAP_WORD}(?:[ &-]+(?:of |and |de )?{_CAP_WORD}){{0,5}}$")


def _apply_tickers(text: str, fixed: _SpanSet, tickers: Sequence[Tickers]) -> None:
    """A ticker is no entity of its own; the name before it is a company (ORG), found by its capitals if the model
    missed it."""
    for t in tickers:
        for key in fixed.overlapping(t.start, t.end):
            fixed.keys.remove(key)
            label = fixed.labels.pop(key)
            if key[0] < t.name_end:  # "Delta Air Lines (DAL": the name without the bracket
                fixed.put(key[0], t.name_end, label)
        before = fixed.overlapping(t.name_end - 1, t.name_end)
        if before and before[0][1] == t.name_end:
            fixed.labels[before[0]] = "ORG"
            continue
        m = _NAME_BEFORE_RE.search(text, max(0, t.name_end - 80), t.name_end)
        if m and m.group()[:1].isupper():
            fixed.put(m.start(), m.end(), "ORG")


def attach_tickers(groups: Sequence[EntityGroup], tickers: Sequence[Tickers]) -> list[EntityGroup]:
    """Each group with the tickers that follow one of its mentions ("Delta Air Lines (DAL.N)") (pure)."""
    if not tickers:
        return list(groups)
    by_end = {t.name_end: t.symbols for t in tickers}
    out: list[EntityGroup] = []
    for g in groups:
        found = [sym for m in g.mentions for sym in by_end.get(m.end, ())]
        if found:
            g = replace(g, tickers=tuple(dict.fromkeys(g.tickers + tuple(found))))
        out.append(g)
    return out
