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
from schemas.story import DeadLetter, FeedSource
from transforms.clean.stage import INPUT_TAG
from transforms.common import DEAD_LETTER
from transforms.dedup.singleton import NoDedup
from transforms.dedup.stage import INDEX_ENTRIES, DedupStories
from transforms.fetch.stage import FEED_REPORT, ReadFeeds
from transforms.parse.stage import ParseEntries, ParseStoryLines
from transforms.progress import ProgressTap
from transforms.sink.stage import WriteStories
from transforms.stories import ProcessStories

LOGGER = logging.getLogger(__name__)


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
) -> beam.Pipeline:
    """The batch graph for `wirebeam run` / `wirebeam enrich`, writing into `run_dir`; with `progress`, the taps
    that feed the live progress line (the driver leaves them out when no line is drawn)."""
    now = now or dt.datetime.now(dt.UTC)
    p = beam.Pipeline(options=options)
    dead_letters = []
    feed_reports: tuple[beam.PCollection, ...] = ()  # `enrich` reads no feeds
    if config.command == "run":
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
        lines = p | "ReadInput" >> beam.io.ReadFromText(config.input, coder=beam.coders.BytesCoder())
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
        config, dedup, dedup_outputs=(INDEX_ENTRIES,) if config.dedup else ()
    )
    stories, duplicates = processed["stories"], processed["duplicates"]
    dead_letters += processed["dead_letters"]
    index_entries = processed[INDEX_ENTRIES] if config.dedup else p | "NoIndexEntries" >> beam.Create([])

    if progress:
        # Side branches counting for the live progress line (transforms/progress.py, pipeline/progress.py).
        if config.command == "run":
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
