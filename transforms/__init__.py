"""wirebeam's stages, one package each, in the order of the data flow:

fetch → parse → article (optional) → clean → dedup → entities → dates → sink

Each package's `__init__` exports its Beam composite(s); the pure logic lives in the modules beside it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence


def lazy_exports(package: str, module: str, names: Sequence[str]) -> Callable[[str], object]:
    """A module `__getattr__` that imports `module` on first use of one of `names`.

    A stage package exports its composite without importing Beam when only a pure module beside it is wanted
    (the CLI's option parsing imports `transforms.entities.fastops`, a test imports `transforms.dedup.neardup`):
    importing Beam costs about a second of every command's start-up.
    """
    exported = frozenset(names)

    def __getattr__(name: str) -> object:
        if name in exported:
            return getattr(importlib.import_module(module), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
