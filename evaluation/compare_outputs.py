"""Check that a change leaves `wirebeam run`'s output as it was: the same stories, duplicates and dead letters.

Runs `python -m pipeline run` on the same inputs from two source trees — the working tree and a git revision
(checked out into a temporary worktree) — and compares the records of both runs, field by field, after masking
what legitimately differs between two runs: run ids, run folders and the wall-clock timestamps `processed_at`,
`fetched_at` and a dead letter's `at`. The inputs are the bundled sample feeds and, where ../shared is beside the
checkout, one capture round of each real-feed snapshot set (`--sets` chooses).

Run: .venv/bin/python -m evaluation.compare_outputs --rev HEAD [--sets samples,gesab001,evilgodfahim] [--ignore F,…]
Exit code 0 when every set is identical, 1 otherwise (the first differences are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREBEAM_SHARED", ROOT.parent / "shared"))
REAL_FEEDS = SHARED / "corpora" / "real-feeds"
# One capture round of each real-feed set: 15 outlets of 2020 and the AP/Reuters wire snapshot.
SETS: dict[str, Path] = {
    "samples": ROOT / "pipeline" / "samples",
    "gesab001": REAL_FEEDS / "gesab001-headlines" / "snapshots" / "20200422T023913Z_7580cb4c",
    "evilgodfahim": REAL_FEEDS / "evilgodfahim-wl" / "snapshots" / "20260416T185707Z_83a647e2",
}
MASKED = frozenset({"processed_at", "fetched_at", "at"})
KINDS = ("stories", "duplicates", "dead_letter")
RUN_ID = "compare"


def feed_args(folder: Path) -> list[str]:
    """The feeds of a set as CLI arguments: a folder's catalog (`feeds.json`, as the bundled samples have) or its
    feed files."""
    if (folder / "feeds.json").exists():
        return ["--feeds-file", str(folder / "feeds.json")]
    feeds = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in {".xml", ".atom", ".json", ".rss"})
    return [arg for p in feeds for arg in ("--feeds", str(p))]


def run_tree(tree: Path, feeds: list[str], output: Path) -> Path:
    """`wirebeam run` with the feed arguments `feeds` and the code of `tree`; returns the run folder."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-m", "pipeline", "run", "--output", str(output), "--run-id", RUN_ID, "--quiet", *feeds]
    proc = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"run in {tree} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    return output / RUN_ID


def mask(value: Any, ignored: frozenset[str] = frozenset()) -> Any:
    """Masked timestamps; ``ignored`` fields (ones a change adds or redefines) left out altogether."""
    if isinstance(value, dict):
        return {k: ("<masked>" if k in MASKED else mask(v, ignored)) for k, v in value.items() if k not in ignored}
    if isinstance(value, list):
        return [mask(v, ignored) for v in value]
    return value


def records(run_dir: Path, kind: str, ignored: frozenset[str] = frozenset()) -> list[str]:
    """The run's records of one kind, masked, as sorted canonical JSON lines."""
    lines = []
    for path in sorted(run_dir.glob(f"{kind}-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(json.dumps(mask(json.loads(line), ignored), sort_keys=True, ensure_ascii=False))
    return sorted(lines)


def compare(before: Path, after: Path, ignored: frozenset[str] = frozenset()) -> list[str]:
    problems = []
    for kind in KINDS:
        a, b = records(before, kind, ignored), records(after, kind, ignored)
        if a != b:
            only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            problems.append(
                f"{kind}: {len(a)} before, {len(b)} after; {len(only_a)} only before, {len(only_b)} only after"
            )
            for line in only_a[:2]:
                problems.append(f"  before: {line[:400]}")
            for line in only_b[:2]:
                problems.append(f"  after:  {line[:400]}")
        else:
            problems.append(f"{kind}: {len(a)} records, identical")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to compare the working tree against")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--ignore", default="", help="comma-separated fields left out of the comparison (fields "
                        "the change adds or redefines)")
    args = parser.parse_args(argv)
    ignored = frozenset(f for f in args.ignore.split(",") if f)
    names = [s for s in args.sets.split(",") if s]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"--sets: unknown {', '.join(unknown)} (choose from {', '.join(SETS)})")
    identical = True
    with tempfile.TemporaryDirectory(prefix="wirebeam-compare-") as tmp:
        worktree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.rev], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            for name in names:
                folder = SETS[name]
                if not folder.exists():
                    print(f"{name}: skipped, {folder} absent")
                    continue
                feeds = feed_args(folder)
                before = run_tree(worktree, feeds, Path(tmp) / f"{name}-before")
                after = run_tree(ROOT, feeds, Path(tmp) / f"{name}-after")
                lines = compare(before, after, ignored)
                identical &= all(line.endswith("identical") for line in lines if not line.startswith("  "))
                print(f"{name} ({folder}):")
                for line in lines:
                    print(f"  {line}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False,
                           capture_output=True)
    print("identical" if identical else "DIFFERENT")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
