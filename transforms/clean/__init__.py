"""Stage 4 — CleanStories: `RawEntry` in; `Story` out — HTML to text, Unicode repaired, page chrome and
boilerplate removed, page timestamp and dateline lifted into fields — and a dead letter for an entry with no text.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.clean.stage import INPUT_TAG, CleanEntryFn, CleanStories, clean_entry


__all__ = ["INPUT_TAG", "CleanEntryFn", "CleanStories", "clean_entry"]

__getattr__ = lazy_exports(__name__, "transforms.clean.stage", __all__)
