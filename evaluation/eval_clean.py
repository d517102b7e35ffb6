"""Evaluate article extraction and cleaning against trafilatura's news snippets and Reuters wire leads.

1. Snippet scoring on ../shared/corpora/article-html/trafilatura-eval (100 news pages), as trafilatura's own
   evaluation does: per page, a `with` snippet found in the output is a true positive, missing a false negative;
   a `without` snippet found is a false positive (whitespace-normalized substring match). Rows: plain trafilatura
   (default and fast, run on the page bytes exactly like trafilatura's evaluation) and wirebeam's full path
   (`extract_article` then `clean_story`; scored on the body plus the credit lines, which wirebeam keeps in a
   field of their own). Also: how much of trafilatura's own text wirebeam keeps (word 4-shingle recall against
   trafilatura default), a guard against removing story sentences.
2. Dateline detection on the Reuters leads of ../shared/corpora/real-feeds/evilgodfahim-wl (reuters.xml).

Run: .venv/bin/python -m evaluation.eval_clean [--json PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transforms.article.page import extract_article
from transforms.clean.story import clean_story

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"
EVALDATA = ARTICLES / "evaldata.news-subset.json"
REUTERS_LEADS = SHARED / "corpora" / "real-feeds" / "evilgodfahim-wl" / "snapshots"
_WS_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")


def norm(text: str) -> str:
    """Whitespace-normalized, as trafilatura's eval_common.norm."""
    return _WS_RE.sub(" ", text).strip()


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    """Word n-gram set (lowercased words)."""
    words = _WORD_RE.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 0))}


@dataclass
class Score:
    """Snippet confusion counts, time and pages for one system."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    seconds: float = 0.0
    pages: int = 0
    empty: int = 0
    shingle_recall_vs_default: list[float] = field(default_factory=list)

    def add(self, item: dict[str, Any], result: str | None) -> None:
        res = norm(result or "")
        tp = sum(1 for w in item["with"] if norm(w) in res)
        fp = sum(1 for w in item["without"] if norm(w) in res)
        self.tp += tp
        self.fp += fp
        self.fn += len(item["with"]) - tp
        self.tn += len(item["without"]) - fp
        self.pages += 1
        self.empty += not res

    def metrics(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        kept = self.shingle_recall_vs_default
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "docs_per_s": round(self.pages / self.seconds, 1) if self.seconds else 0.0,
            "empty": self.empty,
            "shingle_recall_vs_trafilatura_default": round(sum(kept) / len(kept), 4) if kept else float("nan"),
        }


def page_title(html: str) -> str | None:
    """The title the page declares (og:title, else <title>), standing in for the feed entry's title."""
    import lxml.html

    try:
        found = lxml.html.fromstring(html).xpath('//meta[@property="og:title"]/@content|//title/text()')
    except (ValueError, lxml.etree.LxmlError):
        return None
    return next((str(t).strip() for t in found if str(t).strip()), None)


def wirebeam_outputs(html: str, title: str | None) -> dict[str, str | None]:
    """extract_article then clean_story, as FetchArticles → CleanStories run them.

    Three views: the extracted text; the story body with the fields lifted out of it put back (dateline first,
    credit lines last: what the Story carries in total); the story body alone.
    """
    text = extract_article(html)
    if text is None:
        return dict.fromkeys(WIREBEAM_ROWS)
    cleaned = clean_story(text, title=title, is_html=False, published=None)
    lifted = [cleaned.dateline.raw] if cleaned.dateline else []
    return {
        WIREBEAM_ROWS[0]: text,
        WIREBEAM_ROWS[1]: "\n\n".join([*lifted, cleaned.body, *cleaned.credits]),
        WIREBEAM_ROWS[2]: cleaned.body,
    }


WIREBEAM_ROWS = (
    "wirebeam extract_article",
    "wirebeam full path: body+dateline+credits",
    "wirebeam full path: body only",
)


def evaluate_extraction(limit: int | None) -> dict[str, dict[str, float]]:
    """Snippet P/R/F1 for trafilatura default, fast and wirebeam on the 100 news pages."""
    import trafilatura
    from trafilatura.utils import decode_file

    evaldata: dict[str, dict[str, Any]] = json.loads(EVALDATA.read_text(encoding="utf-8"))
    items = list(evaldata.items())[:limit]
    # trafilatura's canonical evaluation settings (tests/eval_common.py EXTRACT_OPTS)
    opts: dict[str, Any] = {"include_comments": False, "include_tables": True, "include_formatting": False}
    baselines: dict[str, Callable[[bytes], str | None]] = {
        "trafilatura default": lambda data: trafilatura.extract(data, fast=False, **opts),
        "trafilatura fast": lambda data: trafilatura.extract(data, fast=True, **opts),
    }
    scores = {name: Score() for name in (*baselines, *WIREBEAM_ROWS)}
    for _url, item in items:
        path = next(
            (
                p
                for p in (ARTICLES / "tests" / "cache" / item["file"], ARTICLES / "tests" / "eval" / item["file"])
                if p.is_file()
            ),
            None,
        )
        if path is None:
            LOGGER.warning("missing page %s", item["file"])
            continue
        data = path.read_bytes()
        outputs: dict[str, str | None] = {}
        for name, run in baselines.items():
            start = time.perf_counter()
            outputs[name] = run(data)
            scores[name].seconds += time.perf_counter() - start
        # extract_article takes str (the fetch stage decodes); decoding and the title lookup are not timed
        text = decode_file(data)
        title = page_title(text)
        start = time.perf_counter()
        outputs.update(wirebeam_outputs(text, title))
        elapsed = time.perf_counter() - start
        reference = shingles(outputs["trafilatura default"] or "")
        for name, out in outputs.items():
            if name in WIREBEAM_ROWS:
                scores[name].seconds += elapsed
            scores[name].add(item, out)
            if reference:
                scores[name].shingle_recall_vs_default.append(len(reference & shingles(out or "")) / len(reference))
    return {name: score.metrics() for name, score in scores.items()}


def evaluate_datelines() -> dict[str, float]:
    """How many Reuters leads (reuters.xml descriptions) get a dateline, and how many of those a date."""
    import feedparser

    files = sorted(REUTERS_LEADS.glob("*/reuters.xml"))
    total = with_dateline = with_date = with_agency = 0
    for path in files:
        feed = feedparser.parse(path.read_bytes())
        for entry in feed.entries:
            published = (
                dt.datetime(*entry.published_parsed[:6]).replace(tzinfo=dt.UTC)
                if entry.get("published_parsed")
                else None
            )
            cleaned = clean_story(
                entry.get("summary", ""), title=entry.get("title"), is_html=False, published=published
            )
            total += 1
            if cleaned.dateline is not None:
                with_dateline += 1
                with_date += cleaned.dateline.date is not None
                with_agency += cleaned.dateline.agency is not None
    return {
        "leads": total,
        "with_dateline": with_dateline,
        "with_date": with_date,
        "with_agency": with_agency,
        "share_with_dateline": round(with_dateline / total, 4) if total else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the metrics to this JSON file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages (quick look)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, Any] = {}
    if EVALDATA.is_file():
        results["extraction"] = evaluate_extraction(args.limit)
        print(f"Snippet scores on {EVALDATA.relative_to(SHARED)}")
        print(f"{'system':42s} {'P':>6s} {'R':>6s} {'F1':>6s} {'docs/s':>7s} {'empty':>5s} {'kept4':>6s}")
        for name, m in results["extraction"].items():
            print(
                f"{name:42s} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['docs_per_s']:7.1f} "
                f"{m['empty']:5d} {m['shingle_recall_vs_trafilatura_default']:6.3f}"
            )
        print("kept4 = share of trafilatura-default word 4-shingles present in the output")
    else:
        print(f"corpus absent: {EVALDATA} (set WIREBEAM_SHARED or place ../shared next to the repo)")
    if REUTERS_LEADS.is_dir():
        results["datelines"] = evaluate_datelines()
        d = results["datelines"]
        print(
            f"\nReuters leads with a dateline: {d['with_dateline']}/{d['leads']} "
            f"({d['share_with_dateline']:.1%}); with a resolved date {d['with_date']}, "
            f"with an agency {d['with_agency']}"
        )
    else:
        print(f"corpus absent: {REUTERS_LEADS}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
