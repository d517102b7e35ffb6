"""Score `wirebeam enrich` on whole HTML pages: the body of the story each page becomes, before and after pages
took the article path.

Each of the 100 news pages of ../shared/corpora/article-html/trafilatura-eval becomes one enrich input line
`{"id": <file>, "html": <the page>}` (no title, url or date: what a user with a folder of saved pages has) and
goes through the enrich code path up to the story (`parse_story_line` → `clean_entry`). Rows:
- "feed-HTML cleaner (before)": the same line with `"page": false`, i.e. the page through the cleaner for feed
  HTML, which is what enrich did with every `html` field before;
- "article path (after)": the line as given; the page is detected as a whole document and takes the article path.
Scores per row, on the story body (plus its lifted dateline and credit lines, as eval_clean scores the full path):
- snippet precision/recall/F1 against trafilatura's snippet ground truth (as evaluation/eval_clean.py);
- word 4-shingle precision/recall/F1 per page, averaged over pages, against trafilatura's own default
  extraction (this dev set has snippets, not whole reference bodies: the shingle figures measure agreement with
  a strong extractor, the snippet figures measure quality);
- `empty_story`: pages whose line ends as that dead letter (no title and no text left).

Run: .venv/bin/python -m evaluation.eval_enrich_pages [--json PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import orjson

from evaluation.eval_clean import ARTICLES, EVALDATA, Score, shingles
from schemas.story import FeedSource, Story
from transforms.clean.stage import INPUT_TAG, clean_entry
from transforms.parse.stage import parse_story_line

ROWS = {"feed-HTML cleaner (before)": False, "article path (after)": None}
SOURCE = FeedSource(url="pages.jsonl", tags=[INPUT_TAG])
FETCHED_AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def story_text(story: Story | None) -> str:
    if story is None:
        return ""
    dateline = [f"{story.dateline.location}"] if story.dateline else []
    return "\n\n".join([*dateline, story.body, *story.credits])


def enrich_story(name: str, html: str, page: bool | None) -> Story | None:
    """The story enrich makes of the page, or None where it ends as an empty_story dead letter."""
    line: dict[str, Any] = {"id": name, "html": html}
    if page is not None:
        line["page"] = page
    entry = parse_story_line(orjson.dumps(line).decode(), SOURCE, FETCHED_AT)
    try:
        return clean_entry(entry)
    except ValueError:
        return None


def shingle_prf(reference: str, output: str) -> tuple[float, float, float]:
    ref, out = shingles(reference), shingles(output)
    if not ref or not out:
        return 0.0, 0.0, 0.0
    common = len(ref & out)
    precision, recall = common / len(out), common / len(ref)
    return precision, recall, (2 * precision * recall / (precision + recall) if common else 0.0)


def evaluate(limit: int | None = None) -> dict[str, dict[str, float]]:
    import trafilatura
    from trafilatura.utils import decode_file

    evaldata: dict[str, dict[str, Any]] = json.loads(EVALDATA.read_text(encoding="utf-8"))
    scores = {row: Score() for row in ROWS}
    shingle_scores: dict[str, list[tuple[float, float, float]]] = {row: [] for row in ROWS}
    empty = dict.fromkeys(ROWS, 0)
    for item in list(evaldata.values())[:limit]:
        path = next(p for p in (ARTICLES / "tests" / d / item["file"] for d in ("cache", "eval")) if p.is_file())
        html = decode_file(path.read_bytes())
        reference = (
            trafilatura.extract(html, fast=False, include_comments=False, include_tables=True, include_formatting=False)
            or ""
        )
        for row, page in ROWS.items():
            story = enrich_story(item["file"], html, page)
            empty[row] += story is None
            text = story_text(story)
            scores[row].add(item, text)
            shingle_scores[row].append(shingle_prf(reference, text))
    results = {}
    for row in ROWS:
        m = scores[row].metrics()
        n = len(shingle_scores[row])
        p, r, f = (sum(s[i] for s in shingle_scores[row]) / n for i in range(3))
        results[row] = {
            "snippet_precision": m["precision"],
            "snippet_recall": m["recall"],
            "snippet_f1": m["f1"],
            "shingle4_precision_vs_trafilatura": round(p, 4),
            "shingle4_recall_vs_trafilatura": round(r, 4),
            "shingle4_f1_vs_trafilatura": round(f, 4),
            "empty_story": empty[row],
            "pages": n,
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    args = parser.parse_args(argv)
    results = evaluate(args.limit)
    print(f"{'row':28} {'snip P':>7} {'snip R':>7} {'snip F1':>7} {'sh4 P':>7} {'sh4 R':>7} {'sh4 F1':>7} {'empty':>6}")
    for row, m in results.items():
        print(
            f"{row:28} {m['snippet_precision']:7.3f} {m['snippet_recall']:7.3f} {m['snippet_f1']:7.3f} "
            f"{m['shingle4_precision_vs_trafilatura']:7.3f} {m['shingle4_recall_vs_trafilatura']:7.3f} "
            f"{m['shingle4_f1_vs_trafilatura']:7.3f} {m['empty_story']:6d}"
        )
    print("sh4 = word 4-shingles against trafilatura's default extraction of the same page, averaged over pages")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
