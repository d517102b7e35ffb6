"""Throughput of the temporal tagger (transforms.dates.tagger.extract_dates) on real news text.

Inputs, prepared once per module: the 256 TempEval-3 TBAQ documents (anchored at their <DCT>) and the 500
Reuters lead paragraphs of the evilgodfahim-wl feed snapshot (anchored at their pubDate). The baseline is a single
compiled regex pass (month/weekday names and 4-digit numbers) over the same texts: the cheapest "date finder"
one could write, so the ratio says what the full rule set costs on top of one scan.

Run: ``.venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_dates.py --benchmark-only
-o python_files='bench_*.py'``. With ``WIREBEAM_BENCH_QUICK=1`` only 20 documents of each source are used.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from transforms.dates.tagger import extract_dates

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
TBAQ = SHARED / "corpora" / "tempeval3" / "TBAQ-cleaned"
FEED_SNAPSHOTS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots"
REUTERS = FEED_SNAPSHOTS / "20260416T185707Z_83a647e2" / "reuters.xml"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
QUICK_DOCS = 20

_TAG_RE = re.compile(r"<[^>]+>")
# The baseline: one linear pass that finds the obvious date tokens.
_BASELINE_RE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday|today|yesterday|tomorrow|(?:1[89]|20)\d\d)\b"
)

Doc = tuple[str, dt.date | None]


def _tbaq_docs() -> list[Doc]:
    from evaluation.eval_dates import load_corpus

    return [(d.text, d.dct) for d in load_corpus(TBAQ)]


def _reuters_docs() -> list[Doc]:
    parsed = feedparser.parse(REUTERS.read_bytes())
    docs: list[Doc] = []
    for entry in parsed.entries:
        text = html.unescape(_TAG_RE.sub(" ", entry.get("summary", "")))
        stamp = entry.get("published_parsed")
        docs.append((text, dt.date(*stamp[:3]) if stamp else None))
    return docs


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    out: list[Doc] = []
    if TBAQ.exists():
        out += _tbaq_docs()[: QUICK_DOCS if QUICK else None]
    if REUTERS.exists():
        out += _reuters_docs()[: QUICK_DOCS if QUICK else None]
    return out


def _tag_all(docs: list[Doc]) -> int:
    return sum(len(extract_dates(text, anchor)) for text, anchor in docs)


def _baseline_all(docs: list[Doc]) -> int:
    return sum(len(_BASELINE_RE.findall(text)) for text, _ in docs)


def _median_seconds(fn: Callable[[list[Doc]], int], docs: list[Doc], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(docs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


pytestmark = pytest.mark.skipif(
    not (TBAQ.exists() or REUTERS.exists()), reason="../shared/corpora (TBAQ-cleaned, evilgodfahim-wl) absent"
)


def test_bench_extract_dates(benchmark, docs: list[Doc]) -> None:
    words = sum(len(text.split()) for text, _ in docs)
    mentions = benchmark(_tag_all, docs)
    # Every real news document carries dates; ~1 mention per 60 words on these corpora.
    assert mentions > words / 150
    rounds = 1 if QUICK else 5
    tagger_s = _median_seconds(_tag_all, docs, rounds)
    baseline_s = _median_seconds(_baseline_all, docs, max(rounds, 3))
    benchmark.extra_info.update(
        {
            "docs": len(docs),
            "words": words,
            "mentions": mentions,
            "words_per_s": round(words / tagger_s),
            "docs_per_s": round(len(docs) / tagger_s, 1),
            "baseline_words_per_s": round(words / baseline_s),
            "slowdown_vs_single_regex": round(tagger_s / baseline_s, 1),
        }
    )
    LOGGER.info("extract_dates: %s", benchmark.extra_info)


def test_bench_baseline_single_regex(benchmark, docs: list[Doc]) -> None:
    found = benchmark(_baseline_all, docs)
    assert found > 0
    benchmark.extra_info["words"] = sum(len(text.split()) for text, _ in docs)
