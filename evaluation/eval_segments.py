"""How much of a text the entity stage's model reads (``transforms/entities/segments.py``) and what that changes.

For each context width (``--context``, words read either side of a capital) and junction between the parts read
(``--separator``), runs ``EntityExtractor.extract`` — the stage's model path: true-casing view, segments, model,
document rules, canonical groups — and compares its mentions (start, end, label; the stage keeps only
``spans.KEPT_LABELS``) with the same extractor whose model reads the whole text (``skip_nameless=False``), on
  * ``wirecopy``: title + body of N wire stories of real article sentences (``evaluation/wirecopy.py``, as the
    enrich benchmark makes them), and
  * ``articles``: the main text of each English page of ../shared/corpora/article-html (trafilatura, fast).
Per row: the share of the words the model reads, the CPU seconds of the extract call (this process), the mentions
that differ (in one run and not the other) and the identical share (common / union), over all mentions and over
those holding a capital (the rest are lower-case strays such as "n’t" GPE, which the model finds anywhere).

Run: ``python -m evaluation.eval_segments`` (defaults: 1,000 stories, contexts 2 3 4 5 6, separator "\\n\\n"; about
5 CPU-minutes); ``--separator nl --separator space`` compares junctions, ``--min-skip 2 --min-skip 8`` the
shortest gap skipped; ``--show 10`` prints differing mentions that hold a capital.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from evaluation.wirecopy import ARTICLES, article_sentences, is_english, wire_stories
from transforms.entities import segments
from transforms.entities.ner import EntityExtractor, join_title
from transforms.entities.segments import _is_capital, name_segments
from transforms.entities.view import model_view

SEPARATORS = {"para": "\n\n", "nl": "\n", "space": " ", "stop": " . ", "ellipsis": " … "}
Mention = tuple[int, int, str, str]  # start, end, label, surface
T = TypeVar("T")


def wirecopy_texts(n: int) -> list[str]:
    """Title + body (joined as the stage joins them) of the first ``n`` wirecopy stories, no copies."""
    pool = article_sentences(folder=ARTICLES)
    return [join_title(r["title"], r["text"]) for r in wire_stories(n, pool, copy_share=0)]


def article_texts(folder: Path = ARTICLES) -> list[str]:
    """The main text of each English page of the trafilatura evaluation set."""
    import trafilatura

    paths = sorted((folder / "tests" / "eval").glob("*.html")) + sorted((folder / "tests" / "cache").glob("*.html"))
    texts = [trafilatura.extract(p.read_text(encoding="utf-8", errors="replace"), fast=True) or "" for p in paths]
    return [t for t in texts if len(t.split()) >= 50 and is_english(t)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mentions(extractor: EntityExtractor, texts: Sequence[str]) -> tuple[list[set[Mention]], float]:
    before = _cpu()
    groups = extractor.extract(texts)
    secs = _cpu() - before
    return [{(m.start, m.end, g.label, m.text) for g in gs for m in g.mentions} for gs in groups], secs


def _stray(mention: Mention) -> bool:
    """A mention without a capital ("n’t" GPE, "conservatives" NORP): what the model finds far from any name."""
    return not any(map(_is_capital, mention[3]))


def compare(reference: list[set[Mention]], got: list[set[Mention]]) -> dict[str, Any]:
    """Mentions in one run and not the other, and common / union; the same for the mentions holding a capital."""
    pairs = list(zip(reference, got, strict=True))
    differing = sum(len(a ^ b) for a, b in pairs)
    union = sum(len(a | b) for a, b in pairs)
    named = [({m for m in a if not _stray(m)}, {m for m in b if not _stray(m)}) for a, b in pairs]
    named_differing = sum(len(a ^ b) for a, b in named)
    named_union = sum(len(a | b) for a, b in named)
    return {"mentions": sum(map(len, reference)), "differing": differing,
            "identical": round(1 - differing / union, 4) if union else 1.0,
            "capitalised_differing": named_differing,
            "capitalised_identical": round(1 - named_differing / named_union, 4) if named_union else 1.0}


def words_read(texts: Sequence[str], places: Any, context: int) -> float:
    """Share of the words of the model's views that the model reads at ``context`` words either side."""
    views = [model_view(t, places) for t in texts]
    total = sum(len(v.split()) for v in views)
    read = sum(len(v[s:e].split()) for t, v in zip(texts, views, strict=True) for s, e in name_segments(t, context))
    return round(read / total, 3) if total else 1.0


def _with_settings(separator: str, min_skip: int, run: Callable[..., T], *args: Any) -> T:
    saved = segments.SEGMENT_SEPARATOR, segments.MIN_SKIP_WORDS
    # ModelText reads the separator when it joins the parts, name_segments the gap it skips when it cuts them.
    segments.SEGMENT_SEPARATOR, segments.MIN_SKIP_WORDS = separator, min_skip
    try:
        return run(*args)
    finally:
        segments.SEGMENT_SEPARATOR, segments.MIN_SKIP_WORDS = saved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1000, help="wirecopy stories (default 1000)")
    parser.add_argument("--context", type=int, action="append", help="context words (repeatable; default 2-6)")
    parser.add_argument("--separator", action="append", choices=sorted(SEPARATORS),
                        help="junction between the parts (repeatable; default para = a paragraph break)")
    parser.add_argument("--min-skip", type=int, action="append",
                        help=f"fewest words skipped between two parts (repeatable; default {segments.MIN_SKIP_WORDS})")
    parser.add_argument("--corpus", action="append", choices=("wirecopy", "articles"),
                        help="corpus (repeatable; default both)")
    parser.add_argument("--show", type=int, default=0, help="print up to N differing mentions per row")
    parser.add_argument("--json", type=Path, help="write the rows here as JSON")
    args = parser.parse_args(argv)
    if not ARTICLES.exists():
        print(f"{ARTICLES} absent (evaluation/wirecopy.py reads it beside the project folder)", file=sys.stderr)
        return 2
    contexts = args.context or [2, 3, 4, 5, 6]
    if min(contexts) < 0:
        parser.error(f"--context must be >= 0, got {min(contexts)}")
    separators = args.separator or ["para"]
    min_skips = args.min_skip or [segments.MIN_SKIP_WORDS]
    if min(min_skips) < 1:
        parser.error(f"--min-skip must be >= 1, got {min(min_skips)}")
    reading_all = EntityExtractor(skip_nameless=False)
    reading_all.load()
    rows: list[dict[str, Any]] = []
    for corpus in args.corpus or ["wirecopy", "articles"]:
        texts = wirecopy_texts(args.stories) if corpus == "wirecopy" else article_texts()
        reference, ref_secs = _mentions(reading_all, texts)
        words = sum(len(t.split()) for t in texts)
        print(f"{corpus}: {len(texts)} texts, {words} words, {sum(map(len, reference))} mentions; "
              f"whole text {ref_secs:.1f} CPU-s")
        for context in contexts:
            extractor = EntityExtractor(context_words=context)
            extractor._nlp, extractor._places = reading_all._nlp, reading_all._places  # the same loaded model
            for name, min_skip in ((n, k) for n in separators for k in min_skips):
                read = _with_settings(SEPARATORS[name], min_skip, words_read, texts, extractor._places, context)
                got, secs = _with_settings(SEPARATORS[name], min_skip, _mentions, extractor, texts)
                row = {"corpus": corpus, "context": context, "separator": name, "min_skip": min_skip,
                       "words_read": read, "cpu_s": round(secs, 1), "cpu_vs_whole": round(secs / ref_secs, 3),
                       **compare(reference, got)}
                rows.append(row)
                print(f"  context {context:2d} {name:8s} skip>={min_skip:2d} reads {read:.1%} of words, {secs:6.1f} "
                      f"CPU-s ({row['cpu_vs_whole']:.3f}x), {row['differing']:3d} of {row['mentions']} mentions "
                      f"differ, {row['identical']:.2%} identical; with a capital {row['capitalised_differing']} "
                      f"differ, {row['capitalised_identical']:.2%} identical", flush=True)
                shown = 0
                for i, (a, b) in enumerate(zip(reference, got, strict=True)):
                    for m in [m for m in sorted(a ^ b) if not _stray(m)][: max(0, args.show - shown)]:
                        side = "whole only" if m in a else "parts only"
                        print(f"      {side}: text {i} {m}  …{texts[i][max(0, m[0] - 50) : m[1] + 30]!r}…")
                        shown += 1
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
