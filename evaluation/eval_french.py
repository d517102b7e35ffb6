"""French entities and dates on news text we wrote and annotated ourselves (evaluation/data/fr_news.jsonl).

Each record is a short story (two or three sentences of French wire copy) with its creation date, its PER/ORG/LOC
entities (every whole-word occurrence of a listed surface is gold, longer surfaces first; nationalities, events
and other MISC are not annotated, as in CoNLL) and its TIMEX3s (surface, type, value resolved against the date).
Scoring is the project's: entities exact span + type micro-F1 over PER/ORG/LOC (evaluation/eval_entities.py),
dates per gold DATE the overlapping prediction and its value, strict and lenient (evaluation/eval_dates.py).

Rows: wirebeam's French path (transforms/entities/languages.py, transforms/dates/rules_fr/), the bare French model
(fr_core_news_sm's spans with the labels mapped, nothing else), and what wirebeam did before it knew languages
(the English model and the English date rules on the French text).

    python -m evaluation.eval_french [--json OUT] [--errors]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

from evaluation.eval_dates import GoldTimex, Scores, TimeMLDoc, score_doc
from evaluation.eval_entities import SPACY_TO_CONLL, Span, predicted_spans, score
from transforms.dates.tagger import extract_dates
from transforms.entities.languages import LanguageEntityExtractors
from transforms.entities.ner import DEFAULT_MODEL

DATA = Path(__file__).resolve().parent / "data" / "fr_news.jsonl"
# WikiNER labels of the bare French model → CoNLL types.
BARE_TO_CONLL = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}


def _occurrences(text: str, surface: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text)]


def load(path: Path = DATA) -> list[dict[str, Any]]:
    """Records with gold entity spans (``gold``) and a TimeMLDoc for the date scorer (``timeml``)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        text = rec["text"]
        taken: list[tuple[int, int]] = []
        gold: set[Span] = set()
        for surface, kind in sorted(rec["entities"], key=lambda e: len(e[0]), reverse=True):
            for start in _occurrences(text, surface):
                end = start + len(surface)
                if all(end <= s or start >= e for s, e in taken):
                    taken.append((start, end))
                    gold.add((start, end, kind))
        timexes = []
        used: set[int] = set()
        for surface, typ, value in rec["timex"]:
            start = next(s for s in _occurrences(text, surface) if s not in used)
            used.add(start)
            timexes.append(GoldTimex(start, start + len(surface), typ, value, surface))
        rec["gold"] = gold
        rec["timeml"] = TimeMLDoc(rec["id"], text, dt.date.fromisoformat(rec["dct"]), timexes)
        out.append(rec)
    return out


def entity_rows(records: list[dict[str, Any]]) -> dict[str, Any]:
    texts = [r["text"] for r in records]
    rows: dict[str, Any] = {}
    systems = {
        "wirebeam_fr": (LanguageEntityExtractors(), "fr"),
        "bare_fr_model": (LanguageEntityExtractors(refine=False), "fr"),
        "english_model_before": (LanguageEntityExtractors({"en": DEFAULT_MODEL}), "en"),
    }
    for name, (extractors, lang) in systems.items():
        if name == "bare_fr_model":
            ex = extractors._extractor("fr")
            t0 = time.perf_counter()
            spans = ex.raw_spans(texts)
            preds = [{(s, e, BARE_TO_CONLL[lab]) for s, e, lab in sp if lab in BARE_TO_CONLL} for sp in spans]
        else:
            extractors.extract(texts[:1], [lang])  # load the model outside the timed call
            t0 = time.perf_counter()
            preds = [predicted_spans(g) for g in extractors.extract(texts, [lang] * len(texts))]
        elapsed = time.perf_counter() - t0
        rows[name] = {**score((r["gold"], p) for r, p in zip(records, preds, strict=True)),
                      "stories_per_s": round(len(texts) / elapsed, 1)}
        rows[name]["_preds"] = preds
    return rows


def date_rows(records: list[dict[str, Any]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name, lang in (("wirebeam_fr_rules", "fr"), ("english_rules_before", "en")):
        scores = Scores()
        for r in records:
            doc = r["timeml"]
            score_doc(doc, extract_dates(doc.text, doc.dct, lang), scores)
        rows[name] = {**scores.metrics(), "_errors": scores.errors}
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the report here")
    ap.add_argument("--errors", action="store_true", help="print the French path's misses and false hits")
    args = ap.parse_args(argv)
    records = load()
    ents = entity_rows(records)
    dates = date_rows(records)
    if args.errors:
        for r, pred in zip(records, ents["wirebeam_fr"]["_preds"], strict=True):
            for s, e, k in sorted(r["gold"] - pred):
                print(f"{r['id']} MISS {r['text'][s:e]!r} {k}")
            for s, e, k in sorted(pred - r["gold"]):
                print(f"{r['id']} FALSE {r['text'][s:e]!r} {k}")
        for err in dates["wirebeam_fr_rules"]["_errors"]:
            print("DATE", *err)
    report = {
        "stories": len(records),
        "gold_entities": sum(len(r["gold"]) for r in records),
        "gold_timex": sum(len(r["timeml"].gold) for r in records),
        "entities": {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")} for k, v in ents.items()},
        "dates": {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")} for k, v in dates.items()},
    }
    _ = SPACY_TO_CONLL  # the mapping predicted_spans applies (PERSON→PER, GPE/LOC/FAC→LOC)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
