"""Score page metadata (headline, byline, publish day) of wirebeam and of trafilatura on hand-labelled pages.

Gold: evaluation/data/page_metadata_gold.json — for pages of ../shared/corpora/article-html/trafilatura-eval, the
headline, byline and publish day as each page displays them (a field left null was not labelled and is not scored).
Both systems get the same input: the page decoded to text as trafilatura decodes files.
- wirebeam: `transforms.article.metadata.page_metadata` (what `wirebeam enrich` uses for a whole page);
- trafilatura: `trafilatura.extract_metadata` (the metadata `bare_extraction` returns too);
- the stories `wirebeam enrich` makes of the page as a `{"id", "html"}` line, through the feed-HTML cleaner (what
  enrich did before) and through the article path (the page detected as one); their publish day is the story's
  local day (`published_at` in `published_offset_minutes`, the offset the page wrote it in: the dates anchor).

Match rules (exact-ish):
- headline: equal to one of the accepted forms after folding case, Unicode compatibility forms, punctuation and
  whitespace (so quotes, dashes and a trailing period do not count; any other word does);
- byline: the set of names equal, each name folded the same way, a leading "By"/"Von"/… removed; a page without
  a byline is right only with no authors;
- publish day: the predicted date, on the page's own clock (the offset it is written with), equal to the gold day.

Run: .venv/bin/python -m evaluation.eval_page_metadata [--json PATH] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.eval_clean import ARTICLES
from transforms.article.metadata import page_metadata, split_byline

GOLD = Path(__file__).resolve().parent / "data" / "page_metadata_gold.json"
_FOLD_RE = re.compile(r"[^\w]+")
FIELDS = ("headline", "byline", "publish day")


def fold(text: str) -> str:
    return _FOLD_RE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def page_path(name: str) -> Path:
    for folder in ("cache", "eval"):
        path = ARTICLES / "tests" / folder / name
        if path.is_file():
            return path
    raise FileNotFoundError(name)


def names(authors: list[str]) -> set[str]:
    return {fold(n) for a in authors for n in (split_byline(a) or [a]) if fold(n)}


def wirebeam(html: str) -> dict[str, Any]:
    meta = page_metadata(html)
    return {
        "headline": meta.title,
        "byline": list(meta.authors),
        "publish day": meta.published_at.date().isoformat() if meta.published_at else None,
    }


def trafilatura_metadata(html: str) -> dict[str, Any]:
    import trafilatura

    meta = trafilatura.extract_metadata(html)
    author = (meta.author if meta is not None else None) or ""
    return {
        "headline": meta.title if meta is not None else None,
        "byline": [a.strip() for a in author.split(";") if a.strip()],
        "publish day": (meta.date or None) if meta is not None else None,
    }


def enrich_row(page: bool | None) -> Callable[[str], dict[str, Any]]:
    """The story `wirebeam enrich` makes of the page as a `{"id", "html"}` line: with `page` false, the
    feed-HTML cleaner (what enrich did before pages took the article path); None, the page detected as one."""
    from evaluation.eval_enrich_pages import enrich_story

    def run(html: str) -> dict[str, Any]:
        from transforms.dates.stage import local_publication_day

        story = enrich_story("page", html, page)
        day = local_publication_day(story) if story is not None else None
        return {
            "headline": story.title if story is not None else None,
            "byline": list(story.authors) if story is not None else [],
            "publish day": day.isoformat() if day is not None else None,
        }

    return run


def correct(field: str, gold: dict[str, Any], predicted: dict[str, Any]) -> bool | None:
    """Whether `predicted` gets `field` right; None when the gold leaves it unlabelled."""
    if field == "headline":
        if gold["title"] is None:
            return None
        return predicted["headline"] is not None and fold(predicted["headline"]) in {fold(t) for t in gold["title"]}
    if field == "byline":
        if gold["authors"] is None:
            return None
        return names(predicted["byline"]) == {fold(a) for a in gold["authors"]}
    if gold["published"] is None:
        return None
    return predicted["publish day"] == gold["published"]


def evaluate(show_misses: bool = False, enrich: bool = True) -> dict[str, dict[str, Any]]:
    """Accuracy per system and field; `enrich` adds the two enrich-story rows (slower: they extract the text)."""
    from trafilatura.utils import decode_file

    gold_pages: dict[str, dict[str, Any]] = json.loads(GOLD.read_text(encoding="utf-8"))["pages"]
    systems = {"wirebeam page_metadata": wirebeam, "trafilatura extract_metadata": trafilatura_metadata}
    if enrich:
        systems["enrich before (feed cleaner)"] = enrich_row(False)
        systems["enrich after (article path)"] = enrich_row(None)
    hits = {name: dict.fromkeys(FIELDS, 0) for name in systems}
    totals = dict.fromkeys(FIELDS, 0)
    for name, gold in gold_pages.items():
        html = decode_file(page_path(name).read_bytes())
        results = {system: run(html) for system, run in systems.items()}
        for field in FIELDS:
            verdicts = {system: correct(field, gold, predicted) for system, predicted in results.items()}
            if None in verdicts.values():
                continue
            totals[field] += 1
            for system, ok in verdicts.items():
                hits[system][field] += bool(ok)
                if show_misses and not ok and system.startswith("wirebeam"):
                    expected = {"headline": gold["title"], "byline": gold["authors"], "publish day": gold["published"]}
                    print(f"MISS {field:12} {name}: got {results[system][field]!r}, want {expected[field]!r}")
    return {
        system: {
            field: {"correct": n, "pages": totals[field], "accuracy": round(n / totals[field], 3)}
            for field, n in hits[system].items()
        }
        for system in systems
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--show-misses", action="store_true", help="print wirebeam's wrong answers")
    args = parser.parse_args(argv)
    figures = evaluate(args.show_misses)
    print(f"{'system':32} " + " ".join(f"{f:>18}" for f in FIELDS))
    for system, row in figures.items():
        cells = [f"{r['accuracy']:.3f} ({r['correct']}/{r['pages']})" for r in row.values()]
        print(f"{system:32} " + " ".join(f"{c:>18}" for c in cells))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
