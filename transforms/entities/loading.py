"""Which components of a spaCy pipeline entity recognition can do without, read from its config before loading.

`spacy.load(name, exclude=…)` never reads the weights and tables of an excluded component; loading everything and
removing what NER does not need (what `EntityExtractor.load` did alone) reads them all first — for the small English
pipeline, the tagger, parser and lemmatizer tables are about a third of its load time. The answer is conservative:
a component is excluded only when the config shows that NER neither is it nor listens to it; whatever the config
does not say plainly (a sourced component, an unreadable config) is kept, and the extractor still removes, after
loading, what it does not use.

The tokenizer is built once, not twice: `Language.__init__` builds the one the config names (for English, its ~1,350
special cases and affix regexes, about a quarter of the load) and `from_disk` then resets it and reads
every one of its settings from the pipeline's `tokenizer` file. When the config names spaCy's own tokenizer and
the folder has that file, `load_arguments` has the first build make an empty tokenizer that the file fills in:
the same settings, read once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

LOGGER = logging.getLogger(__name__)

# Factories of the components that find entities (transforms/entities/ner.py `_ner_components` keeps the same).
ENTITY_FACTORIES = frozenset({"ner", "beam_ner", "entity_ruler", "span_ruler"})
# spaCy's rule-based tokenizer, whose `from_disk` replaces every setting (affixes, token and URL matches,
# exceptions, heuristics); a tokenizer of another name may keep state its file does not hold.
SPACY_TOKENIZER = {"@tokenizers": "spacy.Tokenizer.v1"}
EMPTY_TOKENIZER = "wirebeam.EmptyTokenizer.v1"


def config_path(model: str) -> Path | None:
    """The config.cfg of a pipeline folder or of an installed pipeline package (its one data folder)."""
    folder = Path(model)
    if not folder.is_dir():
        spec = find_spec(model) if model.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            return None
        package = Path(next(iter(spec.submodule_search_locations)))
        found = sorted(package.glob("*/config.cfg"))
        return found[0] if len(found) == 1 else None
    path = folder / "config.cfg"
    return path if path.is_file() else None


def _listened(node: Any) -> Iterator[str]:
    """The upstream components a component's model config listens to (tok2vec / transformer listeners)."""
    if isinstance(node, dict):
        if "Listener" in str(node.get("@architectures", "")):
            upstream = node.get("upstream", "*")
            yield "tok2vec" if upstream == "*" else str(upstream)
        for value in node.values():
            yield from _listened(value)


def _read_config(model: str) -> tuple[Path, Any] | None:
    """The config path and config of `model`, or None when it has none or it cannot be read."""
    path = config_path(model)
    if path is None:
        return None
    from spacy.util import load_config

    try:
        return path, load_config(path, interpolate=False)
    except (OSError, TypeError, ValueError) as exc:
        LOGGER.debug("config of %s unreadable (%s)", model, exc)
        return None


def load_arguments(model: str) -> dict[str, Any]:
    """Keyword arguments for `spacy.load(model, **…)`: `exclude` (see `unneeded_components`) and, where it is
    safe, `config`: the empty first tokenizer (see the module docstring)."""
    found = _read_config(model)
    if found is None:
        return {"exclude": []}
    path, config = found
    arguments: dict[str, Any] = {"exclude": _unneeded(model, config)}
    overrides = _overrides(path, config)
    if overrides:
        arguments["config"] = overrides
    return arguments


def _overrides(path: Path, config: Any) -> dict[str, Any]:
    """An empty first tokenizer when the pipeline's own `tokenizer` file will replace it (the module docstring)."""
    try:
        tokenizer = dict(config["nlp"]["tokenizer"])
    except (KeyError, TypeError, ValueError):
        return {}
    if tokenizer != SPACY_TOKENIZER or not (path.parent / "tokenizer").is_file():
        return {}
    _register_empty_tokenizer()
    return {"nlp": {"tokenizer": {"@tokenizers": EMPTY_TOKENIZER}}}


def _register_empty_tokenizer() -> None:
    from spacy.tokenizer import Tokenizer
    from spacy.util import registry

    if EMPTY_TOKENIZER in registry.tokenizers:
        return

    def create_empty_tokenizer() -> Any:
        def empty_tokenizer(nlp: Any) -> Tokenizer:
            return Tokenizer(nlp.vocab)  # no rules, no affixes: from_disk sets them all

        return empty_tokenizer

    registry.tokenizers.register(EMPTY_TOKENIZER, func=create_empty_tokenizer)


def unneeded_components(model: str) -> list[str]:
    """Components of `model` that entity recognition does not use, safe to pass as `spacy.load(exclude=…)`."""
    found = _read_config(model)
    return _unneeded(model, found[1]) if found is not None else []


def _unneeded(model: str, config: Any) -> list[str]:
    try:
        pipeline = list(config["nlp"]["pipeline"])
        components = config["components"]
    except (KeyError, TypeError, ValueError) as exc:
        LOGGER.debug("config of %s unreadable (%s): loading every component", model, exc)
        return []
    keep = {
        name for name in pipeline
        if "factory" not in components.get(name, {}) or components[name]["factory"] in ENTITY_FACTORIES
    }
    for name in list(keep):
        keep.update(_listened(components.get(name, {}).get("model", {})))
    return [name for name in pipeline if name not in keep]
