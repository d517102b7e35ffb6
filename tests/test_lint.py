"""ruff and mypy, as configured in pyproject.toml, over the whole project."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]


def test_mypy() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "pipeline", "transforms", "schemas"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-4000:]
