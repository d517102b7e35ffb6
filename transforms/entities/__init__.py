"""Stage 6 — ExtractEntities: `EnrichedStory` in; the same story out with `entities` of its title and body (offsets,
labels, canonical names, tickers), and a dead letter for a story the model cannot tag.

`ner` is the recognizer (spaCy plus rules), `places` the GeoNames gazetteer and the name tables of the label checks
(their data in `data/`), `fastops` the model's matrix-product and memory settings; `stage` holds the DoFn and the
composite.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.entities.stage import ExtractEntities, ExtractEntitiesFn


__all__ = ["ExtractEntities", "ExtractEntitiesFn"]

__getattr__ = lazy_exports(__name__, "transforms.entities.stage", __all__)
