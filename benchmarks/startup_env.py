"""Start-up figures bench_startup.py does not take: another environment's interpreter, and the collector's share.

    python -m benchmarks.startup_env env /tmp/rt/bin/python [--rounds 5]
        the floor and `enrich` on one story (bench_startup.py's) run by that interpreter from outside the
        repository, so that the installed wirebeam is the one run (e.g. a runtime-only install:
        `python3 -m venv /tmp/rt && /tmp/rt/bin/pip install .`, no dev extras, no apache-beam[gcp]);
        medians of wall and CPU seconds (RUSAGE_CHILDREN).
    python -m benchmarks.startup_env gc [--rounds 3]
        the one-story command in this tree with and without the start-up pause of garbage collection
        (pipeline/startup_gc.py), alternating; CPU seconds spent inside the collector (`gc.callbacks`, the
        collecting thread's time) and the process's CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_startup import ARTICLES, PAGES, ROOT, enrich_argv, floor_argv, timed_run
from evaluation.wirecopy import article_sentences, write_stories

# Runs the command in a child with the collector timed; "on" leaves collection on throughout (as before the pause).
GC_PROBE = """
import gc, sys, threading, time
mode = sys.argv.pop(1)
spent = [0.0]; local = threading.local()
def timed(phase, info):
    if phase == "start": local.t = time.thread_time()
    else: spent[0] += time.thread_time() - local.t
gc.callbacks.append(timed)
import pipeline.cli as cli
from pipeline import startup_gc
if mode == "on":
    startup_gc.pause = lambda: None
code = cli.main(sys.argv[1:])
print(f"{spent[0]:.3f} {time.process_time():.3f}")
sys.exit(code)
"""


def timed(python: str, argv: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float, str]:
    wall, cpu, done = timed_run(python, argv, cwd, env)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return wall, cpu, done.stdout


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("env", "gc"))
    parser.add_argument("python", nargs="?", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wirebeam-startup-"))
    story = work / "one.jsonl"
    write_stories(story, 1, article_sentences(PAGES, ARTICLES), copy_share=0.0)
    try:
        if args.what == "env":
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
            runs: dict[str, list[tuple[float, float]]] = {"floor": [], "command": []}
            for n in range(args.rounds):
                runs["floor"].append(timed(args.python, floor_argv(), str(work), env)[:2])
                runs["command"].append(timed(args.python, enrich_argv(story, work / f"out-{n}"), str(work), env)[:2])
            for name, values in runs.items():
                print(f"{name}: wall {median([w for w, _ in values])} s, CPU {median([c for _, c in values])} s "
                      f"(CPU of each round: {', '.join(f'{c:.2f}' for _, c in values)})")
        else:
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            spent: dict[str, list[float]] = {"on": [], "paused": []}
            cpu: dict[str, list[float]] = {"on": [], "paused": []}
            for n in range(args.rounds):
                for mode in ("on", "paused"):
                    out = enrich_argv(story, work / f"gc-{mode}-{n}")[2:]
                    _, _, stdout = timed(args.python, ["-c", GC_PROBE, mode, *out], str(ROOT), env)
                    collector, process = map(float, stdout.split()[-2:])
                    spent[mode].append(collector)
                    cpu[mode].append(process)
            for mode in spent:
                print(f"collection {mode}: {median(spent[mode])} CPU-s in the collector, process {median(cpu[mode])} "
                      f"CPU-s (medians of {args.rounds})")
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
