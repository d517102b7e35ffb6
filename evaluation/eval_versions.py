"""Count the clusters whose emitted record carries a superseded headline, on the AP/Reuters wire snapshots.

Input: every feed file under ../shared/corpora/real-feeds/evilgodfahim-wl/snapshots (AP `pau.xml` and Reuters
feeds, two captures each, plus an older Reuters capture), read by one `wirebeam run` (NER off: a blank spaCy
pipeline), or an existing run folder with `--run-dir`.

How it decides, from the run's output files only (not from wirebeam's version logic):
- a cluster is an emitted story with every entry the run reported as its duplicate (`duplicate_of` its id) and
  the copies and earlier versions its `cluster` lists;
- its outlet is the host of the emitted story's link (www. dropped);
- the emitted headline is *superseded* when a member of the cluster from the same outlet was published strictly
  later and has another headline (compared on its words, case folded: punctuation and quote style do not count).

Run: .venv/bin/python -m evaluation.eval_versions [--one-record-per-story] [--run-dir OUTPUT/RUN_ID] [--show N]
(`--one-record-per-story` shows the behaviour before story versions: the first copy kept.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SNAPSHOTS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "real-feeds" / "evilgodfahim-wl"
SNAPSHOTS = SNAPSHOTS / "snapshots"
_WORD = re.compile(r"\w+")


def records(folder: Path, prefix: str) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob(f"{prefix}-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                yield json.loads(line)


def host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").removeprefix("www.")


def headline(title: str | None) -> tuple[str, ...]:
    return tuple(_WORD.findall((title or "").casefold()))


def superseded(run_dir: Path) -> tuple[int, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """(clusters, [(emitted story, the later same-outlet member with another headline)])."""
    stories = {s["id"]: s for s in records(run_dir, "stories")}
    members: dict[str, list[dict[str, Any]]] = {sid: [] for sid in stories}
    for dup in records(run_dir, "duplicates"):
        if dup["duplicate_of"] in members:
            members[dup["duplicate_of"]].append(dup)
    found = []
    for sid, story in stories.items():
        cluster = story["cluster"]
        group = members[sid] + cluster["copies"] + cluster.get("versions", [])
        outlet, published, title = host(story["url"]), story.get("published_at"), headline(story["title"])
        later = [
            m
            for m in group
            if host(m.get("url")) == outlet
            and m.get("published_at") and published and m["published_at"] > published
            and headline(m.get("title")) != title
        ]  # fmt: skip
        if later:
            found.append((story, max(later, key=lambda m: m["published_at"])))
    return len(stories), found


def run_wirebeam(output: Path, extra: list[str]) -> Path:
    import spacy

    from pipeline.cli import main as wirebeam

    nlp = spacy.blank("en")
    ruler: Any = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "wirebeam-never-matches"}])  # an empty ruler warns
    nlp.to_disk(output / "blank-ner")
    feeds = [arg for path in sorted(SNAPSHOTS.rglob("*.xml")) for arg in ("--feeds", str(path))]
    argv = ["run", *feeds, "--output", str(output), "--run-id", "eval", "--ner-model", str(output / "blank-ner")]
    code = wirebeam([*argv, "--quiet", *extra])
    if code != 0:
        raise SystemExit(f"wirebeam run failed with exit code {code}")
    return output / "eval"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="score this finished run instead of running wirebeam")
    parser.add_argument("--one-record-per-story", action="store_true", help="run without story versions")
    parser.add_argument("--show", type=int, default=5, help="examples to print (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eval-versions-") as tmp:
        extra = ["--one-record-per-story"] if args.one_record_per_story else []
        run_dir = args.run_dir or run_wirebeam(Path(tmp), extra)
        n_clusters, found = superseded(run_dir)
        versions = sum(1 for s in records(run_dir, "stories") if s["cluster"].get("versions"))
    print(f"{len(found)} of {n_clusters} clusters emit a superseded headline; {versions} list earlier versions")
    for story, later in found[: args.show]:
        print(f"  kept  {story['published_at']}  {story['title']}\n  later {later['published_at']}  {later['title']}")
    return 0 if not found else 1


if __name__ == "__main__":
    sys.exit(main())
