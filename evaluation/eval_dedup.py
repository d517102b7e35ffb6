"""Evaluate near-duplicate detection on real article bodies perturbed the way syndication perturbs them.

Two datasets, both built from ../shared/corpora at run time (deterministic, seeded):

``syndication`` — main text of the trafilatura-eval news pages (trafilatura, fast mode). Some pages are "stories";
each story is published by 2–5 outlets, every copy perturbed like wire copy: headline rewritten, lead or tail
trimmed (down to a third of the story), a local paragraph inserted, words edited, and always the outlet's own
boilerplate before and after (real page chrome: the navigation/footer text of another page of the corpus).
Hard negatives: the remaining pages are published once by the same outlets (unrelated stories sharing an outlet's
long boilerplate), and "same event" stories: another page with one paragraph of the story quoted in it.
``headlines`` — gesab001 feed items (title + summary) over 10 capture rounds; gold cluster = canonical link, so
re-seen items with edited titles or summaries must be grouped and different links kept apart.

Metrics: pairwise precision / recall / F1 over all pairs of documents, and the adjusted Rand index of the
clustering (own implementation). Systems: datasketch MinHashLSH (plain, threshold 0.5) if installed, and
``transforms.dedup.neardup`` with and without per-source boilerplate removal, with exact and with signature-only
verification, plus a small parameter sweep.

    .venv/bin/python -m evaluation.eval_dedup [--json PATH] [--sweep]
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from evaluation.signature_index import SignatureIndex
from transforms.dedup import neardup as nd

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
HEADLINES = SHARED / "corpora" / "real-feeds" / "gesab001-headlines"

SEEDS = (7, 11, 23, 42, 99)
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
_PARA_SPLIT_RE = re.compile(r"\n+")


@dataclass(frozen=True)
class Doc:
    id: str
    source: str
    title: str
    body: str
    label: str  # gold cluster
    published: float | None = None


# ----------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pair_counts(gold: Sequence[str], pred: Sequence[str]) -> tuple[int, int, int]:
    """(true positive pairs, predicted pairs, gold pairs) from the contingency table."""
    joint = Counter(zip(gold, pred, strict=True))
    tp = sum(_pairs(n) for n in joint.values())
    return tp, sum(_pairs(n) for n in Counter(pred).values()), sum(_pairs(n) for n in Counter(gold).values())


def pairwise_prf(gold: Sequence[str], pred: Sequence[str]) -> tuple[float, float, float]:
    tp, npred, ngold = pair_counts(gold, pred)
    precision = tp / npred if npred else 1.0
    recall = tp / ngold if ngold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def adjusted_rand_index(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Hubert & Arabie's ARI: (index - expected) / (max - expected) over pair counts."""
    tp, npred, ngold = pair_counts(gold, pred)
    total = _pairs(len(gold))
    if total == 0:
        return 1.0
    expected = npred * ngold / total
    maximum = (npred + ngold) / 2
    return 1.0 if maximum == expected else (tp - expected) / (maximum - expected)


# ----------------------------------------------------------------------------------------------------
# Dataset 1: syndicated copies of real article bodies
# ----------------------------------------------------------------------------------------------------


def _extract_pages() -> list[tuple[str, str, str]]:
    """(name, main text, page chrome) per page, via trafilatura (fast) and its html2txt for the whole page."""
    import trafilatura

    meta = json.loads((ARTICLES / "evaldata.news-subset.json").read_text(encoding="utf-8"))
    out = []
    for entry in sorted(meta.values(), key=lambda e: e["file"]):
        path = ARTICLES / "tests" / "eval" / entry["file"]
        if not path.exists():
            path = ARTICLES / "tests" / "cache" / entry["file"]
        if not path.exists():
            continue
        page = path.read_text(encoding="utf-8", errors="replace")
        main = trafilatura.extract(page, fast=True) or ""
        chrome = _page_chrome(trafilatura.html2txt(page) or "", main)
        out.append((entry["file"], main, chrome))
    return out


def _page_chrome(full: str, main: str) -> str:
    """Up to 160 words of the page text before the main text starts (navigation, header): real boilerplate."""
    words = full.split()
    lead = main.split()[:6]
    if len(lead) < 6:
        return " ".join(words[:160])
    for i in range(len(words) - 5):
        if words[i : i + 6] == lead:
            return " ".join(words[max(0, i - 160) : i])
    return " ".join(words[:160])


def _edit_words(text: str, rate: float, vocab: Sequence[str], rng: random.Random) -> str:
    words = text.split(" ")
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(vocab)
    return " ".join(words)


def _perturb(
    paras: list[str], local: str, vocab: Sequence[str], rng: random.Random
) -> tuple[list[str], list[str]]:
    """One syndicated copy of a story's paragraphs; returns (paragraphs, names of the edits)."""
    ops = []
    out = list(paras)
    if len(out) >= 4 and rng.random() < 0.25:
        out = out[1:]
        ops.append("lead-trim")
    if len(out) >= 3 and rng.random() < 0.45:
        keep = max(2, math.ceil(len(out) * rng.uniform(0.3, 0.8)))
        out = out[:keep]
        ops.append("tail-trim")
    if rng.random() < 0.3:
        out.insert(rng.randrange(1, len(out) + 1), local)
        ops.append("insert")
    if rng.random() < 0.5:
        # Copy editors change a word here and there (spelling, tense, a name): 0.5–2% of the words.
        out = [_edit_words(p, rng.uniform(0.005, 0.02), vocab, rng) for p in out]
        ops.append("edit")
    return out, ops


def build_syndication(
    seed: int = 7, min_words: int = 120, pages: Sequence[tuple[str, str, str]] | None = None
) -> tuple[list[Doc], dict[str, int]]:
    pages = [(n, m, c) for n, m, c in (pages if pages is not None else _extract_pages()) if m]
    rng = random.Random(seed)
    rng.shuffle(pages)
    donors = [p for p in pages if len(p[2].split()) >= 60][:10]
    outlets = [(f"outlet{i}", chrome) for i, (_, _, chrome) in enumerate(donors)]
    rest = [p for p in pages if p not in donors and len(p[1].split()) >= min_words]
    # Disjoint roles, so no page appears in two gold clusters.
    cut1, cut2 = int(len(rest) * 0.55), int(len(rest) * 0.8)
    stories, fillers, hosts = rest[:cut1], rest[cut1:cut2], rest[cut2:]
    vocab = sorted({w for _, m, _ in pages for w in m.split() if w.isalpha() and len(w) > 3})
    # Local paragraphs inserted into copies come from pages used nowhere else.
    unused = [page for page in pages if page not in donors and page not in rest]
    fill_paras = [p for _, m, _ in unused for p in _PARA_SPLIT_RE.split(m) if len(p.split()) > 25]
    if not fill_paras:
        fill_paras = [p for _, m, _ in fillers for p in _PARA_SPLIT_RE.split(m) if len(p.split()) > 25]

    def publish(source_chrome: str, paras: list[str]) -> str:
        head, tail = source_chrome.split()[: len(source_chrome.split()) // 2], source_chrome.split()
        # Chrome both before and after, as page chrome that the cleaner missed (masthead, footer).
        return "\n".join([" ".join(head), *paras, " ".join(tail[len(head) :])])

    docs: list[Doc] = []
    ops_count: Counter[str] = Counter()
    for s_idx, (name, main, _) in enumerate(stories):
        paras = [p for p in _PARA_SPLIT_RE.split(main) if p.strip()]
        title = paras[0][:120]
        n_copies = rng.randint(2, 5)
        chosen = rng.sample(outlets, n_copies)
        for c_idx, (outlet, chrome) in enumerate(chosen):
            if c_idx == 0:
                body_paras, ops = paras, ["original"]
            else:
                body_paras, ops = _perturb(paras, rng.choice(fill_paras), vocab, rng)
            ops_count.update(ops)
            new_title = _edit_words(title, 0.3, vocab, rng) if c_idx else title
            docs.append(
                Doc(f"s{s_idx:03d}c{c_idx}", outlet, new_title, publish(chrome, body_paras), f"story-{name}",
                    published=1_700_000_000.0 + s_idx * 3600 + c_idx * 60)
            )
        # Same event, different story: another page that quotes one paragraph of this one.
        if hosts and rng.random() < 0.5 and len(paras) >= 3:
            other = hosts.pop()[1]
            other_paras = [p for p in _PARA_SPLIT_RE.split(other) if p.strip()]
            other_paras.insert(rng.randrange(1, len(other_paras) + 1), rng.choice(paras[1:]))
            outlet, chrome = rng.choice(outlets)
            docs.append(Doc(f"s{s_idx:03d}q", outlet, other_paras[0][:120], publish(chrome, other_paras),
                            f"quote-{s_idx}"))
            ops_count["hard-negative-quote"] += 1
    for f_idx, (name, main, _) in enumerate(fillers):
        outlet, chrome = rng.choice(outlets)
        paras = [p for p in _PARA_SPLIT_RE.split(main) if p.strip()]
        docs.append(Doc(f"f{f_idx:03d}", outlet, paras[0][:120], publish(chrome, paras), f"filler-{name}"))
        ops_count["unrelated-same-outlet"] += 1
    stats = {"docs": len(docs), "stories": len(stories), "outlets": len(outlets), **ops_count}
    return docs, stats


# ----------------------------------------------------------------------------------------------------
# Dataset 2: gesab001 feed items across capture rounds
# ----------------------------------------------------------------------------------------------------


def _strip_html(text: str) -> str:
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", text))).strip()


def build_headlines(max_files: int | None = None) -> tuple[list[Doc], dict[str, int]]:
    import feedparser

    rows = [json.loads(line) for line in (HEADLINES / "derived_items_index.jsonl").open(encoding="utf-8")]
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_file[row["snapshot_file"]].append(row)
    docs: list[Doc] = []
    for snap in sorted(by_file)[:max_files]:
        parsed = feedparser.parse((HEADLINES / snap).read_bytes())
        source = Path(snap).stem
        for pos, entry in enumerate(parsed.entries):
            link = entry.get("link") or entry.get("id") or ""
            if not link:
                continue
            summary = _strip_html(entry.get("summary", ""))
            title = _strip_html(entry.get("title", ""))
            docs.append(Doc(f"{snap}#{pos}", source, title, f"{title}\n{summary}", nd.canonical_url(link)))
    stats = {
        "docs": len(docs),
        "links": len({d.label for d in docs}),
        "links_seen_twice": sum(1 for n in Counter(d.label for d in docs).values() if n > 1),
    }
    return docs, stats


# ----------------------------------------------------------------------------------------------------
# Systems
# ----------------------------------------------------------------------------------------------------


def run_neardup(
    docs: Sequence[Doc], cfg: nd.DedupConfig, *, boilerplate: bool = True, exact_verify: bool = True
) -> list[str]:
    """Exact body-hash dedup first, then near-duplicate clustering with ``transforms.dedup.neardup``."""
    hashes = [nd.shingle_hashes(d.body if d.body.strip() else d.title, cfg.shingle_size) for d in docs]
    drop: dict[str, np.ndarray] = {}
    if boilerplate:
        by_source: dict[str, list[np.ndarray]] = defaultdict(list)
        for d, h in zip(docs, hashes, strict=True):
            by_source[d.source].append(h)
        drop = {s: nd.frequent_shingles(hs, cfg.boilerplate_min_docs) for s, hs in by_source.items()}
    sketches = [
        nd.make_sketch(d.id, d.title, d.body, cfg, source=d.source, published=d.published,
                       boilerplate=drop.get(d.source), hashes=h)
        for d, h in zip(docs, hashes, strict=True)
    ]
    if exact_verify:
        roots = nd.cluster_sketches(sketches, cfg)
    else:
        roots = _cluster_estimated(sketches, cfg)
    # Exact duplicates (same normalized body) join whatever the near-duplicate step says.
    by_hash: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for d in docs:
        first = by_hash.setdefault(nd.content_hash(d.body), d.id)
        if first != d.id:
            edges.append((first, d.id))
    edges.extend((i, r) for i, r in roots.items() if i != r)
    final = nd.connected_components(edges)
    return [final.get(d.id, d.id) for d in docs]


def _cluster_estimated(sketches: Sequence[nd.DocSketch], cfg: nd.DedupConfig) -> dict[str, str]:
    """What the cross-run index decides: signature-only verification through SignatureIndex.query."""
    index = SignatureIndex(cfg)
    edges: list[tuple[str, str]] = []
    for s in sketches:
        edges.extend((hit, s.id) for hit in index.query_sketch(s))
        index.add_sketch(s)
    roots = nd.connected_components(edges)
    return {s.id: roots.get(s.id, s.id) for s in sketches}


def run_datasketch(docs: Sequence[Doc], threshold: float = 0.5, k: int = 5) -> list[str] | None:
    """Plain MinHash-LSH baseline: datasketch, word k-shingles, LSH hits taken as duplicates."""
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        return None
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    edges: list[tuple[str, str]] = []
    for d in docs:
        words = nd.normalized_words(d.body if d.body.strip() else d.title)
        shingles = {" ".join(words[i : i + k]).encode() for i in range(max(1, len(words) - k + 1))}
        mh = MinHash(num_perm=128, seed=1)
        mh.update_batch(list(shingles))
        edges.extend((hit, d.id) for hit in lsh.query(mh))
        lsh.insert(d.id, mh)
    roots = nd.connected_components(edges)
    return [roots.get(d.id, d.id) for d in docs]


def score(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    p, r, f = pairwise_prf(gold, pred)
    return {"precision": p, "recall": r, "f1": f, "ari": adjusted_rand_index(gold, pred)}


def evaluate(docs: Sequence[Doc], systems: dict[str, Callable[[Sequence[Doc]], list[str] | None]]) -> dict:
    gold = [d.label for d in docs]
    results = {}
    for name, system in systems.items():
        start = time.perf_counter()
        pred = system(docs)
        if pred is None:
            continue
        results[name] = {**score(gold, pred), "seconds": time.perf_counter() - start}
    return results


def _print_table(title: str, stats: dict, results: dict) -> None:
    print(f"\n{title}  ({', '.join(f'{k}={v}' for k, v in stats.items())})")
    print(f"{'system':44s} {'P':>6s} {'R':>6s} {'F1':>6s} {'ARI':>6s} {'sec':>6s}")
    for name, m in results.items():
        print(f"{name:44s} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['ari']:6.3f} "
              f"{m['seconds']:6.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the metrics to this JSON file")
    parser.add_argument("--sweep", action="store_true", help="also sweep shingle size, thresholds, banding")
    parser.add_argument("--only-syndication", action="store_true", help="skip the (slower) headlines dataset")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not ARTICLES.exists() or not HEADLINES.exists():
        print(f"corpora absent: need {ARTICLES} and {HEADLINES} (set WIREBEAM_SHARED)", file=sys.stderr)
        return 2
    cfg = nd.DedupConfig()
    systems: dict[str, Callable[[Sequence[Doc]], list[str] | None]] = {
        "datasketch MinHashLSH t=0.5 k=5 (plain)": run_datasketch,
        "neardup, no boilerplate removal": lambda d: run_neardup(d, cfg, boilerplate=False),
        "neardup, signature-only verify (index)": lambda d: run_neardup(d, cfg, exact_verify=False),
        "neardup (default)": lambda d: run_neardup(d, cfg),
    }
    if args.sweep:
        variants = {
            "k=3": replace(cfg, shingle_size=3), "k=5": replace(cfg, shingle_size=5),
            "k=7": replace(cfg, shingle_size=7), "J>=0.4": replace(cfg, threshold=0.4),
            "J>=0.6": replace(cfg, threshold=0.6), "C>=0.8": replace(cfg, containment_threshold=0.8),
            "C>=0.9": replace(cfg, containment_threshold=0.9),
            "k=5 C>=0.8 (before tuning)": replace(cfg, shingle_size=5, containment_threshold=0.8),
            "bands 42x3": replace(cfg, bands=42, rows=3), "bands 32x4": replace(cfg, bands=32, rows=4),
            "bands 64x2": replace(cfg, bands=64, rows=2),
            "boilerplate_min_docs=3": replace(cfg, boilerplate_min_docs=3),
            "boilerplate_min_docs=6": replace(cfg, boilerplate_min_docs=6),
            "title margin 0.1, title J>=0.6": replace(cfg, title_margin=0.1),
            "title margin 0.2, title J>=0.5": replace(cfg, title_margin=0.2, title_threshold=0.5),
        }
        for label, variant in variants.items():
            systems[f"neardup {label}"] = partial(run_neardup, cfg=variant)
    report = {}
    pages = _extract_pages()
    per_seed = []
    for seed in SEEDS:
        docs, stats = build_syndication(seed, pages=pages)
        per_seed.append((stats, evaluate(docs, systems)))
    title = f"syndication (mean of {len(SEEDS)} seeds)"
    stats = {k: sum(s[k] for s, _ in per_seed) for k in per_seed[0][0]}
    results = {
        name: {m: float(np.mean([r[name][m] for _, r in per_seed])) for m in per_seed[0][1][name]}
        for name in per_seed[0][1]
    }
    _print_table(title, stats, results)
    report["syndication"] = {"seeds": list(SEEDS), "stats": stats, "results": results}
    if not args.only_syndication:
        docs, stats = build_headlines()
        results = evaluate(docs, systems)
        _print_table("headlines", stats, results)
        report["headlines"] = {"stats": stats, "results": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
