"""transforms/entities/loading.py: which components `spacy.load(exclude=…)` may skip, read from the config, and the
empty first tokenizer that the pipeline's own tokenizer file fills in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transforms.entities.loading import EMPTY_TOKENIZER, load_arguments, unneeded_components
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


TOKENIZER_OVERRIDE = {"nlp": {"tokenizer": {"@tokenizers": EMPTY_TOKENIZER}}}


def test_installed_package_builds_its_tokenizer_once() -> None:
    assert load_arguments(DEFAULT_MODEL) == {
        "exclude": unneeded_components(DEFAULT_MODEL), "config": TOKENIZER_OVERRIDE,
    }


def test_the_tokenizer_read_from_disk_is_the_one_spacy_builds() -> None:
    import spacy

    arguments = load_arguments(DEFAULT_MODEL)
    plain: Any = spacy.load(DEFAULT_MODEL, exclude=arguments["exclude"])
    fast: Any = spacy.load(DEFAULT_MODEL, **arguments)
    assert fast.tokenizer.to_bytes(exclude=["vocab"]) == plain.tokenizer.to_bytes(exclude=["vocab"])
    text = "U.S. officials didn't say whether Gov. Smith's e-mail (smith@example.org) reached Wall St. at 9 a.m."
    assert [(t.text, t.idx) for t in fast(text)] == [(t.text, t.idx) for t in plain(text)]
    assert [(e.start_char, e.end_char, e.label_) for e in fast(text).ents] == [
        (e.start_char, e.end_char, e.label_) for e in plain(text).ents
    ]


def _pipeline_folder(folder: Path, tokenizer: str) -> Path:
    (folder / "config.cfg").write_text(f"[nlp]\nlang = \"en\"\npipeline = []\ntokenizer = {tokenizer}\n[components]\n")
    return folder


def test_a_pipeline_without_a_tokenizer_file_keeps_its_own_first_tokenizer(tmp_path: Path) -> None:
    folder = _pipeline_folder(tmp_path, '{"@tokenizers":"spacy.Tokenizer.v1"}')
    assert "config" not in load_arguments(str(folder))
    (folder / "tokenizer").write_bytes(b"")
    assert load_arguments(str(folder))["config"] == TOKENIZER_OVERRIDE


def test_another_tokenizer_is_left_alone(tmp_path: Path) -> None:
    folder = _pipeline_folder(tmp_path, '{"@tokenizers":"spacy.ja.JapaneseTokenizer","split_mode":"A"}')
    (folder / "tokenizer").write_bytes(b"")
    assert "config" not in load_arguments(str(folder))
