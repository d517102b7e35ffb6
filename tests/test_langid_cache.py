"""The language model's decompressed cache (transforms/langid_cache.py): same predictions, and never a failed run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from transforms import langid_cache
from transforms.langid_cache import ARRAYS, MANIFEST, PREFIX, cache_key, load_identifier, model_path

TEXTS = [
    "The central bank kept its policy rate unchanged on Wednesday, citing slowing inflation.",
    "Le gouvernement a annoncé mardi une hausse des taxes sur le carburant.",
    "Die Bundesregierung hat am Dienstag neue Hilfen für die Industrie beschlossen.",
    "El presidente viajará a Bruselas la próxima semana para reunirse con sus socios.",
    "O presidente viajará a Bruxelas na próxima semana.",
    "Премьер-министр заявил во вторник о новых санкциях.",
    "日本銀行は水曜日、金融政策の維持を決めた。",
    "Nigeria orders investigation into fuel scarcity",
    "REUTERS - SHARES FELL SHARPLY IN EARLY TRADE",
    "ok",
    "",
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    """py3langid's own load, no cache involved."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder written by a first load (each test copies what it alters)."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WIREBEAM_CACHE_DIR", str(root))
        mp.delenv("WIREBEAM_NO_CACHE", raising=False)
        load_identifier()
    return root


@pytest.fixture
def cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WIREBEAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("WIREBEAM_NO_CACHE", raising=False)
    return tmp_path / "cache"


def predictions(identifier: Any) -> list[Any]:
    return [(identifier.classify(t), identifier.rank(t)) for t in TEXTS]


def copy_of(filled: Path, cache_dir: Path) -> Path:
    import shutil

    shutil.copytree(filled, cache_dir)
    return cache_dir / cache_key(model_path())


def test_the_first_load_writes_the_cache_and_the_next_reads_it_with_identical_predictions(
    reference: LanguageIdentifier, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_identifier()
    folder = cache_dir / cache_key(model_path())
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST, *(f"{n}.npy" for n in ARRAYS)])
    assert [p.name for p in cache_dir.iterdir()] == [folder.name]  # no staging folder left behind

    def no_packaged_load(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the second load should read the cache")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", no_packaged_load)
    cached = load_identifier()
    assert predictions(cached) == predictions(reference) == predictions(first)  # languages and probabilities, exact
    assert cached.nb_classes == reference.nb_classes
    assert cached.tk_nextmove == reference.tk_nextmove and cached.tk_output == reference.tk_output
    assert np.array_equal(cached.nb_ptc, reference.nb_ptc) and cached.nb_ptc.dtype == reference.nb_ptc.dtype


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "garbage manifest", "missing file"])
def test_a_damaged_cache_falls_back_to_the_packaged_model_and_is_rewritten(
    reference: LanguageIdentifier, filled: Path, cache_dir: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy_of(filled, cache_dir)
    ptc = folder / "ptc.npy"
    if damage == "truncate":
        ptc.write_bytes(ptc.read_bytes()[: ptc.stat().st_size // 2])
    elif damage == "flip a byte":
        data = bytearray(ptc.read_bytes())
        data[len(data) // 2] ^= 0x40
        ptc.write_bytes(bytes(data))
    elif damage == "garbage manifest":
        (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    else:
        (folder / "nextmove.npy").unlink()
    with caplog.at_level(logging.DEBUG, logger=langid_cache.__name__):
        loaded = load_identifier()
    assert "unusable" in caplog.text
    assert predictions(loaded) == predictions(reference)
    assert langid_cache.read_cache(folder).keys() == set(ARRAYS)  # a good copy replaced the damaged one


def test_an_unwritable_cache_folder_leaves_the_packaged_model(
    reference: LanguageIdentifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("WIREBEAM_CACHE_DIR", str(blocker / "wirebeam"))  # a folder under a file: never creatable
    with caplog.at_level(logging.DEBUG, logger=langid_cache.__name__):
        loaded = load_identifier()
    assert "not cached" in caplog.text
    assert predictions(loaded) == predictions(reference)


def test_a_full_disk_while_writing_leaves_no_partial_folder(
    reference: LanguageIdentifier, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = np.save
    calls: list[str] = []

    def save_then_fail(path: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(str(path))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_save(path, *args, **kwargs)

    monkeypatch.setattr(langid_cache.np, "save", save_then_fail)
    loaded = load_identifier()
    assert predictions(loaded) == predictions(reference)
    assert list(cache_dir.iterdir()) == []


def test_the_cache_can_be_turned_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREBEAM_NO_CACHE", "1")
    assert langid_cache.cache_root() is None
    load_identifier()
    assert not cache_dir.exists()


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WIREBEAM_CACHE_DIR", raising=False)
    monkeypatch.delenv("WIREBEAM_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert langid_cache.cache_root() == tmp_path / "wirebeam"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert langid_cache.cache_root() == tmp_path / "home" / ".cache" / "wirebeam"


def test_the_key_follows_the_model_files_content_not_its_path_or_mtime(tmp_path: Path) -> None:
    import os

    same = tmp_path / "model.npz.xz"
    same.write_bytes(model_path().read_bytes())
    os.utime(same, (1, 1))  # another environment's install: another path and mtime, the same file
    assert cache_key(same) == cache_key(model_path())
    other = tmp_path / "other.npz.xz"
    other.write_bytes(model_path().read_bytes()[:-1] + b"x")
    assert cache_key(other) != cache_key(model_path())
    assert cache_key(same).startswith(PREFIX + "0.4.0-")
