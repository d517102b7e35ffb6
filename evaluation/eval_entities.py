"""Entity recognition quality on the two CoNLL-2003 English development splits (eng.testa, eng.train), raw text in.

Each CoNLL document is rebuilt as natural text (tokens joined with ordinary spacing, one sentence per line) while
the character offsets of every token are kept, so gold spans map onto the rebuilt text and the extractor sees
plain text, not tokens.  Scoring is exact span + type micro P/R/F1 over PER/ORG/LOC (spaCy PERSON→PER, ORG→ORG,
GPE/LOC/FAC→LOC; other spaCy labels and gold MISC are ignored), as conlleval counts entities.

Both splits are development data (the shipped model is not trained on CoNLL): a rule is kept only if it helps on
each of them, so a rule that fits one split's quirks shows up as a gap between the two.  eng.train is four times
eng.testa; ``--sample N`` scores every k-th of its documents (the same N documents on every run) while developing.

Run: ``.venv/bin/python -m evaluation.eval_entities [--split testa --split train] [--sample N] [--json PATH]``.
Per split three rows are printed: the bare model (its spans and labels as spaCy gives them), the bare model's spans
through ``canonicalize`` only (trimming and per-story label votes), and the shipped configuration
(``EntityExtractor``: true-cased headlines, document rules, gazetteer, aliases, canonical groups).  Every mention of
a group is scored with the group's label.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transforms.entities.ner import DEFAULT_MODEL, EntityExtractor
from transforms.entities.spans import EntityGroup

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
CONLL_DIR = SHARED / "corpora" / "conll2003"
SPLITS = ("testa", "train")

TYPES = ("PER", "ORG", "LOC")
SPACY_TO_CONLL = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}

# Tokens that attach to the previous token (no space before) or to the next one (no space after).
_NO_SPACE_BEFORE = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "'", "''",
                              "'re", "'ll", "'ve", "'d", "'m", "..."})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "``"})

Span = tuple[int, int, str]


@dataclass
class ConllDoc:
    """One CoNLL document rebuilt as text, with its gold PER/ORG/LOC spans."""

    text: str
    gold: set[Span] = field(default_factory=set)


def read_conll(path: Path) -> Iterator[list[list[tuple[str, str]]]]:
    """Yield documents as lists of sentences of (token, IOB1 tag)."""
    doc: list[list[tuple[str, str]]] = []
    sent: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("-DOCSTART-"):
                if sent:
                    doc.append(sent)
                    sent = []
                if doc:
                    yield doc
                doc = []
            elif not line:
                if sent:
                    doc.append(sent)
                    sent = []
            else:
                parts = line.split()
                sent.append((parts[0], parts[-1]))
    if sent:
        doc.append(sent)
    if doc:
        yield doc


def _spans_iob1(tags: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """Token spans (first, last+1, type) from IOB1 tags, as conlleval reads them."""
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, typ = tag.partition("-")
        if kind and (tag == "O" or prefix == "B" or typ != kind):
            yield start, i, kind
            kind = ""
        if tag != "O" and not kind:
            start, kind = i, typ
    return


def rebuild(doc: list[list[tuple[str, str]]]) -> ConllDoc:
    """Join tokens with natural spacing, one sentence per line; map gold spans to character offsets."""
    parts: list[str] = []
    pos = 0
    gold: set[Span] = set()
    for sent in doc:
        offsets: list[tuple[int, int]] = []
        quote_open = False
        glue_next = True  # no space at the start of a line
        for tok, _ in sent:
            glue = glue_next or tok in _NO_SPACE_BEFORE or (tok == '"' and quote_open)
            if not glue:
                parts.append(" ")
                pos += 1
            offsets.append((pos, pos + len(tok)))
            parts.append(tok)
            pos += len(tok)
            glue_next = tok in _NO_SPACE_AFTER or (tok == '"' and not quote_open)
            if tok == '"':
                quote_open = not quote_open
        for first, last, kind in _spans_iob1([tag for _, tag in sent]):
            if kind in TYPES:
                gold.add((offsets[first][0], offsets[last - 1][1], kind))
        parts.append("\n")
        pos += 1
    return ConllDoc("".join(parts), gold)


def predicted_spans(groups: Iterable[EntityGroup]) -> set[Span]:
    """Every mention of every group, with the group's label mapped to CoNLL types."""
    out: set[Span] = set()
    for group in groups:
        kind = SPACY_TO_CONLL.get(group.label)
        if kind:
            out.update((m.start, m.end, kind) for m in group.mentions)
    return out


def score(pairs: Iterable[tuple[set[Span], set[Span]]]) -> dict[str, dict[str, float]]:
    """Per-type and micro precision/recall/F1 over (gold, predicted) span sets."""
    tp = dict.fromkeys(TYPES, 0)
    fp = dict.fromkeys(TYPES, 0)
    fn = dict.fromkeys(TYPES, 0)
    for gold, pred in pairs:
        for _, _, kind in gold & pred:
            tp[kind] += 1
        for _, _, kind in pred - gold:
            fp[kind] += 1
        for _, _, kind in gold - pred:
            fn[kind] += 1
    result: dict[str, dict[str, float]] = {}
    for kind in (*TYPES, "micro"):
        t = sum(tp.values()) if kind == "micro" else tp[kind]
        p_den = t + (sum(fp.values()) if kind == "micro" else fp[kind])
        r_den = t + (sum(fn.values()) if kind == "micro" else fn[kind])
        prec = t / p_den if p_den else 0.0
        rec = t / r_den if r_den else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        result[kind] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "gold": r_den}
    return result


def evaluate(extractor: EntityExtractor, docs: Sequence[ConllDoc], *, raw: bool = False
             ) -> tuple[dict[str, dict[str, float]], float]:
    """Score one extractor on the documents; returns the metrics and the seconds it took.

    ``raw`` scores the model's spans as they come (no trimming, grouping or rules): the bare-model baseline.
    """
    texts = [d.text for d in docs]
    t0 = time.perf_counter()
    if raw:
        preds = [{(s, e, SPACY_TO_CONLL[lab]) for s, e, lab in spans if lab in SPACY_TO_CONLL}
                 for spans in extractor.raw_spans(texts)]
    else:
        preds = [predicted_spans(g) for g in extractor.extract(texts)]
    elapsed = time.perf_counter() - t0
    return score((d.gold, p) for d, p in zip(docs, preds, strict=True)), elapsed


def sample(docs: Sequence[ConllDoc], n: int) -> list[ConllDoc]:
    """``n`` documents spread evenly over the split (every k-th), the same ones on every run; all if ``n`` is 0."""
    if not n or n >= len(docs):
        return list(docs)
    step = len(docs) / n
    return [docs[int(i * step)] for i in range(n)]


def _print_rows(title: str, rows: dict[str, dict[str, Any]]) -> None:
    print(title)
    print(f"{'config':<11} " + " ".join(f"{k + ' P/R/F1':>20}" for k in (*TYPES, "micro")))
    for name, row in rows.items():
        metrics = row["metrics"]
        cells = " ".join(f"{metrics[k]['precision']:6.3f}/{metrics[k]['recall']:.3f}/{metrics[k]['f1']:.3f}"
                         for k in (*TYPES, "micro"))
        print(f"{name:<11} {cells}   ({row['seconds']} s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="spaCy pipeline name or path")
    parser.add_argument("--split", action="append", choices=SPLITS,
                        help="CoNLL split to score (repeatable; default: both)")
    parser.add_argument("--conll", type=Path, help="score this CoNLL-2003 file instead of the splits")
    parser.add_argument("--sample", type=int, default=0,
                        help="score N documents spread over each split (deterministic), not all")
    parser.add_argument("--json", type=Path, help="write the metrics here as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    paths = [args.conll] if args.conll else [CONLL_DIR / f"eng.{name}" for name in args.split or SPLITS]
    for path in paths:
        if not path.exists():
            print(f"CoNLL file {path} absent (set WIREBEAM_SHARED to the folder holding corpora/)", file=sys.stderr)
            return 2
    bare = EntityExtractor(args.model, refine=False)
    bare.load()
    shipped = EntityExtractor(args.model)
    shipped.load()
    configs = (("bare model", bare, True), ("+canonical", bare, False), ("shipped", shipped, False))
    report: dict[str, Any] = {}
    for path in paths:
        docs = sample([rebuild(d) for d in read_conll(path)], args.sample)
        rows: dict[str, dict[str, Any]] = {}
        for name, extractor, raw in configs:
            metrics, secs = evaluate(extractor, docs, raw=raw)
            rows[name] = {"metrics": metrics, "seconds": round(secs, 2)}
        _print_rows(f"{path.name}: {len(docs)} docs, {sum(len(d.gold) for d in docs)} gold PER/ORG/LOC entities",
                    rows)
        report[path.name] = {"docs": len(docs), **rows}
    if len(report) == 2:
        (a, ra), (b, rb) = report.items()
        fa, fb = ra["shipped"]["metrics"]["micro"]["f1"], rb["shipped"]["metrics"]["micro"]["f1"]
        print(f"shipped micro-F1: {a} {fa:.3f}, {b} {fb:.3f}, gap {abs(fa - fb):.3f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
