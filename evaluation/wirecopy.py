"""Synthetic wire copy at any size, for the large-input tests and benchmarks: `wirebeam enrich` JSONL lines.

Bodies are article-length (~450 words) paragraphs of real sentences, drawn at random (seeded by the story's
number) from the main text of the English pages of ../shared/corpora/article-html/trafilatura-eval, so distinct
stories share a sentence only by chance. A share of the stories are syndicated copies of an earlier story, picked
uniformly among all earlier ones, so in a chunked run most copies land in a later chunk than their original:
half are the same text under another outlet's URL (an exact body-hash copy), half gain an outlet tag and a
credit line (a near duplicate). A copy is published after its original, so in one job as in chunks the
original is the copy kept.

    python -m evaluation.wirecopy --stories 40000 --out /tmp/wire-40k.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
from collections.abc import Iterator
from pathlib import Path

import orjson

ARTICLES = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "article-html" / "trafilatura-eval"
TARGET_WORDS = 450  # a typical wire story; the eval pages' median main text is about this long
COPY_SHARE = 0.1
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
OUTLETS = ("harbor-wire", "coastal-times", "metro-daily", "river-post", "valley-news")
_WORD_RE = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_ENGLISH = frozenset(
    ["the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "was", "with", "as", "by", "at", "from",
     "said", "it", "be", "are", "has", "have"]
)


def is_english(text: str) -> bool:
    words = _WORD_RE.findall(text.lower()[:4000])
    return bool(words) and sum(w in _ENGLISH for w in words) / len(words) > 0.12


def article_sentences(pages: int | None = None, folder: Path = ARTICLES) -> list[str]:
    """Sentences of the main text of each English evaluation page (6–60 words: a longer "sentence" is a list
    or a page that the naive splitter could not cut, and would make stories that draw it near-duplicates)."""
    import trafilatura

    paths = sorted((folder / "tests" / "eval").glob("*.html")) + sorted((folder / "tests" / "cache").glob("*.html"))
    out: list[str] = []
    used = 0
    for path in paths:
        text = trafilatura.extract(path.read_text(encoding="utf-8", errors="replace"), fast=True) or ""
        if len(text.split()) < 150 or not is_english(text):
            continue
        out += [s.strip() for s in _SENTENCE_END.split(text.replace("\n", " ")) if 6 <= len(s.split()) <= 60]
        used += 1
        if pages is not None and used >= pages:
            break
    if len(out) < 50:
        raise ValueError(f"too few English sentences in {folder}")
    return out


def article_body(k: int, pool: list[str], target_words: int = TARGET_WORDS) -> list[str]:
    """Paragraphs of three or four sentences for the k-th story, drawn at random (seeded by k) from every page.

    Sentences rather than whole paragraphs: two stories then share a sentence only by chance, so dedup sees
    distinct stories, as in a real feed, instead of chains of pages that share whole paragraphs.
    """
    rng = random.Random(k)
    paragraphs: list[str] = []
    words = 0
    while words < target_words:
        sentences = [pool[rng.randrange(len(pool))] for _ in range(rng.choice((3, 4)))]
        paragraphs.append(" ".join(sentences))
        words += sum(len(x.split()) for x in sentences)
    return paragraphs


def wire_stories(n: int, pool: list[str], copy_share: float = COPY_SHARE, seed: int = 0) -> Iterator[dict[str, str]]:
    """`n` enrich input records; a copy carries `copy_of` (its original's `id`), which enrich ignores."""
    rng = random.Random(seed)
    originals: list[int] = []
    for k in range(n):
        published = (START + dt.timedelta(minutes=k)).isoformat()
        outlet = OUTLETS[k % len(OUTLETS)]
        if originals and rng.random() < copy_share:
            first = originals[rng.randrange(len(originals))]
            if outlet == OUTLETS[first % len(OUTLETS)]:
                # A syndicated copy is another outlet's: the same outlet's changed text is its story's next version.
                outlet = OUTLETS[(k + 1) % len(OUTLETS)]
            paragraphs = article_body(first, pool)
            if k % 2:
                paragraphs = [f"({outlet.replace('-', ' ').title()}) -", *paragraphs, "Distributed by the wire."]
            yield {
                "id": f"copy-{k}",
                "url": f"https://{outlet}.example/syndicated/{k}",
                "title": f"Story {first}",
                "text": "\n\n".join(paragraphs),
                "published_at": published,
                "copy_of": f"story-{first}",
            }
            continue
        originals.append(k)
        yield {
            "id": f"story-{k}",
            "url": f"https://{outlet}.example/news/{k}",
            "title": f"Story {k}",
            "text": "\n\n".join(article_body(k, pool)),
            "published_at": published,
        }


def write_stories(path: Path, n: int, pool: list[str], copy_share: float = COPY_SHARE) -> dict[str, str]:
    """Write `n` records to `path`; returns {copy url: original url} (what dedup must find)."""
    urls: dict[str, str] = {}
    expected: dict[str, str] = {}
    with path.open("wb") as handle:
        for record in wire_stories(n, pool, copy_share):
            urls[record["id"]] = record["url"]
            if "copy_of" in record:
                expected[record["url"]] = urls[record["copy_of"]]
            handle.write(orjson.dumps(record) + b"\n")
    return expected


def cross_chunk(path: Path, expected: dict[str, str], chunk_size: int) -> dict[str, str]:
    """The copies of `expected` whose original is in another chunk of `chunk_size` lines of `path`."""
    line_of = {orjson.loads(line)["url"]: i for i, line in enumerate(path.open("rb"))}
    return {c: o for c, o in expected.items() if line_of[c] // chunk_size != line_of[o] // chunk_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--copy-share", type=float, default=COPY_SHARE)
    parser.add_argument("--pages", type=int, help="article pages to draw sentences from (default: all)")
    args = parser.parse_args(argv)
    expected = write_stories(args.out, args.stories, article_sentences(args.pages), args.copy_share)
    print(f"{args.stories} stories ({len(expected)} copies) written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
