"""Each story's language: the feed's declared language checked against the text.

Stage-neutral and pure apart from the identification model (py3langid's Naive Bayes over byte n-grams, shipped
inside the package and loaded once per process): the clean stage calls :func:`decide_language` so that every later
stage can rely on ``Story.language``.

The decision, in order:
1. The declared language (item, else channel, else the configured feed's), reduced to its primary subtag
   ("en-US", "IT-it", "pt_BR" → "en", "it", "pt").
2. The text (title and the start of the body) identified when it has enough letters to be told apart.
3. A declaration stands unless the text says, with high confidence, another language ("overruled"): feeds
   mislabel whole channels (a feed declaring "kn" for English items) and mixed feeds carry one channel language
   for items in several. With no declaration the identified language is taken ("detected"); with neither, the
   language is unknown ("undetermined").
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from schemas.story import LanguageSource

LOGGER = logging.getLogger(__name__)

# Characters of text the identifier reads: the title and the first sentences say the language as well as the
# whole body, and identification time grows with the length (py3langid walks the bytes in Python).
SAMPLE_CHARS = 300
# Fewer letters than this and n-gram identification is a guess (one short headline word); the declaration stands
# unchecked, and without one nothing is decided.
MIN_LETTERS = 12
# Probability the identifier must give another language to overrule a declaration. py3langid's normalized
# probabilities on one wire sentence are ≥ 0.99 for a clear case; close languages (es/pt/gl, no/da) fall
# below it, and then the feed's word is kept.
OVERRULE_CONFIDENCE = 0.98
# ... or when the declared language itself gets less than this: the text is plainly not in it, whatever else it
# is (English items of a feed declaring Kannada, where py3langid hesitates between English and Nigerian Pidgin).
DECLARED_IMPLAUSIBLE = 0.001
# Probability under which an undeclared text's language is not taken (too ambiguous to pick a model by).
DETECT_CONFIDENCE = 0.4

# Classes merged into another: py3langid 0.4's Nigerian Pidgin takes plain English headlines ("Nigeria orders
# investigation into …" at 0.67; 15 of 6,595 real English feed items); Pidgin news is written in English spelling
# and read better by the English model than by none.
FOLDED = {"pcm": "en"}
# Stories that never went through the language decision (records written before it, stories built by hand)
# are English, as every story was before.
LEGACY_LANGUAGE = "en"

_SUBTAG_RE = re.compile(r"[A-Za-z]{2,3}")
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class LanguageDecision:
    """The story's language (ISO 639-1 where one exists, else 639-3; None when unknown) and how it was decided."""

    language: str | None
    source: LanguageSource
    declared: str | None  # the declaration as written ("en-nz"), None when there was none
    confidence: float | None  # the identifier's probability for the language it found; None when not run


def normalize_code(code: str | None) -> str | None:
    """Primary language subtag, lower-cased: "en-US" → "en", "IT-it" → "it"; None for an empty or odd value."""
    if not code:
        return None
    m = _SUBTAG_RE.match(code.strip())
    if m is None:
        return None
    end = m.end()
    rest = code.strip()[end:]
    if rest and rest[0] not in "-_ ":
        return None  # "english", "fr1": not a tag
    return m.group().lower()


_IDENTIFIER: Any = None
_IDENTIFIER_LOCK = threading.Lock()


def _identifier() -> Any:
    """py3langid's identifier with normalized probabilities, loaded once per process on first use (a second
    caller waits for the first's load), from the decompressed copy in the user's cache when there is one
    (transforms/langid_cache.py)."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _IDENTIFIER_LOCK:
            if _IDENTIFIER is None:
                from transforms.langid_cache import load_identifier as load_cached

                _IDENTIFIER = load_cached(norm_probs=True)
    return _IDENTIFIER


def load_identifier() -> None:
    """Load the identification model now (``DoFn.setup``) rather than on the first story."""
    _identifier()


def _preload() -> None:
    """The background load: a failure (a full disk for py3langid's temporary file, say) is left to the step that
    needs the model, which loads it again and fails there, with the run's own error handling — not a thread's
    traceback on the console."""
    try:
        _identifier()
    except Exception as exc:  # reported again by the foreground load
        logging.getLogger(__name__).debug("background load of the language identifier failed: %s", exc)


def preload_identifier() -> threading.Thread:
    """Start loading the model in a background thread and return it. Without the cache most of the load is LZMA
    decompression of the 4.6 MB model file (68 MB of arrays), which runs without the GIL: started before Beam is
    imported, it takes another core's time instead of the command's (``load_identifier`` then waits for it, if
    need be); from the cache it is ~0.05 CPU-s."""
    thread = threading.Thread(target=_preload, name="load-language-identifier", daemon=True)
    thread.start()
    return thread


def sample_text(title: str | None, body: str | None) -> str:
    """What the identifier reads: the title and the start of the body."""
    text = f"{title or ''}\n{body or ''}"
    return text[:SAMPLE_CHARS]


def _enough_letters(text: str) -> bool:
    letters = _LETTER_RE.finditer(text, 0, SAMPLE_CHARS)
    return sum(1 for _ in itertools.islice(letters, MIN_LETTERS)) >= MIN_LETTERS


def identify(text: str) -> tuple[str | None, float]:
    """(language, probability) of ``text``, or (None, 0.0) when it has too few letters to tell."""
    if not _enough_letters(text):
        return None, 0.0
    lang, prob = _identifier().classify(text[:SAMPLE_CHARS])
    if str(lang) in FOLDED:  # rare: merge the folded class into its language
        return rank(text)[0]
    return str(lang), float(prob)


def rank(text: str) -> list[tuple[str, float]]:
    """Every language with its probability for ``text``, best first; empty when it has too few letters."""
    if not _enough_letters(text):
        return []
    merged: dict[str, float] = {}
    for lang, prob in _identifier().rank(text[:SAMPLE_CHARS]):
        code = FOLDED.get(str(lang), str(lang))
        merged[code] = merged.get(code, 0.0) + float(prob)
    return sorted(merged.items(), key=lambda kv: kv[1], reverse=True)


def enrichment_language(language: str | None, source: str | None) -> str | None:
    """The language whose models and rules enrich a story: its own, English for a story never decided
    (``source`` None), None when it was decided and is unknown."""
    if language is None and source is None:
        return LEGACY_LANGUAGE
    return language


def decide_language(declared: str | None, title: str | None, body: str | None) -> LanguageDecision:
    """The story's language from its declaration and its text (see the module docstring)."""
    decl = normalize_code(declared)
    as_written = declared.strip() if decl is not None and declared else None
    text = sample_text(title, body)
    found, prob = identify(text)  # the top language only: ranking every language costs twice as much
    if decl is not None:
        if found is None:
            return LanguageDecision(decl, "declared_unchecked", as_written, None)
        if found != decl and (
            prob >= OVERRULE_CONFIDENCE or dict(rank(text)).get(decl, 0.0) < DECLARED_IMPLAUSIBLE
        ):
            return LanguageDecision(found, "overruled", as_written, prob)
        return LanguageDecision(decl, "declared", as_written, prob)
    if found is not None and prob >= DETECT_CONFIDENCE:
        return LanguageDecision(found, "detected", None, prob)
    return LanguageDecision(None, "undetermined", None, prob if found else None)
