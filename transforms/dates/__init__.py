"""Stage 7 — ExtractDates: `EnrichedStory` in; the same story out with `dates` (TIMEX3 values resolved against
the story's own date), and a dead letter for a story the tagger cannot handle in time.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.dates.stage import ExtractDates, ExtractDatesFn


__all__ = ["ExtractDates", "ExtractDatesFn"]

__getattr__ = lazy_exports(__name__, "transforms.dates.stage", __all__)
