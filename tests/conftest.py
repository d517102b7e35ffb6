"""Shared fixtures: where ../shared is, the reference story, the bundled samples, a CLI runner."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREBEAM_SHARED", ROOT.parent / "shared"))
CORPORA = SHARED / "corpora"
REFERENCE_STORY = SHARED / "samples" / "reuters-2014-03-14-kerry-lavrov.txt"
SAMPLES = ROOT / "pipeline" / "samples"

needs_reference_story = pytest.mark.skipif(
    not REFERENCE_STORY.exists(), reason=f"{REFERENCE_STORY} absent (../shared is not beside the checkout)"
)
needs_corpora = pytest.mark.skipif(not CORPORA.exists(), reason=f"{CORPORA} absent")


@pytest.fixture(scope="session")
def reference_story() -> str:
    return REFERENCE_STORY.read_text(encoding="utf-8")


@pytest.fixture
def run_cli() -> Callable[..., tuple[int, str]]:
    """Run the `wirebeam` CLI in-process; returns (exit code, stdout)."""
    from pipeline.cli import main

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(list(argv), out=out)
        return code, out.getvalue()

    return run


@pytest.fixture(scope="session", autouse=True)
def _cache_dir_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The test run's caches (the language model's arrays) go to a temporary folder, not the user's ~/.cache;
    CLI subprocesses inherit it."""
    if "WIREBEAM_CACHE_DIR" not in os.environ:
        os.environ["WIREBEAM_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
