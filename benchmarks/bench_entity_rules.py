"""Entity stage minus the spaCy model: CPU milliseconds per story of what the stage adds to the model.

Inputs: the stories of benchmarks/bench_pipeline.py (real feed items given ~520-word bodies, after parse, clean and
dedup) and the model's raw spans for them, both computed once outside the timed calls. Timed, per story:
``model_view`` (the true-cased copy the model reads), ``refine_spans`` (document rules), ``canonicalize`` (trimmed
spans in canonical groups) and ``to_entities`` (the output records). ``extra_info`` carries the median milliseconds
per story of the whole (wall and CPU) and the CPU milliseconds of each step; caches are cleared before each round,
as a worker meets new stories, not the same ones again. ``WIREBEAM_BENCH_QUICK=1`` uses bench_pipeline's quick
inputs (2 feeds × 8 items).

Run: ``.venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_entity_rules.py --benchmark-only
-o python_files='bench_*.py' -s`` (``-s`` prints the figures).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from benchmarks.bench_pipeline import ARTICLES, HEADLINES, QUICK, build_feeds, entity_stage_bodies
from schemas.story import Entity
from transforms.entities import canonical
from transforms.entities.canonical import canonicalize
from transforms.entities.ner import EntityExtractor, refine_spans
from transforms.entities.places import load_places
from transforms.entities.spans import EntityGroup, Span
from transforms.entities.stage import to_entities
from transforms.entities.view import model_view

ROUNDS = 1 if QUICK else 5

pytestmark = pytest.mark.skipif(
    not HEADLINES.exists() or not ARTICLES.exists(),
    reason="../shared/corpora/real-feeds or ../shared/corpora/article-html absent",
)


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return entity_stage_bodies(build_feeds(tmp_path_factory.mktemp("feeds")))


@pytest.fixture(scope="module")
def raw(bodies: list[str]) -> list[list[Span]]:
    """The model's spans per story, as the stage gets them before its own rules."""
    extractor = EntityExtractor()
    extractor.load()
    return extractor.raw_spans(bodies)


def _cold_caches() -> None:
    """Each round starts as a worker meeting new stories: no name forms cached from an earlier round."""
    canonical._words.cache_clear()


def _post_process(texts: Sequence[str], raw: Sequence[Sequence[Span]], places: Mapping[str, str]) -> list[list[Entity]]:
    """What the entity stage does around the model, story by story."""
    out = []
    for text, spans in zip(texts, raw, strict=True):
        assert len(model_view(text, places)) == len(text)
        out.append(to_entities(canonicalize(text, refine_spans(text, spans, places))))
    return out


def _cpu_ms_per_story(step: Callable[[], object], stories: int) -> float:
    times = []
    for _ in range(ROUNDS):
        _cold_caches()
        t0 = time.process_time()
        step()
        times.append(time.process_time() - t0)
    return round(statistics.median(times) / stories * 1000, 3)


def test_entity_rules_per_story(benchmark: Any, bodies: list[str], raw: list[list[Span]]) -> None:
    places = load_places()
    cpu: list[float] = []

    def run() -> list[list[Entity]]:
        t0 = time.process_time()
        result = _post_process(bodies, raw, places)
        cpu.append(time.process_time() - t0)
        return result

    entities = benchmark.pedantic(run, setup=_cold_caches, rounds=ROUNDS, iterations=1)
    assert len(entities) == len(bodies)
    assert sum(len(e) for e in entities) > 3 * len(bodies)
    for body, story_entities in zip(bodies, entities, strict=True):
        assert all(body[m.start : m.end] == m.text for e in story_entities for m in e.mentions)
    if benchmark.stats is None:  # --benchmark-disable: nothing was timed
        return
    n = len(bodies)
    refined = [refine_spans(t, r, places) for t, r in zip(bodies, raw, strict=True)]
    groups: list[list[EntityGroup]] = [canonicalize(t, r) for t, r in zip(bodies, refined, strict=True)]
    info = benchmark.extra_info
    info["stories"] = n
    info["words_per_story"] = round(sum(len(b.split()) for b in bodies) / n)
    info["ms_per_story"] = round(benchmark.stats.stats.median / n * 1000, 3)
    info["cpu_ms_per_story"] = round(statistics.median(cpu) / n * 1000, 3)
    info["model_view_cpu_ms"] = _cpu_ms_per_story(lambda: [model_view(t, places) for t in bodies], n)
    info["refine_spans_cpu_ms"] = _cpu_ms_per_story(
        lambda: [refine_spans(t, r, places) for t, r in zip(bodies, raw, strict=True)], n
    )
    info["canonicalize_cpu_ms"] = _cpu_ms_per_story(
        lambda: [canonicalize(t, r) for t, r in zip(bodies, refined, strict=True)], n
    )
    info["to_entities_cpu_ms"] = _cpu_ms_per_story(lambda: [to_entities(g) for g in groups], n)
    print("\nentity rules: " + ", ".join(f"{k}={v}" for k, v in info.items()))
