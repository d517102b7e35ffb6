"""Benchmarks for the clean stage's text work (transforms/clean/) and article pages (transforms/article/page.py).

- The text-cleaning chain (`clean_text`, no HTML parsing) on trafilatura's output for the 100 trafilatura-eval
  news pages (~6 KB each) and on the 500 Reuters leads of evilgodfahim-wl (raw scraped text full of zero-width
  watermark characters), beside two baselines measured in the same run: NFKC + one whitespace regex, and
  `ftfy.fix_text`. Throughput (MB/s of UTF-8) and the ratios go to `extra_info`.
- `clean_story` on the Reuters leads (stories/s).
- The HTML path: `extract_article` against plain `trafilatura.extract` (default and fast) on the same pages,
  docs/s and MB/s.

Inputs are prepared in module-scope fixtures, outside the timed calls. WIREBEAM_BENCH_QUICK=1 uses a few
documents so the file runs in seconds.

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_clean.py --benchmark-only \
     -o python_files='bench_*.py'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ftfy
import pytest

from transforms.article.page import extract_article
from transforms.clean.story import clean_story
from transforms.clean.text import clean_text

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
LEADS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
PAGES = 4 if QUICK else 100
HTML_PAGES = 3 if QUICK else 30  # the HTML path is ~100x slower than text cleaning: a subset keeps runs short
BASELINE_REPEATS = 3 if QUICK else 7
_WS_RE = re.compile(r"\s+")

pytestmark = [
    pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html/trafilatura-eval absent"),
    pytest.mark.skipif(not LEADS.exists(), reason="../shared/corpora/real-feeds/evilgodfahim-wl absent"),
]


def _nfkc_ws(text: str) -> str:
    """Baseline: the cleaning most pipelines start with."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _mb(texts: Sequence[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def _interleaved_mb_per_s(fns: dict[str, Callable[[str], Any]], texts: Sequence[str], repeats: int) -> dict[str, float]:
    """MB/s of each function over `texts`, passes interleaved so a busy machine slows all of them alike."""
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for text in texts:
                fn(text)
            runs[name].append(time.perf_counter() - start)
    size = _mb(texts)
    return {name: size / statistics.median(times) for name, times in runs.items()}


def _pages() -> list[tuple[str, str]]:
    """(file name, decoded HTML) for the first PAGES pages of the snippet set."""
    from trafilatura.utils import decode_file

    evaldata = json.loads((ARTICLES / "evaldata.news-subset.json").read_text(encoding="utf-8"))
    pages = []
    for item in list(evaldata.values())[:PAGES]:
        for sub in ("cache", "eval"):
            path = ARTICLES / "tests" / sub / item["file"]
            if path.is_file():
                pages.append((item["file"], decode_file(path.read_bytes())))
                break
    return pages


@pytest.fixture(scope="module")
def html_pages() -> list[str]:
    return [html for _, html in _pages()]


@pytest.fixture(scope="module")
def article_texts(html_pages: list[str]) -> list[str]:
    """trafilatura's (fast) output for the pages: real ~6 KB article texts."""
    import trafilatura

    texts = [trafilatura.extract(html, fast=True, include_tables=True) for html in html_pages]
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def reuters_leads() -> list[tuple[str, str, dt.datetime]]:
    """(summary, title, published) of the Reuters leads, raw as scraped."""
    import feedparser

    leads = []
    for path in sorted(LEADS.glob("*/reuters.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            published = dt.datetime(*entry.published_parsed[:6]).replace(tzinfo=dt.UTC)
            leads.append((entry.summary, entry.title, published))
    return leads[: 20 if QUICK else None]


def _clean_all(texts: Sequence[str]) -> list[str]:
    return [clean_text(t) for t in texts]


def _record(benchmark: Any, texts: Sequence[str], baselines: dict[str, Callable[[str], Any]]) -> None:
    """MB/s of the benchmark, and ratios to baselines from interleaved passes over the same texts in this run."""
    if benchmark.stats is None:  # --benchmark-disable: nothing was measured
        return
    size = _mb(texts)
    benchmark.extra_info["docs"] = len(texts)
    benchmark.extra_info["mb"] = round(size, 3)
    benchmark.extra_info["mb_per_s"] = round(size / benchmark.stats.stats.median, 1)
    fast = {name: fn for name, fn in baselines.items() if name != "ftfy"}
    rates = _interleaved_mb_per_s({"clean_text": clean_text, **fast}, texts, BASELINE_REPEATS)
    if "ftfy" in baselines:  # ~1.7 MB/s: one pass is plenty
        rates.update(_interleaved_mb_per_s({"ftfy": baselines["ftfy"]}, texts, 1))
    benchmark.extra_info["interleaved_clean_text_mb_per_s"] = round(rates["clean_text"], 1)
    for name in baselines:
        benchmark.extra_info[f"{name}_mb_per_s"] = round(rates[name], 1)
        benchmark.extra_info[f"ratio_vs_{name}"] = round(rates["clean_text"] / rates[name], 2)
    print(f"\n{benchmark.name}: {benchmark.extra_info}")


def test_clean_text_articles(benchmark: Any, article_texts: list[str]) -> None:
    """clean_text on trafilatura's output for real news pages."""
    result = benchmark(_clean_all, article_texts)
    assert len(result) == len(article_texts)
    assert all(r and "\u200b" not in r and "  " not in r for r in result)
    _record(benchmark, article_texts, {"nfkc_ws": _nfkc_ws, "ftfy": ftfy.fix_text})


def test_clean_text_reuters_leads(benchmark: Any, reuters_leads: list[tuple[str, str, dt.datetime]]) -> None:
    """clean_text on raw scraped wire leads (zero-width watermarks everywhere: the slow path)."""
    texts = [summary for summary, _, _ in reuters_leads]
    result = benchmark(_clean_all, texts)
    assert not any("\u200b" in r or "\u2060" in r for r in result)
    _record(benchmark, texts, {"nfkc_ws": _nfkc_ws, "ftfy": ftfy.fix_text})


def test_baseline_nfkc_ws(benchmark: Any, article_texts: list[str]) -> None:
    """Baseline row for the table: NFKC + whitespace regex on the same article texts."""
    result = benchmark(lambda texts: [_nfkc_ws(t) for t in texts], article_texts)
    assert len(result) == len(article_texts)
    if benchmark.stats is not None:
        benchmark.extra_info["mb_per_s"] = round(_mb(article_texts) / benchmark.stats.stats.median, 1)


def test_clean_story_reuters_leads(benchmark: Any, reuters_leads: list[tuple[str, str, dt.datetime]]) -> None:
    """The whole story cleaning (chain, paragraphs, header, dateline, chrome, credits) on wire leads."""

    def run() -> int:
        return sum(
            clean_story(s, title=t, is_html=False, published=p).dateline is not None for s, t, p in reuters_leads
        )

    with_dateline = benchmark(run)
    assert with_dateline >= 0.9 * len(reuters_leads)
    if benchmark.stats is not None:
        seconds = benchmark.stats.stats.median
        benchmark.extra_info["stories_per_s"] = round(len(reuters_leads) / seconds, 1)
        benchmark.extra_info["mb_per_s"] = round(_mb([s for s, _, _ in reuters_leads]) / seconds, 1)


def _html_rate(benchmark: Any, pages: Sequence[str]) -> None:
    if benchmark.stats is None:
        return
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["docs_per_s"] = round(len(pages) / seconds, 1)
    benchmark.extra_info["mb_per_s"] = round(_mb(pages) / seconds, 2)
    print(f"\n{benchmark.name}: {benchmark.extra_info}")


def test_html_extract_article(benchmark: Any, html_pages: list[str]) -> None:
    """wirebeam's HTML path: extract_article (trafilatura + standfirst/JSON-LD hints + cleaning)."""
    pages = html_pages[:HTML_PAGES]
    result = benchmark.pedantic(lambda: [extract_article(p) for p in pages], rounds=3, iterations=1)
    assert sum(r is not None for r in result) >= 0.9 * len(pages)
    _html_rate(benchmark, pages)


@pytest.mark.parametrize("fast", [False, True], ids=["default", "fast"])
def test_html_trafilatura(benchmark: Any, html_pages: list[str], fast: bool) -> None:
    """Baseline: plain trafilatura.extract on the same pages."""
    import trafilatura

    pages = html_pages[:HTML_PAGES]
    result = benchmark.pedantic(
        lambda: [trafilatura.extract(p, fast=fast, include_tables=True) for p in pages], rounds=3, iterations=1
    )
    assert sum(r is not None for r in result) >= 0.9 * len(pages)
    _html_rate(benchmark, pages)
