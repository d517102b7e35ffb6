"""Assembles wirebeam's batch graph from the stage composites in transforms/.

`build_pipeline` only wires labelled steps; the driver (pipeline/driver.py) decides the run folder, reads and
commits the state, and writes the manifest.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.options import RunConfig
from schemas.story import DeadLetter, FeedSource, RawEntry
from transforms.clean.stage import INPUT_TAG
from transforms.common import DEAD_LETTER
from transforms.dedup.members import CARRIED_ENTRIES, INDEX_ENTRIES
from transforms.dedup.singleton import NoDedup
from transforms.dedup.stage import DedupStories
from transforms.fetch.stage import FEED_REPORT, ReadFeeds
from transforms.parse.stage import ParseEntries, ParseStoryLines
from transforms.progress import ProgressTap
from transforms.sink.stage import FileKind, WriteRunFiles, WriteStories, feed_count, json_line
from transforms.stories import ProcessStories

LOGGER = logging.getLogger(__name__)

ENTRIES = "_entries"  # a chunked run's parsed entries, written by build_fetch_pipeline (pipeline/chunks.py)


def _entry_level(letter: DeadLetter) -> bool:
    return letter.entry_id is not None


def input_source(path: str) -> FeedSource:
    return FeedSource(url=path, name=os.path.basename(path), tags=[INPUT_TAG])


def process_stories(config: RunConfig, dedup: beam.PTransform, **graph: Any) -> ProcessStories:
    """The shared middle of both graphs with the run's settings; `graph` adds what only one graph has (the index
    entries of the batch dedup, the stream's windows)."""
    return ProcessStories(
        dedup,
        ner_model=config.ner_model,
        ner_batch_size=config.ner_batch_size,
        element_timeout=config.element_timeout,
        failpoints=config.failpoints,
        gemm=config.gemm,
        malloc=config.malloc,
        articles=config.fetch if config.fetch_articles else None,
        **graph,
    )


def build_pipeline(
    config: RunConfig,
    options: PipelineOptions,
    run_dir: str,
    feed_state: Mapping[str, Mapping[str, Any]] | None = None,
    index_path: str | None = None,
    now: dt.datetime | None = None,
    progress: bool = True,
    input_path: str | None = None,
) -> beam.Pipeline:
    """The batch graph for `wirebeam run` / `wirebeam enrich`, writing into `run_dir`; with `progress`, the taps
    that feed the live progress line (the driver leaves them out when no line is drawn).

    `input_path` makes it the graph of one chunk (pipeline/chunks.py): `enrich` reads its lines instead of
    `--input`'s (the stories keep `--input` as their source); `run` reads the entries that
    `build_fetch_pipeline` wrote, as JSONL, instead of fetching the feeds."""
    now = now or dt.datetime.now(dt.UTC)
    p = beam.Pipeline(options=options)
    dead_letters = []
    feed_reports: tuple[beam.PCollection, ...] = ()  # `enrich` reads no feeds
    if config.command == "run" and input_path is not None:
        entries = p | "ReadEntries" >> beam.io.ReadFromText(input_path) | "ToEntry" >> beam.Map(entry_of_line)
        read_dead = p | "NoReadDead" >> beam.Create([])
    elif config.command == "run":
        sources = p | "Feeds" >> beam.Create(list(config.feeds))
        fetched = sources | "ReadFeeds" >> ReadFeeds(config.fetch, feed_state)
        parsed = fetched.feeds | "ParseEntries" >> ParseEntries()
        entries = parsed.entries
        feed_reports = (fetched[FEED_REPORT], parsed[FEED_REPORT])
        dead_letters += [fetched[DEAD_LETTER], parsed[DEAD_LETTER]]
        read_dead = parsed[DEAD_LETTER]
    else:
        assert config.input is not None
        # Bytes, not text: a line that is not UTF-8 becomes a dead letter instead of failing the read.
        lines = p | "ReadInput" >> beam.io.ReadFromText(input_path or config.input, coder=beam.coders.BytesCoder())
        parsed = lines | "ParseInput" >> ParseStoryLines(input_source(config.input))
        entries = parsed["entries"]
        dead_letters.append(parsed[DEAD_LETTER])
        read_dead = parsed[DEAD_LETTER]

    # Every entry read is counted once here; each must end as a story, a duplicate or a dead letter.
    entries_read = (
        entries | "EntryFeed" >> beam.Map(lambda e: e.source.url),
        read_dead | "EntryLevel" >> beam.Filter(_entry_level) | "DeadFeed" >> beam.Map(lambda d: d.source),
    )

    if config.dedup:
        index_lines = p | "ReadIndex" >> beam.io.ReadFromText(index_path) if index_path else None
        dedup = "DedupStories" >> DedupStories(
            index_lines, now=now, retention=config.retention, config=config.dedup_config, versions=config.versions
        )
    else:
        dedup = "NoDedup" >> NoDedup(now)
    processed = entries | "ProcessStories" >> process_stories(
        config, dedup, dedup_outputs=(INDEX_ENTRIES, CARRIED_ENTRIES) if config.dedup else ()
    )
    stories, duplicates = processed["stories"], processed["duplicates"]
    dead_letters += processed["dead_letters"]
    # The new index: two PCollections, each written where it is produced (see CARRIED_ENTRIES).
    index_entries = (
        (processed[INDEX_ENTRIES], processed[CARRIED_ENTRIES]) if config.dedup
        else p | "NoIndexEntries" >> beam.Create([])
    )

    if progress:
        # Side branches counting for the live progress line (transforms/progress.py, pipeline/progress.py).
        if config.command == "run" and input_path is None:
            _ = fetched[FEED_REPORT] | "ProgressFeeds" >> ProgressTap("feeds")
        _ = stories | "ProgressStories" >> ProgressTap("stories")
        _ = duplicates | "ProgressDuplicates" >> ProgressTap("duplicates")
        _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "ProgressErrors" >> ProgressTap("errors")
    _ = {
        "entries": entries_read,
        "stories": stories,
        "duplicates": duplicates,
        "dead_letters": tuple(dead_letters),
        "feed_reports": feed_reports,
        "index_entries": index_entries,
    } | "WriteStories" >> WriteStories(run_dir)
    return p


def entry_of_line(line: str) -> RawEntry:
    return RawEntry.model_validate_json(line)


def build_fetch_pipeline(
    config: RunConfig,
    options: PipelineOptions,
    run_dir: str,
    feed_state: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = True,
) -> beam.Pipeline:
    """The first job of a chunked `wirebeam run` (pipeline/chunks.py): fetch and parse the feeds, write the entries
    as `_entries` JSONL (what the chunks read), the feed reports, the dead letters of fetch and parse, and the
    counts of those dead letters (an entry-level one is an entry read; the chunks count the entries)."""
    p = beam.Pipeline(options=options)
    sources = p | "Feeds" >> beam.Create(list(config.feeds))
    fetched = sources | "ReadFeeds" >> ReadFeeds(config.fetch, feed_state)
    parsed = fetched.feeds | "ParseEntries" >> ParseEntries()
    dead_letters = (fetched[DEAD_LETTER], parsed[DEAD_LETTER])
    if progress:
        _ = fetched[FEED_REPORT] | "ProgressFeeds" >> ProgressTap("feeds")
        _ = dead_letters | "AllDeadLetters" >> beam.Flatten() | "ProgressErrors" >> ProgressTap("errors")
    kinds = {
        ENTRIES: FileKind(json_line),
        "dead_letter": FileKind(json_line, feed_count),
        "_feed_reports": FileKind(json_line),
        "entries_read": FileKind(None, feed_count),
    }
    _ = {
        ENTRIES: parsed.entries,
        "dead_letter": dead_letters,
        "_feed_reports": (fetched[FEED_REPORT], parsed[FEED_REPORT]),
        "entries_read": parsed[DEAD_LETTER] | "EntryLevel" >> beam.Filter(_entry_level)
        | "DeadFeed" >> beam.Map(lambda d: d.source),
    } | "WriteFetched" >> WriteRunFiles(run_dir, kinds)
    return p
