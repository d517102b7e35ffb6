"""Speed of near-duplicate detection against baselines measured in the same run.

- signatures: ``transforms.dedup.neardup`` (vectorized token hashing + one-permutation MinHash) vs datasketch
  ``MinHash.update_batch`` (sha1, 128 permutations) and a classic numpy MinHash ((a*x+b) mod p, 128 permutations),
  on real article bodies (trafilatura main text of the trafilatura-eval pages, cut to ~5 KB);
- LSH: ``evaluation.signature_index.SignatureIndex`` query + insert vs datasketch ``MinHashLSH`` query + insert,
  on real feed items (gesab001 headlines, title + summary).

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_dedup.py --benchmark-only \
         -o python_files='bench_*.py'
``WIREBEAM_BENCH_QUICK=1`` uses a few documents so the file runs in seconds.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from evaluation.signature_index import SignatureIndex
from transforms.dedup import neardup as nd

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
HEADLINES = SHARED / "corpora" / "real-feeds" / "gesab001-headlines"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
CFG = nd.DedupConfig()
_WORDS_RE = re.compile(r"[^\W_]+")
# p = 2**31 - 1 with 31-bit shingle values keeps a*x + b below 2**64, so uint64 arithmetic is exact.
_MERSENNE = (1 << 31) - 1

try:
    import datasketch
except ImportError:  # the baseline is optional; pip install datasketch to compare
    datasketch = None

needs_articles = pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html absent")
needs_headlines = pytest.mark.skipif(not HEADLINES.exists(), reason="../shared/corpora/real-feeds absent")
needs_datasketch = pytest.mark.skipif(datasketch is None, reason="datasketch not installed (baseline only)")


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    """Real ~5 KB article bodies (main text cut at a word boundary near 5,000 characters)."""
    import trafilatura

    files = sorted((ARTICLES / "tests" / "eval").glob("*.html"))[: 12 if QUICK else None]
    out = []
    for path in files:
        text = trafilatura.extract(path.read_text(encoding="utf-8", errors="replace"), fast=True) or ""
        if len(text) >= 2500:
            cut = text.rfind(" ", 0, 5000)
            out.append(text[: cut if len(text) > 5000 and cut > 0 else len(text)])
    assert out
    return out


@pytest.fixture(scope="module")
def feed_items() -> list[tuple[str, str]]:
    """(id, title + summary) of the real gesab001 feed items."""
    from evaluation.eval_dedup import build_headlines

    docs, _ = build_headlines(max_files=20 if QUICK else None)
    return [(d.id, d.body) for d in docs]


@pytest.fixture(scope="module")
def medians() -> dict[str, float]:
    """Baseline medians recorded by earlier benchmarks of this module, for the ratios."""
    return {}


def _record(benchmark, medians: dict[str, float], name: str, n_items: int, baseline: str | None = None) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable: nothing was timed
        return
    median = stats.stats.median
    medians[name] = median
    benchmark.extra_info["items"] = n_items
    benchmark.extra_info["items_per_s"] = round(n_items / median, 1)
    if baseline and baseline in medians:
        benchmark.extra_info[f"speedup_vs_{baseline}"] = round(medians[baseline] / median, 2)


# ----------------------------------------------------------------------------------------------------
# Signatures
# ----------------------------------------------------------------------------------------------------


def _datasketch_signatures(texts: list[str]) -> list[np.ndarray]:
    out = []
    for text in texts:
        words = _WORDS_RE.findall(text.casefold())
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        mh = datasketch.MinHash(num_perm=128, seed=1)
        mh.update_batch(list(shingles))
        out.append(mh.hashvalues)
    return out


def _numpy_minhash_signatures(texts: list[str], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Classic k-permutation MinHash, vectorized: min over (a*x + b) mod (2**31-1) for 128 (a, b)."""
    out = []
    for text in texts:
        x = nd.shingle_hashes(text, 5) % np.uint64(_MERSENNE)
        out.append(((a * x[None, :] + b) % np.uint64(_MERSENNE)).min(axis=1))
    return out


def _neardup_signatures(texts: list[str]) -> list[np.ndarray]:
    return [nd.signature(nd.shingle_hashes(text, CFG.shingle_size), CFG) for text in texts]


@needs_articles
@needs_datasketch
def test_signatures_datasketch_baseline(benchmark, bodies, medians):
    sigs = benchmark(_datasketch_signatures, bodies)
    assert len(sigs) == len(bodies) and sigs[0].shape == (128,)
    _record(benchmark, medians, "datasketch_sig", len(bodies))


@needs_articles
def test_signatures_numpy_minhash_baseline(benchmark, bodies, medians):
    rng = np.random.default_rng(1)
    a = rng.integers(1, _MERSENNE, size=(128, 1), dtype=np.uint64)
    b = rng.integers(0, _MERSENNE, size=(128, 1), dtype=np.uint64)
    sigs = benchmark(_numpy_minhash_signatures, bodies, a, b)
    assert len(sigs) == len(bodies) and sigs[0].shape == (128,)
    _record(benchmark, medians, "numpy_minhash_sig", len(bodies))


@needs_articles
def test_signatures_neardup(benchmark, bodies, medians):
    sigs = benchmark(_neardup_signatures, bodies)
    assert len(sigs) == len(bodies)
    assert all(s.shape == (CFG.num_perm,) and s.dtype == np.uint32 and s.any() for s in sigs)
    _record(benchmark, medians, "neardup_sig", len(bodies), baseline="datasketch_sig")
    if "numpy_minhash_sig" in medians and benchmark.stats is not None:
        benchmark.extra_info["speedup_vs_numpy_minhash_sig"] = round(
            medians["numpy_minhash_sig"] / medians["neardup_sig"], 2
        )


@needs_articles
def test_sketches_neardup(benchmark, bodies, medians):
    """The whole per-story cost in the pipeline: shingles, signature, exact shingle set, title words."""
    sketches = benchmark(lambda: [nd.make_sketch(str(i), "Title", t, CFG) for i, t in enumerate(bodies)])
    assert [s.n_shingles > 0 for s in sketches] == [True] * len(bodies)
    _record(benchmark, medians, "neardup_sketch", len(bodies), baseline="datasketch_sig")


# ----------------------------------------------------------------------------------------------------
# LSH query + insert
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def item_sketches(feed_items) -> list[nd.DocSketch]:
    return [nd.make_sketch(i, "", text, CFG) for i, text in feed_items]


def _neardup_lsh(sketches: list[nd.DocSketch]) -> int:
    index = SignatureIndex(CFG)
    dups = 0
    for s in sketches:
        if index.query_and_add(s.id, s.signature, s.n_shingles):
            dups += 1
    return dups


def _datasketch_lsh(items: list[tuple[str, object]]) -> int:
    lsh = datasketch.MinHashLSH(threshold=0.5, num_perm=128)
    dups = 0
    for key, mh in items:
        if lsh.query(mh):
            dups += 1
        lsh.insert(key, mh)
    return dups


@needs_headlines
@needs_datasketch
def test_lsh_datasketch_baseline(benchmark, feed_items, medians):
    items = []
    for key, text in feed_items:
        words = _WORDS_RE.findall(text.casefold())
        mh = datasketch.MinHash(num_perm=128, seed=1)
        mh.update_batch([" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))])
        items.append((key, mh))
    dups = benchmark(_datasketch_lsh, items)
    assert 0 < dups < len(items)
    _record(benchmark, medians, "datasketch_lsh", len(items))


@needs_headlines
def test_lsh_neardup(benchmark, item_sketches, medians):
    dups = benchmark(_neardup_lsh, item_sketches)
    # Feed items re-appear across capture rounds, so many are duplicates of an earlier one, but not all.
    assert 0 < dups < len(item_sketches)
    _record(benchmark, medians, "neardup_lsh", len(item_sketches), baseline="datasketch_lsh")
