"""Whole-command throughput: `python -m pipeline enrich` on N real bodies, beside the bare entity model.

Input: N stories of evaluation/wirecopy.py (bodies of ~450 words of real article sentences, no syndicated copies),
as `enrich` JSONL. Two fresh processes per round, both with start-up included:
  * ``bare``    — the spaCy pipeline with only the components its `ner` uses, `nlp.pipe` (batches of 32) with
                  the matrix products the entity stage picks (`fastops.choose_ops`), freed memory retained
                  (`retain_freed_memory`) and one BLAS thread (`one_blas_thread`) — the issue's bare model — over
                  the same title + body texts the entity stage tags: what running the model alone costs;
  * ``command`` — `python -m pipeline enrich --quiet` on the JSONL: parse, clean and language, entities (the
                  model and its rules), dates, validation and the sink, on Beam's in-process runner.
Each round runs the bare model first (pytest-benchmark's `setup`), then the command; wall and CPU time
(RUSAGE_CHILDREN) of each are recorded, and `extra_info` carries stories/s (wall and CPU) and the command's time
ratio to the bare model's. N = 1,000 (two rounds); WIREBEAM_BENCH_QUICK=1: 20 stories, one round, where both are
mostly start-up.

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_enrich.py --benchmark-only \
         -o python_files='bench_*.py' -s
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_startup import ARTICLES, QUICK, enrich_argv, ratio_info, report, stories_written, timed_process
from evaluation.wirecopy import article_sentences, write_stories
from transforms.entities.loading import unneeded_components
from transforms.entities.ner import DEFAULT_MODEL

N_STORIES = 20 if QUICK else 1_000
ROUNDS = 1 if QUICK else 2
PAGES = 12 if QUICK else None

pytestmark = pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html absent")

# The bare model's process: read the JSONL, tag title + body (as the entity stage joins them) with the model alone.
BARE = """
import sys
import orjson, spacy
from transforms.entities.fastops import choose_ops, one_blas_thread, retain_freed_memory, use_ops
from transforms.entities.ner import join_title
path, model, exclude = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
with open(path, "rb") as handle:
    texts = [join_title(r.get("title") or "", r["text"]) for r in map(orjson.loads, handle)]
nlp = spacy.load(model, exclude=[name for name in exclude if name])
use_ops(nlp, choose_ops("auto"))
retain_freed_memory()
with one_blas_thread():
    docs = list(nlp.pipe(texts, batch_size=32))
print(len(docs), sum(len(doc.ents) for doc in docs))
"""


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("enrich") / f"wire-{N_STORIES}.jsonl"
    write_stories(path, N_STORIES, article_sentences(PAGES, ARTICLES), copy_share=0.0)
    return path


def test_enrich_against_bare_model(benchmark: Any, stories: Path, tmp_path: Path) -> None:
    runs: dict[str, list[tuple[float, float]]] = {"command": [], "bare": []}
    outputs: list[Path] = []
    exclude = ",".join(unneeded_components(DEFAULT_MODEL))

    def bare_first() -> None:  # not timed by pytest-benchmark: each round's bare model, just before its command
        runs["bare"].append(timed_process(["-c", BARE, str(stories), DEFAULT_MODEL, exclude]))

    def command() -> None:
        out = tmp_path / f"out-{len(outputs)}"
        outputs.append(out)
        runs["command"].append(timed_process(enrich_argv(stories, out)))

    benchmark.pedantic(command, setup=bare_first, rounds=ROUNDS, iterations=1)
    written = stories_written(outputs[-1])
    assert len(written) == N_STORIES
    assert sum(bool(s["entities"]) for s in written) >= 0.9 * N_STORIES
    info = benchmark.extra_info
    info["stories"] = N_STORIES
    info["words"] = sum(len(s["body"].split()) for s in written)
    ratio_info(info, "command", "bare", runs)
    for key in ("command", "bare"):
        info[f"{key}_stories_per_s"] = round(N_STORIES / statistics.median(w for w, _ in runs[key]), 1)
        info[f"{key}_stories_per_cpu_s"] = round(N_STORIES / statistics.median(c for _, c in runs[key]), 1)
    info["rounds"] = len(runs["command"])
    info["cpus"] = os.cpu_count()
    report(f"enrich, {N_STORIES} stories, start-up included", info)
