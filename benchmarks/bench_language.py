"""Benchmark of the language step (transforms/language.py) against the work the pipeline does per story.

Inputs: the Reuters leads of evilgodfahim-wl cleaned into stories (title + body, as the clean stage passes them),
and the French stories of evaluation/data/fr_news.jsonl. Timed: ``decide_language`` on every story (declared
"en"/"fr", so the text is checked). Measured in the same run, outside the timed call: the enrichment the same
stories get afterwards (English NER with the shipped extractor, then the date tagger). The language step must cost
at most 5% of that; the pipeline does more than enrichment per story (fetch, parse, clean, dedup, sink), so the
share of the whole pipeline is smaller still.

WIREBEAM_BENCH_QUICK=1 uses 20 stories so the file runs in seconds.

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_language.py --benchmark-only \
     -o python_files='bench_*.py'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from transforms.clean.story import clean_story
from transforms.dates.tagger import extract_dates
from transforms.entities.ner import EntityExtractor
from transforms.language import decide_language

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREBEAM_SHARED", ROOT.parent / "shared"))
LEADS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots"
FRENCH = ROOT / "evaluation" / "data" / "fr_news.jsonl"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
STORIES = 20 if QUICK else 500
MAX_SHARE = 0.05

pytestmark = pytest.mark.skipif(not LEADS.exists(), reason="../shared/corpora/real-feeds/evilgodfahim-wl absent")

Story = tuple[str, str, str, dt.date]  # (declared language, title, body, anchor)


@pytest.fixture(scope="module")
def stories() -> list[Story]:
    import feedparser

    out: list[Story] = []
    for path in sorted(LEADS.glob("*/reuters.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            published = dt.datetime(*entry.published_parsed[:6]).replace(tzinfo=dt.UTC)
            cleaned = clean_story(entry.summary, title=entry.title, is_html=False, published=published)
            out.append(("en", cleaned.title, cleaned.body, published.date()))
    for line in FRENCH.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out.append(("fr", "", rec["text"], dt.date.fromisoformat(rec["dct"])))
    # Interleave so a quick run has both languages.
    french = [s for s in out if s[0] == "fr"]
    english = [s for s in out if s[0] == "en"]
    mixed = [s for pair in zip(english, french, strict=False) for s in pair] + english[len(french):]
    return mixed[:STORIES]


def _enrichment_seconds(stories: list[Story]) -> float:
    """Seconds the English enrichment (NER + dates) takes on the stories: the reference the step is held to."""
    extractor = EntityExtractor()
    extractor.load()
    extractor.extract([stories[0][2]])  # warm up
    t0 = time.perf_counter()
    extractor.extract([s[2] for s in stories])
    for _, _, body, anchor in stories:
        extract_dates(body, anchor)
    return time.perf_counter() - t0


def test_language_step_share(benchmark: Any, stories: list[Story]) -> None:
    decide_language("en", "warm", "load the identifier outside the timed call")

    def run() -> int:
        return sum(decide_language(lang, title, body).language == lang for lang, title, body, _ in stories)

    agreed = benchmark(run)
    assert agreed >= 0.95 * len(stories)
    if benchmark.stats is not None:
        step = benchmark.stats.stats.median
    else:  # --benchmark-disable: one timed pass
        t0 = time.perf_counter()
        run()
        step = time.perf_counter() - t0
    enrichment = _enrichment_seconds(stories)
    share = step / enrichment
    if benchmark.stats is not None:
        benchmark.extra_info.update(
            stories=len(stories),
            language_stories_per_s=round(len(stories) / step, 1),
            enrichment_stories_per_s=round(len(stories) / enrichment, 1),
            share_of_enrichment=round(share, 4),
        )
    assert share <= MAX_SHARE, f"language step {step:.4f}s is {share:.1%} of enrichment {enrichment:.4f}s"
