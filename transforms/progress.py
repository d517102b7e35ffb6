"""ProgressTap: a side branch that counts a PCollection's elements for the live progress line of `wirebeam run`.

Why a folder of tiny files rather than Beam metrics: Beam 2.77's FnApiRunner runs `pipeline.run()` to completion
before it returns a result, and its counters reach the runner only when a bundle ends (one bundle per stage here),
so nothing can be queried while the job runs. Instead a tap counts the elements it sees and, at most every
`FLUSH_SECONDS`, replaces one small JSON file of its own in the folder named by `WIREBEAM_PROGRESS_DIR`; the
display (pipeline/progress.py) sets the folder and sums the files. Without the variable (tests, Dataflow,
`--quiet`, no terminal) a tap does nothing but count in memory.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
import orjson

LOGGER = logging.getLogger(__name__)

PROGRESS_ENV = "WIREBEAM_PROGRESS_DIR"
KINDS = ("feeds", "stories", "duplicates", "errors")
# A tap rewrites its file at most this often: a few syscalls per second per step, invisible next to NER.
FLUSH_SECONDS = 0.25


def progress_file(directory: str, kind: str) -> str:
    """A file name no other tap instance (in any process) uses."""
    return os.path.join(directory, f"{kind}-{os.getpid()}-{secrets.token_hex(4)}.json")


def write_count(path: str, kind: str, count: int) -> None:
    """Replace `path` atomically so a reader never sees half a file."""
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(orjson.dumps({"kind": kind, "count": count}))
    os.replace(tmp, path)

class ProgressTallyFn(beam.DoFn):
    """Counts the elements of one PCollection into this instance's progress file; emits nothing."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"progress kind must be one of {KINDS}, got {kind!r}")
        self._kind = kind
        self._path: str | None = None
        self._count = 0
        self._written = 0
        self._last = 0.0

    def setup(self) -> None:
        directory = os.environ.get(PROGRESS_ENV)
        self._path = progress_file(directory, self._kind) if directory and os.path.isdir(directory) else None

    def process(self, element: Any) -> Iterator[Any]:
        self._count += 1
        if self._path is not None and time.monotonic() - self._last >= FLUSH_SECONDS:
            self._flush()
        return iter(())

    def finish_bundle(self) -> None:
        self._flush()

    def teardown(self) -> None:
        self._flush()

    def _flush(self) -> None:
        self._last = time.monotonic()
        if self._path is None or self._count == self._written:
            return
        try:
            write_count(self._path, self._kind, self._count)
            self._written = self._count
        except OSError as exc:  # the display folder vanished (run ended): stop writing, never fail the job
            LOGGER.debug("progress file %s not written: %s", self._path, exc)
            self._path = None


class ProgressTap(beam.PTransform):
    """A side branch that counts a PCollection's elements for the live progress line (feeds/stories/...)."""

    def __init__(self, kind: str, label: str | None = None) -> None:
        super().__init__(label)
        if kind not in KINDS:
            raise ValueError(f"progress kind must be one of {KINDS}, got {kind!r}")
        self._kind = kind

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        return pcoll | "Tally" >> beam.ParDo(ProgressTallyFn(self._kind))
