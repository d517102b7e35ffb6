"""Stage 8 — WriteStories: stories, duplicates and dead letters in; JSONL file sets in the run folder out, plus
the per-feed counts the driver folds into `manifest.json`. WriteWindows is the sink of `wirebeam stream`: one
file set per fixed window of event time, and a commit record of the window in the state folder.
"""

from typing import TYPE_CHECKING

from transforms import lazy_exports

if TYPE_CHECKING:
    from transforms.sink.stage import WriteRunFiles, WriteStories, json_line
    from transforms.sink.windowed import WriteWindows, poll_line


__all__ = ["WriteRunFiles", "WriteStories", "WriteWindows", "json_line", "poll_line"]

__getattr__ = lazy_exports(
    __name__,
    {
        "transforms.sink.windowed": ["WriteWindows", "poll_line"],
        "transforms.sink.stage": ["WriteRunFiles", "WriteStories", "json_line"],
    },
)
