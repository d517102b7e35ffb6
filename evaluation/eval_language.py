"""Language identification on short wire items: accuracy and items/s of the candidate packages side by side.

Items: evaluation/data/language_items.jsonl (short wire headlines and ledes we wrote and labelled, 11 languages)
and real feed items from ../shared/corpora/real-feeds (title + summary as text), labelled per feed by reading
them — the label is the language of the text, which is not always the feed's declaration (REAL_FEEDS below).

Reported per candidate: accuracy on each set, items/s (identification only; model load excluded), and for
wirebeam's own decision (transforms/language.py: declaration checked against py3langid) the accuracy with the
feeds' declarations given. Candidates not installed are listed as such; install them anywhere on sys.path
(e.g. ``pip install --target DIR`` and ``PYTHONPATH=DIR``) to compare.

    python -m evaluation.eval_language [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser

from transforms.clean.text import clean_text, html_to_text
from transforms.language import decide_language, normalize_code, sample_text

ROOT = Path(__file__).resolve().parent.parent
ITEMS = ROOT / "evaluation" / "data" / "language_items.jsonl"
FEEDS = ROOT.parent / "shared" / "corpora" / "real-feeds"
# Feed file → the language its items are written in (read by us), and how many items to take.
REAL_FEEDS: dict[str, tuple[str, int]] = {
    "parser-fixtures/rss-parser/test/input/customfields.rss": ("en", 15),  # declares "kn"; items are English
    "parser-fixtures/rss-parser/test/input/encoding.rss": ("pt", 40),
    "parser-fixtures/rss-parser/test/input/uolNoticias.rss": ("pt", 15),  # no declaration
    "parser-fixtures/feed-rs/feed-rs/fixture/rss0/rss_0.91_encoding_1.xml": ("pt", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss0/rss_0.91_encoding_2.xml": ("pt", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_encoding_1.xml": ("pt", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_spiegel.xml": ("de", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_spreaker.xml": ("pl", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_ilmessaggero.xml": ("it", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_ilgiornale.xml": ("it", 1),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss0/rss_0.91_missing_id.xml": ("es", 1),
    "parser-fixtures/rss-parser/test/input/guardian.rss": ("en", 20),
    "parser-fixtures/feed-rs/feed-rs/fixture/rss2/rss_2.0_bbc.xml": ("en", 20),
    "evilgodfahim-wl/snapshots/20260416T185707Z_83a647e2/reuters.xml": ("en", 40),
}
_SPACE_RE = re.compile(r"\s+")

Item = dict[str, Any]


def written_items() -> list[Item]:
    return [json.loads(line) for line in ITEMS.read_text(encoding="utf-8").splitlines() if line.strip()]


def real_items() -> list[Item]:
    """Title + summary text of real feed items, with our label and the feed's declaration."""
    out: list[Item] = []
    for rel, (lang, limit) in REAL_FEEDS.items():
        path = FEEDS / rel
        if not path.is_file():
            continue
        doc = feedparser.parse(path.read_bytes())
        declared = doc.feed.get("language")
        for entry in doc.entries[:limit]:
            title = clean_text(html_to_text(entry.get("title", "")))
            summary = clean_text(html_to_text(entry.get("summary", "")))
            text = _SPACE_RE.sub(" ", f"{title} {summary}").strip()
            if text:
                out.append({"lang": lang, "text": text, "declared": declared, "title": title, "body": summary,
                            "feed": rel})
    return out


# --------------------------------------------------------------------------------------------------------------
# Candidates: each a loader returning text → language code (ISO 639-1, or None when it abstains)

def _py3langid() -> Callable[[str], str | None]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: str(ident.classify(text)[0])


def _langid() -> Callable[[str], str | None]:
    from langid.langid import LanguageIdentifier, model

    ident = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    return lambda text: str(ident.classify(text)[0])


def _langdetect() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0  # langdetect is random without a seed

    def run(text: str) -> str | None:
        try:
            return normalize_code(detect(text))
        except LangDetectException:
            return None

    return run


def _lingua(low_accuracy: bool) -> Callable[[], Callable[[str], str | None]]:
    def load() -> Callable[[str], str | None]:
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        detector = builder.build()

        def run(text: str) -> str | None:
            lang = detector.detect_language_of(text)
            return lang.iso_code_639_1.name.lower() if lang is not None else None

        return run

    return load


def _pycld2() -> Callable[[str], str | None]:
    import pycld2

    def run(text: str) -> str | None:
        try:
            _, _, details = pycld2.detect(text)
        except pycld2.error:
            return None
        code = details[0][1]
        return None if code == "un" else normalize_code(code)

    return run


CANDIDATES: dict[str, Callable[[], Callable[[str], str | None]]] = {
    "py3langid": _py3langid,
    "langid": _langid,
    "langdetect": _langdetect,
    "lingua": _lingua(False),
    "lingua-low-accuracy": _lingua(True),
    "pycld2": _pycld2,
}


def score(run: Callable[[str], str | None], items: list[Item], repeat: int = 3) -> tuple[float, float]:
    """(accuracy, items/s): the best of ``repeat`` timed passes."""
    best = float("inf")
    correct = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        got = [run(it["text"]) for it in items]
        best = min(best, time.perf_counter() - t0)
        correct = sum(g == it["lang"] for g, it in zip(got, items, strict=True))
    return correct / len(items), len(items) / best


def evaluate() -> dict[str, Any]:
    sets = {"written": written_items(), "real": real_items()}
    report: dict[str, Any] = {"items": {k: len(v) for k, v in sets.items()}, "candidates": {}}
    for name, load in CANDIDATES.items():
        try:
            t0 = time.perf_counter()
            run = load()
            run("warm up the model")
            load_s = time.perf_counter() - t0
        except ImportError as exc:
            report["candidates"][name] = {"error": f"not installed: {exc}"}
            continue
        row: dict[str, Any] = {"load_s": round(load_s, 3)}
        for set_name, items in sets.items():
            acc, rate = score(run, items)
            row[set_name] = {"accuracy": round(acc, 4), "items_per_s": round(rate, 1)}
        report["candidates"][name] = row
    # wirebeam's decision: the feed's declaration (real items) checked against the text.
    real = sets["real"]
    decisions = [decide_language(it["declared"], it["title"], it["body"]) for it in real]
    t0 = time.perf_counter()
    decisions = [decide_language(it["declared"], it["title"], it["body"]) for it in real]
    elapsed = time.perf_counter() - t0
    declared_right = sum(normalize_code(it["declared"]) == it["lang"] for it in real)
    report["decision_real"] = {
        "accuracy": round(sum(d.language == it["lang"] for d, it in zip(decisions, real, strict=True)) / len(real), 4),
        "declaration_alone_accuracy": round(declared_right / len(real), 4),
        "sources": {s: sum(d.source == s for d in decisions) for s in {d.source for d in decisions}},
        "items_per_s": round(len(real) / elapsed, 1),
    }
    written = sets["written"]
    undeclared = [decide_language(None, None, it["text"]) for it in written]
    report["decision_written_undeclared"] = {
        "accuracy": round(sum(d.language == it["lang"] for d, it in zip(undeclared, written, strict=True))
                          / len(written), 4),
        "undetermined": sum(d.language is None for d in undeclared),
    }
    _ = sample_text  # the decision reads the same sample as the candidates' text
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the report here")
    args = ap.parse_args(argv)
    report = evaluate()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
