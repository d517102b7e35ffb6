"""The stage packages export their composites lazily: importing a package or a pure module beside it does not
import Beam, and every exported name resolves to the object in the module that defines it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent.name for p in (ROOT / "transforms").glob("*/__init__.py"))


def test_importing_the_packages_does_not_import_beam() -> None:
    imports = "; ".join(f"import transforms.{name}" for name in PACKAGES)
    code = f"import sys; {imports}; import transforms.dedup.neardup; print('apache_beam' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [
        ("transforms.dedup", "DedupStories", "transforms.dedup.stage"),
        ("transforms.dedup", "StreamingDedup", "transforms.dedup.streaming"),
        ("transforms.dedup", "NoDedup", "transforms.dedup.singleton"),
        ("transforms.fetch", "ReadFeeds", "transforms.fetch.stage"),
        ("transforms.fetch", "PollFeedFn", "transforms.fetch.poll"),
        ("transforms.sink", "WriteStories", "transforms.sink.stage"),
        ("transforms.sink", "WriteWindows", "transforms.sink.windowed"),
    ],
)
def test_a_name_comes_from_the_module_it_is_mapped_to(package: str, name: str, module: str) -> None:
    assert getattr(importlib.import_module(package), name) is getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(f"transforms.{package}")
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = module.Nope
