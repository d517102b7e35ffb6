"""Chunked batch runs: a large input processed in pieces of `--chunk-size` entries on one run's state.

Why: the local runners (the FnApiRunner, which the DirectRunner falls back to) keep every PCollection of a job in
memory, so one job's peak grows with its input. The driver (pipeline/driver.py) instead runs one Beam job per
chunk, one after the other, in the same run: each chunk's job writes into a hidden folder of the run folder
(`.chunk-NNNNN/`) and reads, as its dedup index, the index the previous chunk wrote (the state's index for the
first), so a copy in chunk 5 of a story of chunk 1 is a duplicate as in one job. Once every chunk has finished,
`merge_chunks` moves the chunks' files into the run folder under the names one job would have given them
(`stories-SSSSS-of-NNNNN.jsonl` numbered across chunks), keeps only the last chunk's `_index` (the whole run's
index) and every chunk's `_counts` (the driver sums them); the manifest and the state commit follow as for one
job. Until then nothing is committed: a crash in any chunk leaves a run folder without a manifest and the state
as it was, and the rerun starts over.

Where chunks are cut: for `enrich`, the input's lines (streamed into one chunk file at a time); for `run`, the
entries after fetch and parse — a first job fetches and parses every feed into `_entries` files in the run folder
(raw entries are small next to what clean, dedup and entities hold), then the chunks read those. Cutting by feed
instead would make the chunk size depend on how many items each feed carries.

Dataflow (and any non-local runner) runs one job: its workers do not hold a job's data in memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipeline.beam_flags import is_local_runner
from pipeline.state import join

LOGGER = logging.getLogger(__name__)

CHUNK_FOLDER = ".chunk-{:05d}"
FETCH_FOLDER = ".fetch"  # the first job of a chunked `run`: fetch and parse every feed
CHUNK_INPUT = ".input-{:05d}.jsonl"
# The file sets a chunk writes: numbered across chunks, summed (`_counts`), or the last chunk's only (`_index`).
NUMBERED = ("stories", "duplicates", "dead_letter", "_feed_reports")
SUMMED = ("_counts",)
LAST_ONLY = ("_index",)


def runs_in_chunks(beam_args: list[str]) -> bool:
    """Whether the job's runner keeps its data in this process (the only case chunking is for)."""
    return is_local_runner(PipelineOptions(beam_args).view_as(StandardOptions).runner)


def count_lines(paths: Iterable[str]) -> int:
    """Non-blank lines (what a chunk counts as entries) of files read through Beam's FileSystems."""
    total = 0
    for path in paths:
        with FileSystems.open(path) as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def chunk_inputs(paths: Iterable[str], chunk_size: int, folder: str) -> Iterator[str]:
    """Cut the non-blank lines of `paths` into files of `chunk_size` lines in `folder`, one at a time: a chunk
    file is written when the caller asks for it and deleted when the caller asks for the next one, so the disk,
    like the memory, holds one chunk. Always at least one chunk, empty if need be: the job that carries the
    earlier dedup index forward."""
    if chunk_size < 1:
        raise ValueError(f"--chunk-size must be >= 1, got {chunk_size}")
    number, written, handle, path = 0, 0, None, ""
    for source in paths:
        with FileSystems.open(source) as lines:
            for line in lines:
                if not line.strip():
                    continue
                if handle is None:
                    path = join(folder, CHUNK_INPUT.format(number))
                    handle = FileSystems.create(path)
                handle.write(line if line.endswith(b"\n") else line + b"\n")
                written += 1
                if written == chunk_size:
                    handle.close()
                    yield path
                    FileSystems.delete([path])
                    number, written, handle = number + 1, 0, None
    if handle is None and number == 0:  # no lines at all: one empty chunk still carries the index forward
        path = join(folder, CHUNK_INPUT.format(number))
        handle = FileSystems.create(path)
    if handle is not None:
        handle.close()
        yield path
        FileSystems.delete([path])


def chunk_folder(run_dir: str, number: int | str) -> str:
    """A fresh hidden folder of the run folder: chunk `number`'s, or the one named."""
    folder = join(run_dir, CHUNK_FOLDER.format(number) if isinstance(number, int) else number)
    if not folder.startswith("gs://"):
        os.makedirs(folder, exist_ok=False)
    return folder


def _files(folder: str, prefix: str) -> list[str]:
    matches = FileSystems.match([join(folder, prefix) + "-*"])[0].metadata_list
    return sorted(m.path for m in matches if not m.path.endswith(".tmp"))


def index_glob(folder: str) -> str:
    """The dedup index a chunk wrote: the next chunk's prior index (ReadFromText takes the pattern)."""
    return join(folder, "_index") + "-*"


def _is_empty(path: str) -> bool:
    return FileSystems.match([path])[0].metadata_list[0].size_in_bytes == 0


def merge_chunks(run_dir: str, folders: list[str]) -> None:
    """Move the chunks' files into `run_dir` as one job would have named them, then remove the chunk folders.

    A numbered kind keeps the non-empty files of every chunk, in chunk order (one empty file when all are empty,
    as one job writes for a kind with no lines)."""
    from transforms.sink.stage import shard_name

    renames: list[tuple[str, str]] = []
    drop: list[str] = []
    for kind in NUMBERED:
        paths = [p for folder in folders for p in _files(folder, kind)]
        if not paths:
            continue
        kept = [p for p in paths if not _is_empty(p)] or paths[:1]
        drop += [p for p in paths if p not in kept]
        renames += [(p, shard_name(run_dir, kind, i, len(kept))) for i, p in enumerate(kept)]
    for kind in SUMMED:
        paths = [p for folder in folders for p in _files(folder, kind)]
        renames += [(p, shard_name(run_dir, kind, i, len(paths))) for i, p in enumerate(paths)]
    for kind in LAST_ONLY:
        for folder in folders[:-1]:
            drop += _files(folder, kind)
        paths = _files(folders[-1], kind) if folders else []
        renames += [(p, shard_name(run_dir, kind, i, len(paths))) for i, p in enumerate(paths)]
    if renames:
        FileSystems.rename([src for src, _ in renames], [dst for _, dst in renames])
    if drop:
        FileSystems.delete(drop)
    for folder in folders:
        leftovers = [m.path for m in FileSystems.match([folder + "/*"])[0].metadata_list]
        if leftovers:
            FileSystems.delete(leftovers)
        if FileSystems.exists(folder):
            FileSystems.delete([folder])
