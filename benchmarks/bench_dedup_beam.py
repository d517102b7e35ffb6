"""End-to-end dedup of 100,000 stories through the Beam batch path (DedupStories on the FnApiRunner).

Stories are built from real sentences of the feed items in ../shared/corpora/real-feeds: each story draws 4–9
sentences and shuffles the words inside each, so its vocabulary is real news vocabulary but its word 4-shingles
are its own (reusing whole sentences across 100k stories would make every story share quotes with hundreds of
others, which real wire copy does not). A quarter of the stories get syndicated copies the way outlets make
them: a trimmed tail, an edited word, an outlet's boilerplate line, a new URL and headline. The input is a
JSONL file read by ReadFromText (the path the pipeline uses), prepared outside the timed call. Reported: wall time,
stories/s, and the process's peak RSS (the FnApiRunner runs in-process).

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_dedup_beam.py --benchmark-only \\
         -o python_files='bench_*.py' -s
``WIREBEAM_BENCH_QUICK=1`` uses 1,000 stories (sentences of every third capture) and runs the version check's A/B
once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import re
import resource
import time
from pathlib import Path

import apache_beam as beam
import feedparser
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from schemas.story import FeedSource, Story
from transforms.dedup.members import DUPLICATES
from transforms.dedup.neardup import canonical_url, content_hash
from transforms.dedup.stage import DedupStories

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
FEEDS = SHARED / "corpora" / "real-feeds"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
N_STORIES = int(os.environ.get("WIREBEAM_DEDUP_BENCH_N", 1_000 if QUICK else 100_000))
AB_ATTEMPTS = 1 if QUICK else 2  # interleaved (without, with) pairs of the version check's A/B
COPY_SHARE = 0.25
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_TAG_RE = re.compile(r"<[^>]+>")
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)

pytestmark = pytest.mark.skipif(not FEEDS.exists(), reason=f"{FEEDS} absent")


def sentence_pool() -> list[str]:
    sentences: set[str] = set()
    # Quick mode reads every third capture: ~5,000 sentences, plenty for 1,000 stories, in a third of the time.
    for path in sorted(FEEDS.rglob("*.xml"))[:: 3 if QUICK else 1]:
        parsed = feedparser.parse(io.BytesIO(path.read_bytes()))
        for entry in parsed.entries:
            text = _TAG_RE.sub(" ", (entry.get("summary") or "") + " " + (entry.get("title") or ""))
            for sentence in _SENTENCE_RE.split(" ".join(text.split())):
                if 8 <= len(sentence.split()) <= 60:
                    sentences.add(sentence)
    return sorted(sentences)


def make_stories(n: int, seed: int = 11) -> tuple[list[Story], int]:
    rng = random.Random(seed)
    pool = sentence_pool()
    stories: list[Story] = []
    copies = 0
    while len(stories) < n:
        i = len(stories)
        sentences = []
        for sentence in rng.sample(pool, rng.randint(4, 9)):
            words = sentence.split()
            rng.shuffle(words)
            sentences.append(" ".join(words))
        body = " ".join(sentences)
        source = f"https://outlet{i % 40}.example/rss"
        url = f"https://outlet{i % 40}.example/story/{i}"
        stories.append(story(f"s{i}", url, body, source, i))
        if rng.random() < COPY_SHARE and len(stories) < n:
            words = body.split()
            cut = max(12, int(len(words) * rng.uniform(0.75, 1.0)))
            edited = words[:cut]
            edited[rng.randrange(len(edited))] = "reportedly"
            copy = " ".join(edited) + " Subscribe to our newsletter for more."
            stories.append(story(f"c{i}", f"https://copy{i % 7}.example/{i}?utm_source=rss", copy,
                                 f"https://copy{i % 7}.example/rss", i + 1))
            copies += 1
    return stories, copies


def story(sid: str, url: str, body: str, source: str, minute: int) -> Story:
    return Story(
        id=sid, url=url, canonical_url=canonical_url(url), title=f"Story {sid}", body=body,
        published_at=NOW + dt.timedelta(minutes=minute), source=FeedSource(url=source),
        content_hash=content_hash(body), fetched_at=NOW,
    )


@pytest.fixture(scope="module")
def story_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    stories, copies = make_stories(N_STORIES)
    path = tmp_path_factory.mktemp("dedup") / "stories.jsonl"
    path.write_text("".join(s.model_dump_json() + "\n" for s in stories), encoding="utf-8")
    return path, len(stories), copies


def run_dedup(path: Path, out: Path) -> dict[str, int]:
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        stories = (
            p
            | beam.io.ReadFromText(str(path))
            | "Decode" >> beam.Map(Story.model_validate_json)
        )
        result = stories | DedupStories(now=NOW)
        for name, pcoll in (("stories", result.stories), ("duplicates", result[DUPLICATES])):
            (
                pcoll
                | f"Count{name}" >> beam.combiners.Count.Globally()
                | f"Write{name}" >> beam.io.WriteToText(str(out / name), shard_name_template="")
            )
    return {name: int((out / name).read_text()) for name in ("stories", "duplicates")}


def test_dedup_100k_through_beam(benchmark, story_file, tmp_path: Path) -> None:
    path, n, copies = story_file
    started = time.perf_counter()
    counts = benchmark.pedantic(run_dedup, args=(path, tmp_path), rounds=1, iterations=1)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmark.extra_info.update({
        "stories_in": n, "syndicated_copies": copies, **counts, "seconds": round(seconds, 1),
        "stories_per_s": round(n / seconds), "peak_rss_mb": round(peak_mb),
    })
    print("\ndedup through Beam:", json.dumps(benchmark.extra_info))
    assert counts["stories"] + counts["duplicates"] == n
    # Every syndicated copy is found (a random draw of sentences can rarely duplicate another story too).
    assert copies <= counts["duplicates"] <= copies * 1.02 + 5


def _without_version_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """member_of without what story versions add to each member (outlet, fingerprint, headline and paragraph
    hashes, revision marker): the baseline the version check is measured against."""
    import transforms.dedup.members as members

    for name, value in (("outlet", lambda s: ""), ("fingerprint", lambda h, t, th: ""), ("short_hash", lambda t: ""),
                        ("paragraph_digests", lambda b: b""), ("revision_marker", lambda t: (None, 0))):  # fmt: skip
        monkeypatch.setattr(members, name, value)


def version_work(stories: list[Story]) -> None:
    """What story versions add per story, as member_of computes it."""
    from transforms.dedup import versions as v

    for s in stories:
        title_hash = v.short_hash(s.title)
        v.outlet(s), v.fingerprint(s.content_hash, s.title, title_hash)
        v.paragraph_digests(s.body), v.revision_marker(s.title)


def test_version_check_costs_at_most_a_tenth_of_dedup(story_file, tmp_path: Path) -> None:
    """The version work per story (timed alone, in a loop) against the dedup stage that does it; and the stage
    with and without that work (A/B, best of 2 interleaved runs each, one in quick mode: wall time on a shared
    machine is noisy, so the A/B is reported, the loop share asserted)."""
    path, n, _ = story_file
    stories = [Story.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    version_work(stories)
    loop = time.perf_counter() - started

    def timed(label: str) -> float:
        out = tmp_path / label
        out.mkdir()
        started = time.perf_counter()
        counts = run_dedup(path, out)
        assert counts["stories"] + counts["duplicates"] == n
        return time.perf_counter() - started

    # Interleaved (without, with, without, with), so a burst of load on the shared machine hits both alike.
    runs: dict[bool, list[float]] = {False: [], True: []}
    for attempt in range(AB_ATTEMPTS):
        for versions in (False, True):
            with pytest.MonkeyPatch.context() as mp:
                if not versions:
                    _without_version_work(mp)
                runs[versions].append(timed(f"{versions}{attempt}"))
    with_versions, without = min(runs[True]), min(runs[False])
    print(
        f"\ndedup of {n} stories: {with_versions:.2f} s with versions, {without:.2f} s without "
        f"(A/B {(with_versions - without) / with_versions:+.1%}); version work alone {loop:.3f} s "
        f"({loop / with_versions:.1%} of the stage)"
    )
    assert loop / with_versions <= 0.10
