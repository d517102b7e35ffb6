"""Evaluate the temporal tagger on TempEval-3 TBAQ-cleaned (TimeBank + AQUAINT TimeML) against each <DCT>.

For each gold TIMEX3 of type DATE in <TEXT>: the predicted mention overlapping it most and its value.
Metrics: extent recall (a predicted mention overlaps the gold), extent precision (predicted DATE mentions
overlapping a gold DATE, and overlapping any gold TIMEX3), and value accuracy, strict (value strings equal)
and lenient (equal at the gold granularity), both over the matched gold DATEs and over all gold DATEs.

Run: ``.venv/bin/python -m evaluation.eval_dates [--json PATH] [--errors N] [--subset TimeBank|AQUAINT]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from transforms.dates.tagger import TimexMention, extract_dates

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
CORPUS = SHARED / "corpora" / "tempeval3" / "TBAQ-cleaned"


@dataclass(frozen=True, slots=True)
class GoldTimex:
    """A gold TIMEX3 with offsets into the document's plain <TEXT>."""

    start: int
    end: int
    type: str
    value: str
    text: str


@dataclass(slots=True)
class TimeMLDoc:
    """Plain text of <TEXT>, its gold TIMEX3s and the creation date."""

    name: str
    text: str
    dct: dt.date | None
    gold: list[GoldTimex] = field(default_factory=list)


def _walk(elem: ET.Element, parts: list[str], gold: list[GoldTimex], pos: int) -> int:
    """Append the element's text to ``parts`` depth-first, recording TIMEX3 spans; returns the new offset."""
    start = pos
    if elem.text:
        parts.append(elem.text)
        pos += len(elem.text)
    for child in elem:
        pos = _walk(child, parts, gold, pos)
        if child.tail:
            parts.append(child.tail)
            pos += len(child.tail)
    if elem.tag == "TIMEX3":
        # The covered text is filled in by load_doc once the whole body is joined.
        gold.append(GoldTimex(start, pos, elem.get("type", ""), elem.get("value", ""), ""))
    return pos


def load_doc(path: Path) -> TimeMLDoc:
    """Parse one .tml file."""
    root = ET.parse(path).getroot()
    dct_el = root.find("DCT/TIMEX3")
    dct = None
    if dct_el is not None:
        try:
            dct = dt.date.fromisoformat(dct_el.get("value", "")[:10])
        except ValueError:
            dct = None
    text_el = root.find("TEXT")
    parts: list[str] = []
    gold: list[GoldTimex] = []
    if text_el is not None:
        # Walking <TEXT> itself (not its tail) yields exactly the body the annotators saw.
        _walk(text_el, parts, gold, 0)
    text = "".join(parts)
    gold = [GoldTimex(g.start, g.end, g.type, g.value, text[g.start : g.end]) for g in gold]
    return TimeMLDoc(path.stem, text, dct, gold)


def load_corpus(root: Path = CORPUS, subset: str | None = None) -> list[TimeMLDoc]:
    """All TimeML documents under ``root`` (optionally one sub-folder)."""
    base = root / subset if subset else root
    return [load_doc(p) for p in sorted(base.rglob("*.tml"))]


def granular_equal(gold: str, pred: str) -> bool:
    """Lenient value match: equal at the gold value's granularity ("1998-03" vs "1998-03-05" → True)."""
    if gold == pred:
        return True
    g = gold.rstrip("X")
    if not g or not pred.startswith(g):
        return False
    return len(pred) == len(g) or pred[len(g)] in "-TWQHX" or not gold[len(g) :].strip("X")


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


@dataclass(slots=True)
class Scores:
    """Counts behind the reported metrics."""

    gold: int = 0
    matched: int = 0
    strict: int = 0
    lenient: int = 0
    pred_date: int = 0
    pred_date_hit_date: int = 0
    pred_date_hit_any: int = 0
    errors: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def metrics(self) -> dict[str, float | int]:
        def div(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        rec = div(self.matched, self.gold)
        prec = div(self.pred_date_hit_date, self.pred_date)
        return {
            "gold_date": self.gold,
            "pred_date": self.pred_date,
            "extent_recall": rec,
            "extent_precision": prec,
            "extent_precision_any_timex": div(self.pred_date_hit_any, self.pred_date),
            "extent_f1": round(2 * rec * prec / (rec + prec), 4) if rec + prec else 0.0,
            "value_acc_strict": div(self.strict, self.matched),
            "value_acc_lenient": div(self.lenient, self.matched),
            "value_strict_over_all_gold": div(self.strict, self.gold),
            "value_lenient_over_all_gold": div(self.lenient, self.gold),
        }


COUNT_FIELDS = (
    "gold", "matched", "strict", "lenient", "pred_date", "pred_date_hit_date", "pred_date_hit_any",
)  # fmt: skip


def score_doc(doc: TimeMLDoc, pred: list[TimexMention], scores: Scores) -> None:
    """Add one document's counts to ``scores``."""
    gold_dates = [g for g in doc.gold if g.type == "DATE"]
    for g in gold_dates:
        scores.gold += 1
        best = max(pred, key=lambda p: _overlap(g.start, g.end, p.start, p.end), default=None)
        if best is None or _overlap(g.start, g.end, best.start, best.end) == 0:
            scores.errors.append((doc.name, "MISS", g.text, g.value, ""))
            continue
        scores.matched += 1
        if best.value == g.value:
            scores.strict += 1
        else:
            scores.errors.append((doc.name, "VALUE", g.text, g.value, f"{best.text!r}={best.value}"))
        if granular_equal(g.value, best.value):
            scores.lenient += 1
    for p in pred:
        if p.type != "DATE":
            continue
        scores.pred_date += 1
        if any(_overlap(p.start, p.end, g.start, g.end) for g in gold_dates):
            scores.pred_date_hit_date += 1
        if any(_overlap(p.start, p.end, g.start, g.end) for g in doc.gold):
            scores.pred_date_hit_any += 1
        else:
            scores.errors.append((doc.name, "FALSE", p.text, "", p.value))


def evaluate(docs: list[TimeMLDoc]) -> tuple[Scores, float, int]:
    """Tag every document against its DCT; returns the scores, the tagging seconds and the word count."""
    scores = Scores()
    elapsed = 0.0
    words = 0
    for doc in docs:
        t0 = time.perf_counter()
        pred = extract_dates(doc.text, doc.dct)
        elapsed += time.perf_counter() - t0
        words += len(doc.text.split())
        score_doc(doc, pred, scores)
    return scores, elapsed, words


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the metrics to this JSON file")
    parser.add_argument("--errors", type=int, default=0, help="print up to N errors of each kind")
    parser.add_argument("--subset", choices=["TimeBank", "AQUAINT"], help="one half of TBAQ only")
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"TBAQ corpus absent: {CORPUS} (set WIREBEAM_SHARED)", file=sys.stderr)
        return 2
    results: dict[str, dict[str, float | int]] = {}
    all_errors: list[tuple[str, str, str, str, str]] = []
    subsets = [args.subset] if args.subset else ["TimeBank", "AQUAINT"]
    total = Scores()
    for subset in subsets:
        docs = load_corpus(CORPUS, subset)
        scores, elapsed, words = evaluate(docs)
        results[subset] = {"docs": len(docs), **scores.metrics(), "words_per_s": round(words / elapsed)}
        all_errors += scores.errors
        for name in COUNT_FIELDS:
            setattr(total, name, getattr(total, name) + getattr(scores, name))
    if len(subsets) > 1:
        results["TBAQ"] = {"docs": sum(int(r["docs"]) for r in results.values()), **total.metrics()}
    keys = [k for k in next(iter(results.values())) if k != "docs"]
    print(f"{'metric':30s}" + "".join(f"{name:>10s}" for name in results))
    for key in ["docs", *keys]:
        print(f"{key:30s}" + "".join(f"{results[n].get(key, ''):>10}" for n in results))
    if args.errors:
        by_kind: Counter[str] = Counter()
        for err in all_errors:
            if by_kind[err[1]] < args.errors:
                print("\t".join(err))
            by_kind[err[1]] += 1
        print("error counts:", dict(by_kind))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
