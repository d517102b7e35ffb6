"""wirebeam's stages, one package each, in the order of the data flow:

fetch → parse → article (optional) → clean → dedup → entities → dates → sink

Each package's `__init__` exports its Beam composite(s); the pure logic lives in the modules beside it.
`stories.ProcessStories` is the middle (article → dates) that the batch and the streaming graph share;
`progress.ProgressTap` counts a branch for the live progress line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str, module: str | Mapping[str, Sequence[str]], names: Sequence[str] = ()
) -> Callable[[str], object]:
    """A module `__getattr__` that imports a name's module on first use of the name.

    `module` is one module for all of `names`, or a mapping {module: names} for a package whose composites live in
    several modules. A stage package exports its composite without importing Beam when only a pure module beside
    it is wanted (the CLI's option parsing imports `transforms.entities.fastops`, a test imports
    `transforms.dedup.neardup`): importing Beam costs about a second of every command's start-up.
    """
    modules = {module: names} if isinstance(module, str) else module
    home = {name: where for where, exported in modules.items() for name in exported}

    def __getattr__(name: str) -> object:
        if name in home:
            return getattr(importlib.import_module(home[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
