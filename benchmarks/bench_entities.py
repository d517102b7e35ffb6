"""Entity stage throughput (words/s, one core) on real wire text, beside the bare spaCy model in the same run.

Inputs: the lead paragraphs of the Reuters wire feed in ../shared/corpora/real-feeds/evilgodfahim-wl (parsed and
stripped of markup before timing).  Five measurements, in this order:
  * ``bare_full``  — ``spacy.load(model)`` with every component, ``nlp.pipe`` (what a user reaches for first);
  * ``bare_ner_blis`` — only the components NER needs, ``nlp.pipe``, on thinc's default blis matrix products;
  * ``bare_ner``   — the same with the matrix products ``transforms/entities/fastops.py`` chooses (numpy's BLAS where it
                     faster): its ``speedup_vs_blis``, and the same entities asserted;
  * ``stage``      — ``EntityExtractor.extract``: true-casing view, model, document rules, canonical groups;
  * ``stage_batches_of_3`` — the same called 3 stories at a time (the batches Beam's adaptive sizing chose).
The stage's ``extra_info`` carries words/s (wall and CPU time) and its ratio to both baselines; on a shared
machine the CPU-time figures are the per-core cost.  ``WIREBEAM_BENCH_QUICK=1`` uses 15
items so the file runs in seconds.

Run: ``.venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_entities.py --benchmark-only
-o python_files='bench_*.py'``.
"""

from __future__ import annotations

import html
import logging
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from transforms.entities.ner import DEFAULT_MODEL, EntityExtractor

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REUTERS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots" / "20260416T185707Z_83a647e2" / \
    "reuters.xml"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
# ~60k words in full mode: long enough for stable medians, short enough that the full spaCy pipeline stays < 20 s.
N_ITEMS = 15 if QUICK else 180
ROUNDS = 1 if QUICK else 3

_TAG_RE = re.compile(r"<[^>]+>")
T = TypeVar("T")

pytestmark = pytest.mark.skipif(not REUTERS.exists(), reason="../shared/corpora/real-feeds/evilgodfahim-wl absent")


def reuters_items(n: int = N_ITEMS) -> list[str]:
    """Headline + lead paragraphs of the first `n` Reuters items, as plain text (also compare_spacy_versions.py)."""
    import feedparser

    feed = feedparser.parse(REUTERS.read_bytes())
    out = []
    for entry in feed.entries[:n]:
        body = html.unescape(_TAG_RE.sub(" ", entry.get("summary", "")))
        out.append(f"{entry.get('title', '')}\n\n{body.strip()}")
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = reuters_items()
    assert len(out) == N_ITEMS
    return out


@pytest.fixture(scope="module")
def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


@pytest.fixture(scope="module")
def medians() -> dict[str, float]:
    """Median seconds per measurement, filled by the benchmarks in file order."""
    return {}


@pytest.fixture(scope="module", autouse=True)
def one_core() -> Any:
    """Pin the process to one CPU so the figures are per core (restored afterwards)."""
    if not hasattr(os, "sched_getaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    yield
    os.sched_setaffinity(0, before)


def _cpu_timed(fn: Callable[[], T], cpu: list[float]) -> Callable[[], T]:
    """``fn`` that also appends its CPU seconds to ``cpu``: on a shared machine CPU time is the per-core cost."""

    def run() -> T:
        t0 = time.process_time()
        result = fn()
        cpu.append(time.process_time() - t0)
        return result

    return run


def _record(benchmark: Any, medians: dict[str, float], name: str, words: int, cpu: list[float]) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable: nothing was timed
        return
    median = stats.stats.median
    medians[name] = median
    medians[name + "_cpu"] = statistics.median(cpu)
    benchmark.extra_info["words"] = words
    benchmark.extra_info["words_per_s"] = round(words / median)
    benchmark.extra_info["words_per_cpu_s"] = round(words / medians[name + "_cpu"])


def test_bare_full_pipeline(benchmark: Any, texts: list[str], words: int, medians: dict[str, float]) -> None:
    import spacy

    nlp = spacy.load(DEFAULT_MODEL)
    cpu: list[float] = []
    docs = benchmark.pedantic(_cpu_timed(lambda: list(nlp.pipe(texts, batch_size=32)), cpu), rounds=ROUNDS,
                              iterations=1)
    assert sum(len(d.ents) for d in docs) > 5 * len(texts)
    _record(benchmark, medians, "bare_full", words, cpu)


@pytest.fixture(scope="module")
def blis_spans() -> dict[str, Any]:
    """The entity spans of the blis run, for the numpy-BLAS run to be compared with."""
    return {}


def test_bare_ner_blis(benchmark: Any, texts: list[str], words: int, medians: dict[str, float],
                       blis_spans: dict[str, Any]) -> None:
    """The NER components on thinc's default matrix products (blis): the baseline of `entities/fastops.py`."""
    bare = EntityExtractor(refine=False, gemm="blis")
    bare.load()
    cpu: list[float] = []
    spans = benchmark.pedantic(_cpu_timed(lambda: bare.raw_spans(texts), cpu), rounds=ROUNDS, iterations=1)
    blis_spans["spans"] = spans
    _record(benchmark, medians, "bare_ner_blis", words, cpu)


def test_bare_ner_only(benchmark: Any, texts: list[str], words: int, medians: dict[str, float],
                       blis_spans: dict[str, Any]) -> None:
    """The NER components as the stage runs them (matrix products by `fastops.choose_ops`)."""
    bare = EntityExtractor(refine=False)
    bare.load()
    cpu: list[float] = []
    spans = benchmark.pedantic(_cpu_timed(lambda: bare.raw_spans(texts), cpu), rounds=ROUNDS, iterations=1)
    assert sum(len(s) for s in spans) > 5 * len(texts)
    if "spans" in blis_spans:  # the same model on other matrix products: the same entities
        assert spans == blis_spans["spans"]
    _record(benchmark, medians, "bare_ner", words, cpu)
    if "bare_ner" in medians and "bare_ner_blis" in medians:
        benchmark.extra_info["speedup_vs_blis"] = round(medians["bare_ner_blis"] / medians["bare_ner"], 3)
        benchmark.extra_info["cpu_speedup_vs_blis"] = round(medians["bare_ner_blis_cpu"] / medians["bare_ner_cpu"], 3)


def test_entity_stage(benchmark: Any, texts: list[str], words: int, medians: dict[str, float]) -> None:
    extractor = EntityExtractor()
    extractor.load()
    cpu: list[float] = []
    groups = benchmark.pedantic(_cpu_timed(lambda: extractor.extract(texts), cpu), rounds=ROUNDS, iterations=1)
    assert len(groups) == len(texts)
    assert sum(len(g) for g in groups) > 3 * len(texts)
    for text, text_groups in zip(texts, groups, strict=True):
        for group in text_groups:
            assert all(text[m.start : m.end] == m.text for m in group.mentions)
    _record(benchmark, medians, "stage", words, cpu)
    if "stage" in medians:
        for base in ("bare_ner", "bare_full"):
            if base in medians:
                # > 1 means the stage is slower than the baseline by that factor.
                benchmark.extra_info[f"time_ratio_vs_{base}"] = round(medians["stage"] / medians[base], 3)
                benchmark.extra_info[f"cpu_ratio_vs_{base}"] = round(medians["stage_cpu"] / medians[base + "_cpu"], 3)
                benchmark.extra_info[f"{base}_words_per_s"] = round(words / medians[base])
                benchmark.extra_info[f"{base}_words_per_cpu_s"] = round(words / medians[base + "_cpu"])
        LOGGER.warning("entity stage: %s", benchmark.extra_info)


def test_entity_stage_batches_of_3(benchmark: Any, texts: list[str], words: int, medians: dict[str, float]) -> None:
    """The stage called on batches of 3 stories: what Beam's adaptive `BatchElements` (min 1) settled on in the
    pipeline (2–4 stories), before `ExtractEntities` fixed its batches at --ner-batch-size."""
    extractor = EntityExtractor()
    extractor.load()
    cpu: list[float] = []

    def small_batches() -> list[Any]:
        return [g for i in range(0, len(texts), 3) for g in extractor.extract(texts[i : i + 3])]

    groups = benchmark.pedantic(_cpu_timed(small_batches, cpu), rounds=ROUNDS, iterations=1)
    assert len(groups) == len(texts)
    _record(benchmark, medians, "stage_batch3", words, cpu)
    if "stage_batch3" in medians and "stage" in medians:
        # > 1: how much slower the stage is on batches of 3 than on batches of --ner-batch-size (32).
        benchmark.extra_info["time_ratio_vs_batch32"] = round(medians["stage_batch3"] / medians["stage"], 3)
        benchmark.extra_info["cpu_ratio_vs_batch32"] = round(medians["stage_batch3_cpu"] / medians["stage_cpu"], 3)
        LOGGER.warning("entity stage, batches of 3: %s", benchmark.extra_info)
