"""End-to-end throughput of the batch pipeline on real feeds, against the sum of its stages run in a plain loop.

Input: real RSS items of ../shared/corpora/real-feeds/gesab001-headlines (the first two capture rounds: twelve
outlets, the same items re-seen hours later, so dedup has natural work). Those feeds carry one-line summaries; as
`--fetch-articles` would, each item gets a full article body as `content:encoded`, built from the main text of the
English pages of ../shared/corpora/article-html/trafilatura-eval (~450 words of sentences drawn from all pages,
so that bodies are article-sized but not near-duplicates of each other). The feeds are written to a temporary folder
outside the timed calls; the pipeline reads them as local feed files.

Measured, in one run:
  * `test_stage_loop`       — the baseline: every stage's DoFn / pure functions called in a plain Python loop on the
                              same feeds (fetch → parse → clean → dedup → entities → dates → validate + JSONL),
                              spaCy loaded once per round as the pipeline does; per-stage seconds in extra_info;
  * `test_pipeline`         — `build_pipeline` on the FnApiRunner in-process: stories/s, words/s, peak RSS, the
                              share of time per stage from Beam's own `ptransform_execution_time` metrics, and the
                              Beam overhead against the baseline (target: < 15 %), as the median over 5 rounds of
                              each pipeline run against a loop run made just before it;
  * `test_pipeline_processes[1|2]` — `--direct_running_mode=multi_processing --direct_num_workers=N`: the scaling
                              from one worker process to two (target ≥ 1.7×; the machine's two cores are shared),
                              of whole runs and of the marginal throughput (against a run on SMALL_FEEDS feeds,
                              which measures the fixed cost of a run: worker start, per-stage setup, model load);
  * `test_bare_ner_baseline` — spaCy's NER alone as a user would run it (thinc defaults) on the same bodies;
  * `test_progress_tap_cost` — what the live progress line's tap costs per element.

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_pipeline.py --benchmark-only \
         -o python_files='bench_*.py' -s
`-s` prints a summary line per benchmark. WIREBEAM_BENCH_QUICK=1 uses 2 feeds × 8 items (a few seconds).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import psutil
import pytest

from evaluation.wirecopy import article_body, article_sentences, cross_chunk, write_stories
from pipeline.options import RunConfig, environment_settings
from schemas.story import EnrichedStory, FeedSource, Story

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
HEADLINES = SHARED / "corpora" / "real-feeds" / "gesab001-headlines"
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
ROUNDS_USED = 1 if QUICK else 2  # capture rounds of gesab001; round 2 re-sees ~265 of round 1's 482 items
FEEDS_PER_ROUND = 2 if QUICK else None
ITEMS_PER_FEED = 8 if QUICK else None
PAGES = 12 if QUICK else None
BENCH_ROUNDS = 1 if QUICK else 2
PAIRED_ROUNDS = 1 if QUICK else 5  # test_pipeline: (plain loop, pipeline) pairs
SMALL_FEEDS = 2  # the small run of test_pipeline_processes, for the fixed cost of a run
# A feed summary shorter than this is "only a summary": the item gets a full article body.
SUMMARY_ONLY_CHARS = 600
STAGES = (
    "ReadFeeds",
    "ParseEntries",
    "CleanStories",
    "DedupStories",
    "ExtractEntities",
    "ExtractDates",
    "WriteStories",
)

_TAG_RE = re.compile(r"<[^>]+>")
pytestmark = pytest.mark.skipif(
    not HEADLINES.exists() or not ARTICLES.exists(),
    reason="../shared/corpora/real-feeds or ../shared/corpora/article-html absent",
)


# --- inputs (built once per module, never timed) ----------------------------------------------------------------


def rss_item(entry: Any, body: list[str] | None) -> str:
    parts = ["<item>"]
    for tag, key in (("title", "title"), ("link", "link"), ("guid", "id"), ("pubDate", "published")):
        if entry.get(key):
            parts.append(f"<{tag}>{escape(str(entry[key]))}</{tag}>")
    if entry.get("summary"):
        parts.append(f"<description>{escape(entry['summary'])}</description>")
    if body:
        html = "".join(f"<p>{escape(p)}</p>" for p in body)
        parts.append(f"<content:encoded>{escape(html)}</content:encoded>")
    parts.append("</item>")
    return "".join(parts)


def build_feeds(folder: Path) -> list[FeedSource]:
    """Rewrite the chosen real feeds with full bodies into `folder`; one FeedSource per file."""
    import feedparser

    pool = article_sentences(PAGES, ARTICLES)
    rounds = sorted(p for p in (HEADLINES / "snapshots").iterdir() if p.is_dir())[:ROUNDS_USED]
    sources, k = [], 0
    for snap in rounds:
        for path in sorted(snap.glob("*.xml"))[:FEEDS_PER_ROUND]:
            parsed = feedparser.parse(path.read_bytes())
            items = []
            for entry in parsed.entries[:ITEMS_PER_FEED]:
                summary = _TAG_RE.sub(" ", entry.get("summary", ""))
                body = article_body(k, pool) if len(summary) < SUMMARY_ONLY_CHARS else None
                if body:
                    body = [summary.strip(), *body] if summary.strip() else body
                items.append(rss_item(entry, body))
                k += 1
            target = folder / f"{snap.name}-{path.name}"
            target.write_text(
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
                f"<title>{escape(parsed.feed.get('title', path.stem))}</title>"
                f"<link>{escape(parsed.feed.get('link', 'https://example.org/'))}</link>"
                f"<description>benchmark copy</description>{''.join(items)}</channel></rss>",
                encoding="utf-8",
            )
            sources.append(FeedSource(url=str(target), name=path.stem))
    return sources


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> list[FeedSource]:
    from transforms.entities.ner import DEFAULT_MODEL, EntityExtractor

    # Import spaCy and read the model files once, untimed: the first of the timed runs would otherwise pay
    # Python's one-off module imports that no later run (and no long-lived worker) pays.
    EntityExtractor(DEFAULT_MODEL).load()
    return build_feeds(tmp_path_factory.mktemp("feeds"))


@pytest.fixture(scope="module")
def results() -> dict[str, float]:
    """Medians (s) recorded by earlier benchmarks of this module, for the ratios."""
    return {}


def _config(feeds: list[FeedSource], output: Path) -> RunConfig:
    # WIREBEAM_GEMM / WIREBEAM_MALLOC reach the benchmark's runs as they reach the CLI's.
    environment = environment_settings(os.environ)
    return RunConfig(command="run", output=str(output), feeds=tuple(feeds), quiet=True, **environment)


# --- peak memory ---------------------------------------------------------------------------------------------


class PeakRss:
    """Samples the RSS of this process every 50 ms (the in-process runs; the process runs are not sampled).

    Only this process: listing child processes scans /proc under the GIL (~1.5 ms a time, 3 % of a core at 20 Hz),
    which would slow the run it measures."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        me = psutil.Process()
        while True:
            self.peak = max(self.peak, me.memory_info().rss)
            if self._stop.wait(0.05):
                return


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Beam's worker processes, once they have exited).

    On a shared machine wall time measures the neighbours too; CPU time is what "per core" figures need.
    """
    t = psutil.Process().cpu_times()
    return t.user + t.system + t.children_user + t.children_system


# --- the pipeline --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunOutcome:
    stories: int
    entries: int
    reconciled: bool
    stage_ms: dict[str, float]
    run_dir: str

    @property
    def words(self) -> int:
        """Words of the stories written (read back after the timed run)."""
        from pipeline.driver import files_with_prefix, read_lines

        lines = read_lines(files_with_prefix(self.run_dir, "stories"))
        return sum(len(EnrichedStory.model_validate_json(line).body.split()) for line in lines)


def stage_times(result: Any) -> dict[str, float]:
    """Beam's per-transform execution time (ms), summed per stage label (the stages inside ProcessStories count
    as their own)."""
    times: Counter[str] = Counter()
    for item in result.monitoring_metrics().query()["counters"]:
        if item.key.metric.name.endswith("ptransform_execution_time:total_msecs:v1"):
            top = item.key.step.removeprefix("ProcessStories/").split("/", 1)[0]
            times[top if top in STAGES else "other"] += item.committed
    return dict(times)


def run_pipeline(feeds: list[FeedSource], output: Path, beam_args: list[str]) -> RunOutcome:
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.build import build_pipeline
    from pipeline.driver import create_run_dir, files_with_prefix, read_lines, tally, totals_of
    from pipeline.progress import progress_display

    config = _config(feeds, output)
    run_dir = create_run_dir(str(output), f"bench-{time.monotonic_ns()}")
    # As the driver builds it: `quiet` (and no terminal) → no progress taps; test_progress_tap_cost has their cost.
    options = PipelineOptions(["--runner=FnApiRunner", *beam_args])
    pipeline = build_pipeline(config, options, run_dir, progress=progress_display(config).enabled)
    result = pipeline.run()
    result.wait_until_finish()
    counts = tally(run_dir, config)
    totals = totals_of(counts)
    return RunOutcome(
        stories=sum(1 for _ in read_lines(files_with_prefix(run_dir, "stories"))),
        entries=totals.entries_read,
        reconciled=all(c.reconciled for c in counts.values()),
        stage_ms=stage_times(result),
        run_dir=run_dir,
    )


# --- the baseline: the same stages in a plain loop -----------------------------------------------------------


def _main_outputs(outputs: Iterator[Any] | None) -> list[Any]:
    from apache_beam.pvalue import TaggedOutput

    return [o for o in outputs or () if not isinstance(o, TaggedOutput)]


def dedup_loop(stories: list[Story], now: dt.datetime) -> list[EnrichedStory]:
    """DedupStories without Beam: the same sketches (per-source boilerplate left out), keys, verification,
    components and resolution, with dicts in place of the GroupByKeys and joins.

    Pairs are formed here (exact keys: a star; LSH band keys: every pair, verified) rather than with the
    composite's private helpers, so the baseline does not break each time the composite's plumbing changes.
    """
    from transforms.dedup.members import DedupConfig, member_of, near_duplicates, resolve_cluster, sketch_text
    from transforms.dedup.neardup import connected_components, frequent_shingles, shingle_hashes

    cfg = DedupConfig()
    hashes = [shingle_hashes(sketch_text(s), cfg.shingle_size) for s in stories]
    per_source: dict[str, list[Any]] = {}
    for story, h in zip(stories, hashes, strict=True):
        per_source.setdefault(story.source.url, []).append(h)
    boiler = {src: frequent_shingles(hs, cfg.boilerplate_min_docs) for src, hs in per_source.items()}
    members = [member_of(s, cfg, h, boiler.get(s.source.url)) for s, h in zip(stories, hashes, strict=True)]
    by_key: dict[str, list[Any]] = {}
    for m in members:
        for key in m.keys:
            by_key.setdefault(key, []).append(m)
    edges: set[tuple[str, str]] = set()
    for key, group in by_key.items():
        ids = sorted(m.id for m in group)
        if not key.startswith("b:"):
            edges.update((ids[0], other) for other in ids[1:])
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                if pair not in edges and near_duplicates(a, b, cfg):
                    edges.add(pair)
    roots = connected_components(sorted(edges))
    groups: dict[str, list[Any]] = {}
    for m in members:
        groups.setdefault(roots.get(m.id, m.id), []).append(m)
    by_id = {s.id: s for s in stories}
    out: list[EnrichedStory] = []
    for group in groups.values():
        items = [(m, by_id[m.id]) for m in group]
        out += [o for o in _main_outputs(resolve_cluster(items, now)) if isinstance(o, EnrichedStory)]
    return out


def stage_loop(feeds: list[FeedSource], output: Path) -> tuple[int, dict[str, float]]:
    """Every stage once over the input in plain Python; returns (stories written, seconds per stage)."""
    from transforms.dates.stage import ExtractDatesFn
    from transforms.entities.stage import ExtractEntitiesFn
    from transforms.fetch.http import FetchSettings
    from transforms.fetch.stage import FetchedFeed, FetchFeedFn
    from transforms.parse.stage import ParseFeedFn
    from transforms.sink.stage import ValidateStoryFn

    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    config = _config(feeds, output)
    fetch = FetchFeedFn(FetchSettings(), {})
    fetch.setup()
    fetched = [f for s in feeds for f in _main_outputs(fetch.process(s)) if isinstance(f, FetchedFeed)]
    lap("ReadFeeds")
    parse = ParseFeedFn()
    entries = [e for f in fetched for e in _main_outputs(parse.process(f))]
    lap("ParseEntries")
    from transforms.clean.stage import CleanEntryFn

    clean = CleanEntryFn()
    stories = [s for e in entries for s in _main_outputs(clean.process(e))]
    lap("CleanStories")
    kept = dedup_loop(stories, dt.datetime.now(dt.UTC))
    lap("DedupStories")
    entities = ExtractEntitiesFn(config.ner_model, config.ner_batch_size, gemm=config.gemm, malloc=config.malloc)
    entities.setup()
    size = config.ner_batch_size
    tagged = [s for i in range(0, len(kept), size) for s in _main_outputs(entities.process(kept[i : i + size]))]
    lap("ExtractEntities")
    dates = ExtractDatesFn()
    dated = [s for story in tagged for s in _main_outputs(dates.process(story))]
    lap("ExtractDates")
    validate = ValidateStoryFn()
    with open(output / f"loop-{time.monotonic_ns()}.jsonl", "w", encoding="utf-8") as handle:
        written = 0
        for story in dated:
            for _, line in _main_outputs(validate.process(story)):
                handle.write(line + "\n")
                written += 1
    lap("WriteStories")
    return written, seconds


# --- benchmarks ----------------------------------------------------------------------------------------------


def _report(name: str, info: dict[str, Any]) -> None:
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in info.items()))


def test_stage_loop(benchmark: Any, feeds: list[FeedSource], results: dict[str, Any], tmp_path: Path) -> None:
    laps: list[dict[str, float]] = []

    cpu: list[float] = []

    def once() -> int:
        before = cpu_seconds()
        written, seconds = stage_loop(feeds, tmp_path)
        cpu.append(cpu_seconds() - before)
        laps.append(seconds)
        return written

    written = benchmark.pedantic(once, rounds=BENCH_ROUNDS, iterations=1)
    assert written > 0
    results["loop_stories"] = written
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    per_stage = {s: statistics.median(lap[s] for lap in laps) for s in STAGES}
    total = sum(per_stage.values())
    info = benchmark.extra_info
    info["stories"] = written
    info["stories_per_s"] = round(written / median, 1)
    info["cpu_s"] = round(statistics.median(cpu), 2)
    info["stories_per_cpu_s"] = round(written / info["cpu_s"], 1)
    for stage, secs in per_stage.items():
        info[f"{stage}_s"] = round(secs, 2)
        info[f"{stage}_share"] = round(secs / total, 3)
    _report("stage loop", info)


def test_pipeline(benchmark: Any, feeds: list[FeedSource], results: dict[str, Any], tmp_path: Path) -> None:
    outcomes: list[RunOutcome] = []
    peaks: list[int] = []
    cpu: list[float] = []
    walls: list[float] = []
    # Each timed run is preceded (untimed, in the benchmark's `setup`) by a run of the plain loop: the machine's
    # speed drifts by 10 % and more over minutes, so the overhead is the median over rounds of each pipeline run
    # against the loop run just before it, not a ratio of two medians taken minutes apart.
    loop_walls: list[float] = []
    loop_cpu: list[float] = []

    def loop_first() -> None:
        before, started = cpu_seconds(), time.perf_counter()
        stage_loop(feeds, tmp_path)
        loop_walls.append(time.perf_counter() - started)
        loop_cpu.append(cpu_seconds() - before)

    def once() -> RunOutcome:
        before, started = cpu_seconds(), time.perf_counter()
        with PeakRss() as rss:
            outcome = run_pipeline(feeds, tmp_path, [])
        walls.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - before)
        peaks.append(rss.peak)
        outcomes.append(outcome)
        return outcome

    outcome = benchmark.pedantic(once, setup=loop_first, rounds=PAIRED_ROUNDS, iterations=1)
    assert outcome.reconciled and outcome.stories > 0
    assert outcome.entries == sum(1 for _ in _entries(feeds))
    if "loop_stories" in results:
        # The same stories as the plain loop (within 1 %: the loop pairs LSH buckets its own way), so the two
        # timings compare like for like.
        assert abs(outcome.stories - results["loop_stories"]) <= max(1, results["loop_stories"] // 100)
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    results["pipeline"] = median
    info = benchmark.extra_info
    info["entries"] = outcome.entries
    info["stories"] = outcome.stories
    info["stories_per_s"] = round(outcome.stories / median, 1)
    words = outcome.words
    info["words_per_s"] = round(words / median)
    info["cpu_s"] = round(statistics.median(cpu), 2)
    info["stories_per_cpu_s"] = round(outcome.stories / info["cpu_s"], 1)
    info["words_per_cpu_s"] = round(words / info["cpu_s"])
    info["peak_rss_mb"] = round(max(peaks) / 2**20)
    stage_ms = outcome.stage_ms
    measured = sum(stage_ms.values())
    for stage in (*STAGES, "other"):
        info[f"{stage}_share"] = round(stage_ms.get(stage, 0) / (median * 1000), 3)
    info["unattributed_share"] = round(1 - measured / (median * 1000), 3)
    info["loop_s"] = round(statistics.median(loop_walls), 2)
    info["loop_stories_per_s"] = round(outcome.stories / info["loop_s"], 1)
    info["beam_overhead"] = round(statistics.median((p - lp) / p for p, lp in zip(walls, loop_walls, strict=True)), 3)
    info["beam_overhead_cpu"] = round(statistics.median((p - lp) / p for p, lp in zip(cpu, loop_cpu, strict=True)), 3)
    info["beam_overhead_rounds"] = [round((p - lp) / p, 3) for p, lp in zip(walls, loop_walls, strict=True)]
    _report("pipeline (FnApiRunner, in-process)", info)


@pytest.mark.skipif(QUICK, reason="quick mode: starting worker processes (Beam + spaCy each) alone takes ~15 s")
@pytest.mark.parametrize("workers", [1, 2])
def test_pipeline_processes(
    benchmark: Any, feeds: list[FeedSource], results: dict[str, Any], tmp_path: Path, workers: int
) -> None:
    args = ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    cpu: list[float] = []

    def once() -> RunOutcome:
        before = cpu_seconds()
        outcome = run_pipeline(feeds, tmp_path, args)
        cpu.append(cpu_seconds() - before)
        return outcome

    outcome = benchmark.pedantic(once, rounds=BENCH_ROUNDS, iterations=1)
    assert outcome.reconciled and outcome.stories > 0
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    # The same run on the first SMALL_FEEDS feeds only: what a run costs whatever its size (starting the worker
    # processes, Beam's per-stage setup, the model load), so that the marginal throughput — stories per second
    # once the run is going — can be told apart from the fixed cost that a small batch pays in full.
    small_times, small_stories = [], 0
    for _ in range(BENCH_ROUNDS):
        start = time.perf_counter()
        small_stories = run_pipeline(feeds[:SMALL_FEEDS], tmp_path, args).stories
        small_times.append(time.perf_counter() - start)
    small = statistics.median(small_times)
    results[f"processes_{workers}"] = median
    info = benchmark.extra_info
    info["stories_per_s"] = round(outcome.stories / median, 1)
    info["cpu_s"] = round(statistics.median(cpu), 2)
    info["small_run_s"] = round(small, 2)
    info["small_run_stories"] = small_stories
    if median > small:
        marginal = (outcome.stories - small_stories) / (median - small)
        results[f"marginal_{workers}"] = marginal
        info["marginal_stories_per_s"] = round(marginal, 1)
    info["cpu_count"] = os.cpu_count()
    info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    if workers == 2 and "processes_1" in results:
        info["scaling_vs_1"] = round(results["processes_1"] / median, 2)
        if "marginal_1" in results and "marginal_2" in results:
            info["marginal_scaling_vs_1"] = round(results["marginal_2"] / results["marginal_1"], 2)
    _report(f"pipeline, {workers} worker process(es)", info)


def entity_stage_bodies(feeds: list[FeedSource]) -> list[str]:
    """The bodies that reach the entity stage (after parse, clean and dedup); also used by bench_entity_rules.py."""
    from transforms.clean.stage import CleanEntryFn
    from transforms.fetch.http import FetchSettings
    from transforms.fetch.stage import FetchedFeed, FetchFeedFn
    from transforms.parse.stage import ParseFeedFn

    fetch, parse, clean = FetchFeedFn(FetchSettings(), {}), ParseFeedFn(), CleanEntryFn()
    fetch.setup()
    fetched = [f for s in feeds for f in _main_outputs(fetch.process(s)) if isinstance(f, FetchedFeed)]
    stories = [s for f in fetched for e in _main_outputs(parse.process(f)) for s in _main_outputs(clean.process(e))]
    return [s.body for s in dedup_loop(stories, dt.datetime.now(dt.UTC))]


@pytest.fixture(scope="module")
def kept_bodies(feeds: list[FeedSource]) -> list[str]:
    """The bodies that reach the entity stage, for the bare-model baseline."""
    return entity_stage_bodies(feeds)


def test_bare_ner_baseline(benchmark: Any, kept_bodies: list[str], results: dict[str, Any]) -> None:
    """spaCy's NER alone as a user would run it (only the components NER needs, thinc's default blis matrix
    products, `nlp.pipe`, model load included) on the same bodies. The entity stage runs the same model faster
    (transforms/entities/fastops.py), so this is a reference point, no longer a ceiling."""
    import spacy

    from transforms.entities.ner import DEFAULT_MODEL

    def once() -> int:
        nlp = spacy.load(DEFAULT_MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
        return sum(len(doc.ents) for doc in nlp.pipe(kept_bodies, batch_size=32))

    cpu: list[float] = []

    def timed() -> int:
        before = cpu_seconds()
        found = once()
        cpu.append(cpu_seconds() - before)
        return found

    assert benchmark.pedantic(timed, rounds=BENCH_ROUNDS, iterations=1) > 0
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    words = sum(len(b.split()) for b in kept_bodies)
    info = benchmark.extra_info
    info["stories"] = len(kept_bodies)
    info["stories_per_s"] = round(len(kept_bodies) / median, 1)
    info["words_per_s"] = round(words / median)
    info["cpu_s"] = round(statistics.median(cpu), 2)
    info["stories_per_cpu_s"] = round(len(kept_bodies) / info["cpu_s"], 1)
    info["words_per_cpu_s"] = round(words / info["cpu_s"])
    _report("bare spaCy NER (thinc defaults)", info)


def test_progress_tap_cost(benchmark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.progress import read_progress
    from transforms.progress import PROGRESS_ENV, ProgressTallyFn

    monkeypatch.setenv(PROGRESS_ENV, str(tmp_path))
    n = 20_000 if QUICK else 200_000
    fn = ProgressTallyFn("stories")
    fn.setup()
    process: Callable[[Any], Any] = fn.process

    def tally() -> None:
        for i in range(n):
            process(i)
        fn.finish_bundle()

    benchmark(tally)
    assert read_progress(tmp_path).stories % n == 0 and read_progress(tmp_path).stories > 0
    if benchmark.stats is not None:
        benchmark.extra_info["ns_per_element"] = round(benchmark.stats.stats.median / n * 1e9)
        _report("progress tap", benchmark.extra_info)


def _entries(feeds: list[FeedSource]) -> Iterator[Any]:
    import feedparser

    for feed in feeds:
        yield from feedparser.parse(Path(feed.url).read_bytes()).entries


# --- large inputs: the growth curve of a chunked run, and a naive stack ----------------------------------------

# Input sizes of the growth curve (stories) and the --chunk-size they run with: the largest is several chunks, so
# its peak RSS must stay near that of one chunk (ratio ≤ 1.3 between the two largest, which are ≥ one chunk each).
# Quick mode keeps the two largest points' check (one chunk, then two) and leaves out a third process.
GROWTH_SIZES = (20, 40) if QUICK else (2_500, 5_000, 10_000)
GROWTH_CHUNK = 20 if QUICK else 2_500


@pytest.fixture(scope="module")
def growth_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, dict[str, str]]]:
    """`enrich` JSONL of each size (evaluation/wirecopy.py: real sentences, 10 % syndicated copies of earlier
    stories, so most copies are in a later chunk than their original), with the copies dedup must find."""
    folder = tmp_path_factory.mktemp("growth")
    pool = article_sentences(PAGES, ARTICLES)
    return {n: (folder / f"wire-{n}.jsonl", write_stories(folder / f"wire-{n}.jsonl", n, pool)) for n in GROWTH_SIZES}


def peak_rss_run(argv: list[str]) -> int:
    """Peak RSS (bytes) of one `python -m pipeline …` process, read by a parent of its own from getrusage."""
    import subprocess
    import sys

    probe = (
        "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "pipeline", *argv],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.split()[-1]) * 1024


@pytest.mark.parametrize("size", GROWTH_SIZES)
def test_growth_curve(
    benchmark: Any, size: int, growth_inputs: dict[int, tuple[Path, dict[str, str]]], results: dict[str, Any],
    tmp_path: Path,
) -> None:
    """`wirebeam enrich --dedup` as a user runs it (a fresh process: start-up and model load included) on `size`
    stories in chunks of GROWTH_CHUNK: stories/s, peak RSS, every cross-chunk copy found and no false merge."""
    import json

    path, expected = growth_inputs[size]
    peaks: list[int] = []

    def once() -> Path:
        out = tmp_path / f"out-{time.monotonic_ns()}"
        peaks.append(
            peak_rss_run(
                ["enrich", "--dedup", "--quiet", "--input", str(path), "--output", str(out),
                 "--state", str(out / "state"), "--chunk-size", str(GROWTH_CHUNK)]
            )
        )
        return next(out.glob("*/manifest.json")).parent

    run = benchmark.pedantic(once, rounds=1, iterations=1)
    stories = {}
    for shard in run.glob("stories-*.jsonl"):
        for line in shard.read_text().splitlines():
            record = json.loads(line)
            stories[record["id"]] = record["url"]
    found = {}
    for shard in run.glob("duplicates-*.jsonl"):
        for line in shard.read_text().splitlines():
            record = json.loads(line)
            found[record["url"]] = stories[record["duplicate_of"]]
    # Every copy whose original is in an earlier chunk, and no false merge (dedup's own recall within a job is
    # measured in evaluation/eval_dedup.py).
    assert cross_chunk(path, expected, GROWTH_CHUNK).items() <= found.items() <= expected.items()
    results.setdefault("growth_peak", {})[size] = max(peaks)
    if size == GROWTH_SIZES[-1] and GROWTH_SIZES[-2] >= GROWTH_CHUNK:
        assert results["growth_peak"][size] <= 1.3 * results["growth_peak"][GROWTH_SIZES[-2]], results["growth_peak"]
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    info = benchmark.extra_info
    info["stories_in"] = size
    info["chunks"] = -(-size // GROWTH_CHUNK)
    info["stories_per_s"] = round(size / median, 1)
    info["peak_rss_mb"] = round(max(peaks) / 2**20)
    info["copies_found"] = f"{len(found)}/{len(expected)}"
    info["load_average"] = round(os.getloadavg()[0], 2)
    results.setdefault("growth_rate", {})[size] = size / median
    _report(f"growth curve ({size} stories)", info)


def naive_stack(feeds: list[FeedSource]) -> int:
    """The same job the way a user writes it first: feedparser, trafilatura for the main text, spaCy's full
    default pipeline, dateparser's search_dates, a set of body hashes for dedup, json.dumps. Returns the stories
    written."""
    import hashlib
    import json

    import feedparser
    import spacy
    import trafilatura
    from dateparser.search import search_dates

    from transforms.entities.ner import DEFAULT_MODEL

    nlp = spacy.load(DEFAULT_MODEL)
    seen: set[str] = set()
    written = 0
    for feed in feeds:
        for entry in feedparser.parse(Path(feed.url).read_bytes()).entries:
            html = entry.get("content", [{}])[0].get("value") or entry.get("summary", "")
            text = trafilatura.extract(f"<html><body>{html}</body></html>") or _TAG_RE.sub(" ", html)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            doc = nlp(text)
            dates = search_dates(text, languages=["en"]) or []
            json.dumps(
                {
                    "title": entry.get("title"),
                    "body": text,
                    "entities": [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents],
                    "dates": [(found, value.isoformat()) for found, value in dates],
                }
            )
            written += 1
    return written


def test_naive_stack(benchmark: Any, feeds: list[FeedSource], results: dict[str, Any]) -> None:
    """The naive stack on test_pipeline's feeds, in the same run: entries/s of each and their ratio."""
    entries = sum(1 for _ in _entries(feeds))
    written = benchmark.pedantic(naive_stack, args=(feeds,), rounds=1, iterations=1)
    assert written > 0
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    info = benchmark.extra_info
    info["entries"] = entries
    info["entries_per_s"] = round(entries / median, 1)
    if "pipeline" in results:
        info["wirebeam_entries_per_s"] = round(entries / results["pipeline"], 1)
        info["wirebeam_over_naive"] = round(median / results["pipeline"], 2)
    info["load_average"] = round(os.getloadavg()[0], 2)
    _report("naive stack (feedparser + trafilatura + spaCy full + dateparser)", info)
