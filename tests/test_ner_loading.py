"""transforms/entities/loading.py: which components `spacy.load(exclude=…)` may skip, read from the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.entities.loading import unneeded_components
from transforms.entities.ner import DEFAULT_MODEL

CONFIG = """
[nlp]
lang = "en"
pipeline = ["tok2vec","tagger","ner","rules"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tagger]
factory = "tagger"

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
upstream = "{upstream}"

[components.rules]
source = "some_other_pipeline"
"""


@pytest.mark.parametrize(
    ("upstream", "excluded"), [("*", ["tagger"]), ("tok2vec", ["tagger"]), ("other", ["tok2vec", "tagger"])]
)
def test_a_listened_to_or_sourced_component_is_kept(tmp_path: Path, upstream: str, excluded: list[str]) -> None:
    (tmp_path / "config.cfg").write_text(CONFIG.replace("{upstream}", upstream))
    assert unneeded_components(str(tmp_path)) == excluded


def test_installed_package_keeps_only_its_recognizer() -> None:
    # The small English pipeline's ner carries its own tok2vec: everything else is skipped.
    skipped = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
    assert unneeded_components(DEFAULT_MODEL) == skipped


@pytest.mark.parametrize("model", ["no_such_pipeline_package", "/no/such/folder", "not an identifier"])
def test_unknown_models_exclude_nothing(model: str) -> None:
    assert unneeded_components(model) == []
