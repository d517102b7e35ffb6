"""Stage 3 (optional) — FetchArticles: `RawEntry` in; the same entry out, its text replaced by the main text of
the article page its link points to, when that page can be had and says more than the feed did.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.article.stage import FetchArticleFn, FetchArticles


__all__ = ["FetchArticleFn", "FetchArticles"]

__getattr__ = lazy_exports(__name__, "transforms.article.stage", __all__)
