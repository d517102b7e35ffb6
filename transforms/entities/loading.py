"""Which components of a spaCy pipeline entity recognition can do without, read from its config before loading.

`spacy.load(name, exclude=…)` never reads the weights and tables of an excluded component; loading everything and
removing what NER does not need (what `EntityExtractor.load` did alone) reads them all first — for the small English
pipeline, the tagger, parser and lemmatizer tables are about a third of its load time. The answer is conservative:
a component is excluded only when the config shows that NER neither is it nor listens to it; whatever the config
does not say plainly (a sourced component, an unreadable config) is kept, and the extractor still removes, after
loading, what it does not use.
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


def unneeded_components(model: str) -> list[str]:
    """Components of `model` that entity recognition does not use, safe to pass as `spacy.load(exclude=…)`."""
    path = config_path(model)
    if path is None:
        return []
    from spacy.util import load_config

    try:
        config = load_config(path, interpolate=False)
        pipeline = list(config["nlp"]["pipeline"])
        components = config["components"]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        LOGGER.debug("config of %s unreadable (%s): loading every component", model, exc)
        return []
    keep = {
        name for name in pipeline
        if "factory" not in components.get(name, {}) or components[name]["factory"] in ENTITY_FACTORIES
    }
    for name in list(keep):
        keep.update(_listened(components.get(name, {}).get("model", {})))
    return [name for name in pipeline if name not in keep]
