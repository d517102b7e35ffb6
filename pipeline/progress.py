"""The live progress line of `wirebeam run`: feeds done / total, stories, duplicates, errors, on a terminal.

The graph's `ProgressTap` steps (transforms/progress.py) count the elements they see into small files of their
own in the folder named by `WIREBEAM_PROGRESS_DIR` (why files and not Beam metrics: see there). The folder is set
by `ProgressDisplay` in the driver's environment, which Beam's `multi_processing` workers inherit, so the same path
works for in-process and multi-process runs; the display sums the files and redraws the line.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import orjson

from transforms.progress import KINDS, PROGRESS_ENV

if TYPE_CHECKING:
    from pipeline.options import RunConfig

# How often the display redraws; a human does not read faster.
REDRAW_SECONDS = 0.5


@dataclasses.dataclass(frozen=True)
class Progress:
    """Counts seen so far by the taps of a run (summed over every worker process)."""

    feeds: int = 0
    stories: int = 0
    duplicates: int = 0
    errors: int = 0


def read_progress(directory: str | os.PathLike[str]) -> Progress:
    """Sum the taps' files; unreadable or foreign files are ignored (the line is only a display)."""
    totals = dict.fromkeys(KINDS, 0)
    try:
        names = os.listdir(directory)
    except OSError:
        return Progress()
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            data = orjson.loads(Path(directory, name).read_bytes())
            kind, count = data["kind"], int(data["count"])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if kind in totals:
            totals[kind] += count
    return Progress(**totals)


def _rate(count: int, elapsed: float) -> str:
    return f"{count / elapsed:.1f}" if elapsed > 0 else "-"


def format_line(progress: Progress, total_feeds: int | None, elapsed: float, phase: str = "") -> str:
    """One status line, e.g. `feeds 3/15 · stories 120 (10.0/s) · dups 4 · errors 2 · 12s`; a chunked run
    (pipeline/chunks.py) leads with its phase, `chunk 2/8 · …` (the counts are the whole run's)."""
    feeds = f"feeds {progress.feeds}/{total_feeds}" if total_feeds else f"feeds {progress.feeds}"
    return (
        f"{phase + ' · ' if phase else ''}{feeds} · stories {progress.stories} ({_rate(progress.stories, elapsed)}/s)"
        f" · dups {progress.duplicates} · errors {progress.errors} · {elapsed:.0f}s"
    )

class ProgressDisplay:
    """Context manager around `pipeline.run()`: redraws a carriage-return status line on a terminal.

    Disabled (no folder, no thread, taps stay silent) unless `enabled` is true; by default it is true only when
    `stream` is a TTY. The final state is printed once more, followed by a newline, when the block ends.
    """

    def __init__(
        self,
        total_feeds: int | None = None,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        interval: float = REDRAW_SECONDS,
    ) -> None:
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._total = total_feeds
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dir: str | None = None
        self._previous_env: str | None = None
        self._started = 0.0
        self._width = 0
        self._phase = ""

    @property
    def directory(self) -> str | None:
        return self._dir

    @property
    def enabled(self) -> bool:
        """Whether the line will be drawn: the graph needs its taps only then."""
        return self._enabled

    def __enter__(self) -> ProgressDisplay:
        if not self._enabled:
            return self
        self._started = time.monotonic()
        self._dir = tempfile.mkdtemp(prefix="wirebeam-progress-")
        self._previous_env = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = self._dir
        self._thread = threading.Thread(target=self._loop, name="wirebeam-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._dir is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.draw()
        self._stream.write("\n")
        self._stream.flush()
        if self._previous_env is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = self._previous_env
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def set_phase(self, phase: str) -> None:
        """What the run is doing, shown first on the line (a chunked run: `fetching`, `chunk 2/8`)."""
        self._phase = phase

    def current(self) -> Progress:
        return read_progress(self._dir) if self._dir else Progress()

    def draw(self) -> None:
        line = format_line(self.current(), self._total, time.monotonic() - self._started, self._phase)
        # Pad over the previous, longer line instead of relying on ANSI erase codes.
        padded = line.ljust(self._width)
        self._width = len(line)
        self._stream.write("\r" + padded)
        self._stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.draw()
            except (OSError, ValueError):  # a closed terminal must not take the job down
                return


def progress_display(config: RunConfig, stream: TextIO | None = None) -> ProgressDisplay:
    """The display the driver wraps around `pipeline.run()`: on a TTY unless `--quiet`; feeds total for `run`."""
    total = len(config.feeds) if config.command == "run" else None
    return ProgressDisplay(total_feeds=total, stream=stream, enabled=False if config.quiet else None)
