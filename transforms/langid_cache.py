"""py3langid's model arrays cached decompressed in the user's cache folder, so later processes skip the LZMA.

py3langid 0.4 ships its model as an LZMA-compressed npz (4.6 MB, 68 MB of arrays): each load decompresses it
into a temporary file and converts the arrays, 0.8–1.1 CPU-s of every command's start-up. The first load also
writes the arrays as .npy files into ``py3langid-<key>/`` of the cache folder (a folder written under a temporary
name, then renamed: other processes see all of it or none of it); later loads memory-map them (0.05–0.10 CPU-s).

Where: ``$WIREBEAM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/wirebeam``, else ``~/.cache/wirebeam``;
``WIREBEAM_NO_CACHE=1`` turns the cache off. The key is py3langid's version, the model file's digest and this
module's format: an upgrade writes a new folder (the old one stays until the cache is cleared), and virtual
environments with the same py3langid share one. Every file's xxh3 digest is in the folder's manifest and
checked on load. Any failure — an unwritable folder, a full disk, a truncated or
altered file — is logged at debug level and the model is loaded as py3langid loads it: the cache never fails a
run, and the identifier built from it predicts exactly as py3langid's own (tests/test_langid_cache.py).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

LOGGER = logging.getLogger(__name__)

# Bumped when the folder's layout changes: an older layout is then never read.
FORMAT = 1
PREFIX = "py3langid-"
MANIFEST = "manifest.json"
# The identifier's arrays by the names of py3langid's model file.
ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
# array.array typecodes by item size, as py3langid's modelio builds its DFA tables.
_TYPECODE = {2: "H", 4: "I", 8: "L"}


def cache_root() -> Path | None:
    """The cache folder, or None when ``WIREBEAM_NO_CACHE`` turns it off."""
    if os.environ.get("WIREBEAM_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("WIREBEAM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wirebeam"


def model_path() -> Path:
    """The model file py3langid loads by default."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def cache_key(model: Path) -> str:
    """The folder name for this py3langid and this model file's content (its xxh3, ~1 ms for 4.6 MB): another
    version or model is another folder, and two environments with the same py3langid share one."""
    import xxhash
    from py3langid import __version__

    return f"{PREFIX}{__version__}-{xxhash.xxh3_64_hexdigest(model.read_bytes())}-f{FORMAT}"


def _digest(values: np.ndarray) -> str:
    import xxhash

    return xxhash.xxh3_64_hexdigest(np.ascontiguousarray(values).data.cast("B"))


def _to_array(values: np.ndarray) -> array[int]:
    """Unsigned NumPy ints → the stdlib array py3langid walks its DFA with (indexing it gives plain ints)."""
    out = array(_TYPECODE[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return out


def arrays_of(identifier: Any) -> dict[str, np.ndarray]:
    """A loaded identifier's model as the arrays of py3langid's model file (the full model, whatever
    ``set_languages`` restricted)."""
    ptc, pc, classes = identifier._full_model
    return {
        "ptc": np.asarray(ptc),
        "pc": np.asarray(pc),
        "classes": np.array(classes),
        "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=f"u{identifier.tk_nextmove.itemsize}"),
        "nextmove_row": np.frombuffer(identifier.tk_row, dtype=f"u{identifier.tk_row.itemsize}"),
        "out_feat": np.asarray(identifier.tk_output, dtype=np.int32),
    }


def identifier_from(arrays: dict[str, np.ndarray], norm_probs: bool) -> Any:
    """A LanguageIdentifier built from the arrays as py3langid's ``from_model_file`` builds it from its file."""
    from py3langid.langid import LanguageIdentifier

    return LanguageIdentifier(
        np.asarray(arrays["ptc"]),
        np.asarray(arrays["pc"]),
        arrays["classes"].tolist(),
        _to_array(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        norm_probs=norm_probs,
        tk_row=_to_array(arrays["nextmove_row"]),
    )


def read_cache(folder: Path) -> dict[str, np.ndarray]:
    """The arrays of a cache folder, memory-mapped; ValueError (or OSError) when a file is missing, truncated or
    differs from the manifest."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    arrays: dict[str, np.ndarray] = {}
    for name in ARRAYS:
        expected = manifest[name]
        values = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        if (values.dtype.str, list(values.shape)) != (expected["dtype"], expected["shape"]):
            raise ValueError(f"{name}.npy is {values.dtype.str} {values.shape}, the manifest says {expected}")
        if _digest(values) != expected["xxh3"]:
            raise ValueError(f"{name}.npy differs from the manifest's digest")
        arrays[name] = values
    return arrays


def write_cache(root: Path, key: str, arrays: dict[str, np.ndarray]) -> Path:
    """Write the arrays as ``root/key`` (a temporary folder renamed into place); the folder another process
    renamed first is kept."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        manifest = {}
        for name in ARRAYS:
            values = np.ascontiguousarray(arrays[name])
            np.save(staging / f"{name}.npy", values, allow_pickle=False)
            manifest[name] = {"dtype": values.dtype.str, "shape": list(values.shape), "xxh3": _digest(values)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        final = root / key
        try:
            staging.rename(final)
        except OSError:
            if not (final / MANIFEST).exists():
                raise
            # another process's folder is already in place: keep it
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def load_identifier(norm_probs: bool = True) -> Any:
    """py3langid's default identifier, from the cache when it holds this model, else loaded by py3langid (and
    then cached for the next process)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    root = cache_root()
    if root is None:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm_probs)
    folder: Path | None = None
    # Broad catches below: whatever is wrong with the cache (a file another program altered, a full disk, a
    # read-only home), the run goes on with the packaged model.
    try:
        folder = root / cache_key(model_path())
        if (folder / MANIFEST).exists():
            return identifier_from(read_cache(folder), norm_probs)
    except Exception as exc:
        LOGGER.debug("language model cache %s unusable, loading the packaged model: %s", folder or root, exc)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # rewritten below
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm_probs)
    if folder is not None:
        try:
            write_cache(root, folder.name, arrays_of(identifier))
        except Exception as exc:
            LOGGER.debug("language model not cached in %s: %s", root, exc)
    return identifier
