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
machine the CPU-time figures are the per-core cost.
Then the same on article bodies (``evaluation/wirecopy.py``: ~450-word stories of real article sentences from
../shared/corpora/article-html, where half the words are more than four words from any capital that may be part of
a name):
  * ``bodies_bare``  — the NER components alone (as ``bare_ner``) on title + body;
  * ``bodies_stage_all`` — ``EntityExtractor(skip_nameless=False).extract_stories``: the model reads every word;
  * ``bodies_stage`` — the stage as shipped, the model reading only the words near a capital
                       (``transforms/entities/segments.py``): its CPU-time ratios to both, the share of words the
                       model skips, and the mentions that differ from ``bodies_stage_all`` (all, and those holding
                       a capital).
``WIREBEAM_BENCH_QUICK=1`` uses 15 items and 10 bodies so the file runs in seconds.

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

from transforms.entities.ner import DEFAULT_MODEL, EntityExtractor, join_title

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REUTERS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots" / "20260416T185707Z_83a647e2" / \
    "reuters.xml"
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
# ~60k words in full mode: long enough for stable medians, short enough that the full spaCy pipeline stays < 20 s.
N_ITEMS = 15 if QUICK else 180
N_BODIES = 10 if QUICK else 120  # ~55k words
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


# --------------------------------------------------------------------------------------------------------------
# Article bodies: the words the model skips


@pytest.fixture(scope="module")
def bodies() -> list[tuple[str, str]]:
    """(title, body) of wire stories made of real article sentences (evaluation/wirecopy.py), no copies."""
    if not ARTICLES.exists():
        pytest.skip("../shared/corpora/article-html/trafilatura-eval absent")
    from evaluation.wirecopy import article_sentences, wire_stories

    pool = article_sentences(folder=ARTICLES)
    return [(r["title"], r["text"]) for r in wire_stories(N_BODIES, pool, copy_share=0)]


@pytest.fixture(scope="module")
def body_words(bodies: list[tuple[str, str]]) -> int:
    return sum(len(join_title(t, b).split()) for t, b in bodies)


@pytest.fixture(scope="module")
def reading_all_groups() -> dict[str, Any]:
    """The stage's entities when the model reads every sentence, for the shipped stage to be compared with."""
    return {}


def test_bare_ner_on_bodies(benchmark: Any, bodies: list[tuple[str, str]], body_words: int,
                            medians: dict[str, float]) -> None:
    bare = EntityExtractor(refine=False)
    bare.load()
    texts = [join_title(t, b) for t, b in bodies]
    cpu: list[float] = []
    benchmark.pedantic(_cpu_timed(lambda: bare.raw_spans(texts), cpu), rounds=ROUNDS, iterations=1)
    _record(benchmark, medians, "bodies_bare", body_words, cpu)


def test_stage_on_bodies_reading_every_sentence(benchmark: Any, bodies: list[tuple[str, str]], body_words: int,
                                                medians: dict[str, float],
                                                reading_all_groups: dict[str, Any]) -> None:
    extractor = EntityExtractor(skip_nameless=False)
    extractor.load()
    cpu: list[float] = []
    reading_all_groups["groups"] = benchmark.pedantic(
        _cpu_timed(lambda: extractor.extract_stories(bodies), cpu), rounds=ROUNDS, iterations=1)
    _record(benchmark, medians, "bodies_stage_all", body_words, cpu)


def _mentions(groups: list[Any]) -> set[tuple[int, int, str, str, str]]:
    return {(m.start, m.end, m.field, g.label, m.text) for g in groups for m in g.mentions}


def test_stage_on_bodies(benchmark: Any, bodies: list[tuple[str, str]], body_words: int, medians: dict[str, float],
                         reading_all_groups: dict[str, Any]) -> None:
    from transforms.entities.segments import _is_capital, name_segments
    from transforms.entities.view import model_view

    extractor = EntityExtractor()
    extractor.load()
    cpu: list[float] = []
    groups = benchmark.pedantic(_cpu_timed(lambda: extractor.extract_stories(bodies), cpu), rounds=ROUNDS,
                                iterations=1)
    assert sum(len(g) for g in groups) > 3 * len(bodies)
    _record(benchmark, medians, "bodies_stage", body_words, cpu)
    views = [model_view(join_title(t, b), extractor._places) for t, b in bodies]
    texts = [join_title(t, b) for t, b in bodies]
    read = sum(len(v[s:e].split()) for t, v in zip(texts, views, strict=True) for s, e in name_segments(t))
    benchmark.extra_info["words_skipped_share"] = round(1 - read / body_words, 3)
    if "groups" in reading_all_groups:
        # What the model finds far from any capital is a lower-case stray ("n’t" GPE); names hardly move.
        before = [_mentions(g) for g in reading_all_groups["groups"]]
        after = [_mentions(g) for g in groups]
        differing = sum(len(a ^ b) for a, b in zip(before, after, strict=True))
        named_differing = sum(1 for a, b in zip(before, after, strict=True) for m in a ^ b
                              if any(map(_is_capital, m[4])))
        benchmark.extra_info["mentions_differing"] = differing
        benchmark.extra_info["mentions_with_a_capital_differing"] = named_differing
        benchmark.extra_info["mentions"] = sum(map(len, before))
        assert differing <= 0.01 * sum(map(len, before)) and named_differing <= 0.001 * sum(map(len, before))
    if "bodies_stage" in medians:
        for base in ("bodies_bare", "bodies_stage_all"):
            if base in medians:
                # < 1: the stage takes that share of the baseline's CPU time.
                ratio = medians["bodies_stage_cpu"] / medians[base + "_cpu"]
                benchmark.extra_info[f"cpu_ratio_vs_{base}"] = round(ratio, 3)
                benchmark.extra_info[f"{base}_words_per_cpu_s"] = round(body_words / medians[base + "_cpu"])
        LOGGER.warning("entity stage on article bodies: %s", benchmark.extra_info)
