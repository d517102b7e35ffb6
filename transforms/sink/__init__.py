"""Stage 8 — WriteStories: stories, duplicates and dead letters in; JSONL file sets in the run folder out, plus
the per-feed counts the driver folds into `manifest.json`.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.sink.stage import WriteRunFiles, WriteStories, json_line


__all__ = ["WriteRunFiles", "WriteStories", "json_line"]

__getattr__ = lazy_exports(__name__, "transforms.sink.stage", __all__)
