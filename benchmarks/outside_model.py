"""CPU seconds of `wirebeam enrich`'s per-story work outside the entity model, step by step, without Beam.

The steps each story goes through in `enrich` (parse the input line, clean + language, its one-copy cluster, the
model's view of the text, the sentences it reads, the entity rules and canonical names, title/body offsets, the
output records, dates, and the sink's validation + serialisation), each over all the stories at once, the best of
`--rounds`; the model's raw spans are computed first and not timed (the model is bench_enrich.py's bare baseline).
Inputs: `--stories` records of evaluation/wirecopy.py (~450 words of real article sentences each, no copies), the
same as `python -m evaluation.wirecopy --stories N --copy-share 0 --out …` writes.

    python -m benchmarks.outside_model --stories 1000 [--input wire.jsonl]

For a before/after, run the same command from another revision's tree (`git archive REV | tar -x -C DIR`), the two
alternating, and compare step by step: on a shared machine CPU time still moves by ±10 % between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from evaluation.wirecopy import article_sentences, write_stories
from pipeline.build import input_source
from transforms.clean.stage import clean_entry
from transforms.dates.stage import date_mentions
from transforms.dates.tagger import rules_for
from transforms.dedup.singleton import singleton
from transforms.entities.canonical import canonicalize
from transforms.entities.ner import EntityExtractor, join_title, refine_spans, split_title
from transforms.entities.places import load_places
from transforms.entities.segments import name_segments
from transforms.entities.stage import to_entities
from transforms.entities.tickers import attach_tickers, find_tickers
from transforms.entities.view import model_view
from transforms.language import LEGACY_LANGUAGE, load_identifier
from transforms.parse.stage import parse_story_line
from transforms.sink.stage import ValidateStoryFn

T = TypeVar("T")


def best_of(rounds: int, fn: Callable[[], T]) -> tuple[float, T]:
    """(the least CPU seconds of `rounds` calls, the last result)."""
    least, result = float("inf"), None
    for _ in range(rounds):
        start = time.process_time()
        result = fn()
        least = min(least, time.process_time() - start)
    return least, result  # type: ignore[return-value]


def step_costs(lines: list[str], rounds: int = 2) -> dict[str, float]:
    """CPU seconds of each step over all `lines` (enrich JSONL), in the order a story meets them."""
    load_identifier()
    rules_for(LEGACY_LANGUAGE)
    places = load_places()
    source, now = input_source("input.jsonl"), dt.datetime.now(dt.UTC)
    costs: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        costs[name], result = best_of(rounds, fn)
        return result

    entries = timed("parse", lambda: [parse_story_line(line, source, now) for line in lines])
    stories = timed("clean + language", lambda: [clean_entry(e) for e in entries])
    clustered = timed("cluster (no dedup)", lambda: [singleton(s, now) for s in stories])
    texts = [join_title(s.title, s.body) for s in clustered]
    extractor = EntityExtractor()
    extractor.load()
    raw = extractor.raw_spans(texts)  # the model (with view and segments): not timed here
    views = timed("model view", lambda: [model_view(t, places) for t in texts])
    timed("sentences the model reads", lambda: [name_segments(v) for v in views])

    def rules() -> list[Any]:
        out = []
        for text, spans in zip(texts, raw, strict=True):
            groups = canonicalize(text, refine_spans(text, spans, places))
            out.append(attach_tickers(groups, find_tickers(text)) if "(" in text else groups)
        return out

    groups = timed("entity rules + canonical names", rules)
    split = timed("title/body offsets", lambda: [split_title(g, s.title, s.body)
                                                 for g, s in zip(groups, clustered, strict=True)])
    tagged = timed("entity records", lambda: [s.model_copy(update={"entities": to_entities(g)})
                                              for s, g in zip(clustered, split, strict=True)])
    dated = timed("dates", lambda: [s.model_copy(update={"dates": date_mentions(s)}) for s in tagged])
    validate = ValidateStoryFn()
    timed("validation + JSONL line", lambda: [list(validate.process(s)) for s in dated])
    return costs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--input", type=Path, help="an enrich JSONL to read instead (its first --stories lines)")
    args = parser.parse_args(argv)
    if args.input:
        lines = args.input.read_text(encoding="utf-8").splitlines()[: args.stories]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "wire.jsonl"
            write_stories(path, args.stories, article_sentences(), copy_share=0.0)
            lines = path.read_text(encoding="utf-8").splitlines()
    costs = step_costs(lines, args.rounds)
    for name, seconds in costs.items():
        print(f"{name:32s} {seconds:7.3f} CPU-s")
    print(f"{'total':32s} {sum(costs.values()):7.3f} CPU-s  ({len(lines)} stories, best of {args.rounds})")


if __name__ == "__main__":
    main()
